"""The one contract every registered Forecaster passes (deep variants and references alike):
fit on windows, predict a block in original units, keep what its capabilities declare, and
come back from its stored form with the same forecast. Ensembles combine members by weight."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from seqcast.config import TrainingConfig, VariantConfig
from seqcast.data.target_transform import TargetData, fit_target_transform, target_transform_of
from seqcast.data.windows import WindowSet
from seqcast.evaluation.leaderboard import NAIVE
from seqcast.models import catalog
from seqcast.models import forecaster as fc

TIMESTEPS, FEATURES, COVARIATES, STEPS = 4, 2, 2, 3
# The fit's units: the target standardised around 100 with spread 10 (a scaler.json document).
TARGET = {"kind": "standard", "columns": ["y"], "scale": [0.1], "shift": [-10.0]}
UNITS = {"features": None, "target": TARGET}
VARIANT = VariantConfig(units=4, layers=1, dense_units=4, dropout=0.0, learning_rate=0.01)
TRAINING = TrainingConfig(max_epochs=3, patience=2, batch_size=16, loss="mse", seed=0)


def windows(n: int, seed: int) -> WindowSet:
    """Windows of a path of :data:`STEPS` steps whose target (original units, around 100)
    follows the last value of feature 0 and each step's first covariate; ``y`` is the target
    in the fit's units (:data:`TARGET`)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, TIMESTEPS, FEATURES)).astype(np.float32)
    cov = rng.normal(size=(n, STEPS, COVARIATES)).astype(np.float32)  # (samples, steps, cov)
    y_raw = 100.0 + 10.0 * (0.6 * x[:, -1:, 0] + 0.8 * cov[:, :, 0])  # (samples, steps)
    hours = np.arange(n).astype("datetime64[h]")
    history = 100.0 + rng.normal(size=n + 30 + STEPS)  # (rows,) the series the windows end in
    origins = np.arange(n) + 30  # rows of that series, after 30 earlier ones
    return WindowSet(
        x=x,
        y=target_transform_of(TARGET).to_model(y_raw).astype(np.float32),
        y_raw=y_raw,
        target_time=np.stack([hours + s for s in range(1, STEPS + 1)], axis=1),
        covariates=cov,
        feature_names=["a", "b"],
        covariate_names=["c1", "c2"],
        meta={"steps": list(range(1, STEPS + 1))},
        y_last_raw=history[origins],  # (samples,) each origin's value
        origin_row=origins,
        history=history,
    )


def make(name: str, seed: int = 0) -> fc.Forecaster:
    settings = fc.Settings(seed=seed, units=UNITS, variant=VARIANT, training=TRAINING)
    return catalog.create(name, settings)


def fitted(name: str, seed: int = 0) -> tuple[fc.Forecaster, fc.FitSummary]:
    model = make(name, seed)
    able = model.capabilities
    val = windows(16, 1) if able.per_seed else None
    return model, model.fit(windows(64, 0), val)


NAMES = sorted(catalog.registered())
# Every deep variant runs in the full suite; the fast part (-m "not slow") keeps one of them.
CASES = [
    pytest.param(n, marks=pytest.mark.slow)
    if catalog.capabilities(n).saved_as == "keras" and n != "gru"
    else n
    for n in NAMES
]


def test_the_registry_holds_every_deep_variant_and_reference():
    """The candidates are the deep variants (the form's choices), the references the nine
    yardsticks in their order; the naive ones read no window and join no ensemble; ets,
    theta and arima read the series, not the window, and may join one."""
    from typing import get_args

    from seqcast.config.model_settings import VariantName
    from seqcast.models.deep import REGISTRY
    from seqcast.spec.choices import ReferenceName

    assert catalog.candidates() == tuple(REGISTRY) == get_args(VariantName)
    naive = ("persistence", "seasonal-naive", "drift")
    fitted = ("ridge", "gradient-boosting", "lag-boosting", "ets", "theta", "arima")
    assert catalog.references() == (*naive, *fitted) == get_args(ReferenceName)
    assert catalog.outside_ensembles() == set(naive) == set(NAIVE)
    assert catalog.window_free() == {*naive, "ets", "theta", "arima"}  # they read the series


def test_the_registry_names_an_unknown_forecaster():
    with pytest.raises(KeyError, match=r"unknown forecaster 'prophet'.*known:.*gru"):
        catalog.create("prophet", fc.Settings())


@pytest.mark.parametrize("name", CASES)
def test_forecaster_contract(name, tmp_path):
    model, summary = fitted(name)
    able = model.capabilities
    block = windows(10, 2)
    pred = model.predict(block)
    # (samples, steps) in original units, finite
    assert pred.shape == (10, STEPS) and pred.dtype == np.float64 and np.isfinite(pred).all()
    assert abs(pred.mean() - 100.0) < 30.0  # around the target's level, not the fit's units

    # per_seed: epochs, early-stopped on the validation windows; otherwise no epochs at all
    if able.per_seed:
        assert summary.epochs == len(summary.history["loss"]) >= 1
        assert 1 <= (summary.best_epoch or 0) <= summary.epochs
        assert "val_loss" in summary.history
    else:
        assert summary.epochs is None and summary.best_epoch is None

    # uses_covariates / reads_window: the covariates, the window's inputs change the forecast
    # exactly when declared
    moved = WindowSet(**{**block.__dict__, "covariates": block.covariates + 3.0})
    assert (not np.allclose(model.predict(moved), pred)) == able.uses_covariates
    moved = WindowSet(**{**block.__dict__, "x": block.x + 3.0})
    assert (not np.allclose(model.predict(moved), pred)) == able.reads_window

    # deterministic: another seed gives the same forecast; otherwise the same seed does
    again, _ = fitted(name, seed=1 if able.deterministic else 0)
    np.testing.assert_array_equal(again.predict(block), pred)

    # stored without pickle, and back with the same forecast
    file = model.save(tmp_path)
    assert (file is None) == (able.saved_as == "none")
    if file is not None:
        assert file.endswith(able.suffix) and (tmp_path / file).exists()
    path = tmp_path / file if file else None
    back = catalog.load(name, path, fc.Settings(units=UNITS))
    np.testing.assert_allclose(back.predict(block), pred, rtol=1e-6)


def test_a_refit_without_validation_trains_exactly_the_epochs_it_is_given():
    model = make("gru")
    summary = model.fit(windows(64, 0), epochs=2)
    assert summary.epochs == 2 and len(summary.history["loss"]) == 2


def test_an_ensemble_is_the_weighted_mean_of_its_members():
    ridge, _ = fitted("ridge")
    persistence, _ = fitted("persistence")
    block = windows(10, 2)
    ensemble = fc.Ensemble([(ridge, 0.75), (persistence, 0.25)])
    expected = 0.75 * ridge.predict(block) + 0.25 * block.y_last_raw[:, None]
    np.testing.assert_allclose(ensemble.predict(block), expected, rtol=1e-12)
    # each member may read its own block (its own window length and scaling when served)
    other = windows(10, 3)
    each = ensemble.predict_each([block, other])
    np.testing.assert_allclose(each, 0.75 * ridge.predict(block) + 0.25 * other.y_last_raw[:, None])


def test_a_seed_average_is_an_ensemble_of_equal_weights():
    one, two = make("ridge"), make("gradient-boosting")
    one.fit(windows(64, 0))
    two.fit(windows(64, 0))
    block = windows(10, 2)
    mean = fc.Ensemble([(one, 1.0), (two, 1.0)]).predict(block)
    np.testing.assert_allclose(mean, (one.predict(block) + two.predict(block)) / 2)


def test_an_ensemble_needs_a_member():
    with pytest.raises(ValueError, match="at least one member"):
        fc.Ensemble([])


def test_a_naive_forecaster_says_its_windows_lack_the_history():
    block = WindowSet(**{**windows(4, 0).__dict__, "history": None})
    with pytest.raises(ValueError, match="series history"):
        make("seasonal-naive").predict(block)


def test_gradient_boosting_fits_one_model_per_step_exactly_as_one_by_one():
    """The path's LightGBM models, fitted side by side in threads, are the models each step
    would get on its own with the documented settings (``BOOSTING``); with one step, one."""
    import lightgbm as lgb

    from seqcast.models.references import BOOSTING, BOOSTING_ROUNDS, flat

    train, block = windows(64, 0), windows(10, 2)
    model = catalog.create("gradient-boosting", fc.Settings(seed=0, threads=2))
    model.fit(train)
    params = {**BOOSTING, "seed": 0}
    y = [np.ascontiguousarray(train.y_raw[:, s]) for s in range(STEPS)]
    alone = [
        lgb.train(params, lgb.Dataset(flat(train), y[s]), BOOSTING_ROUNDS) for s in range(STEPS)
    ]
    expected = np.stack([m.predict(flat(block)) for m in alone], axis=1)
    np.testing.assert_array_equal(model.predict(block), expected)
    assert expected.std() > 0  # the trees split: a constant would match anything constant
    one = WindowSet(**{**train.__dict__, "y_raw": train.y_raw[:, :1]})
    single = catalog.create("gradient-boosting", fc.Settings(seed=0, units=None))
    single.fit(one)
    assert len(single.model) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name", ["persistence", "seasonal-naive", "drift", "ets", "theta", "arima", "lag-boosting"]
)
def test_a_history_reader_forecasts_the_same_from_the_series_cut_at_the_origin(name, tmp_path):
    """The models that read the series (not only the window) forecast an origin from the rows
    up to it: the same forecast whether the series goes on past the origin (the backtest's
    shared history) or ends there (serving's newest rows), and after a save and load."""
    from dataclasses import replace

    train = windows(64, 0)
    units = {**UNITS, "season": 4, "steps": list(range(1, STEPS + 1))}
    model = catalog.create(name, fc.Settings(seed=0, units=units))
    model.fit(train)
    block = windows(8, 1)
    last = replace(
        block,
        **{k: getattr(block, k)[-1:] for k in ("x", "y", "y_raw", "target_time", "covariates")},
        y_last_raw=block.y_last_raw[-1:],
        origin_row=block.origin_row[-1:],
    )
    cut = replace(last, history=block.history[: int(block.origin_row[-1]) + 1])
    np.testing.assert_allclose(model.predict(cut), model.predict(last))
    np.testing.assert_allclose(model.predict(last), model.predict(block)[-1:], rtol=1e-9)
    stored = model.save(tmp_path)  # None: a naive reference stores nothing
    path = tmp_path / stored if stored else None
    again = catalog.load(name, path, fc.Settings(seed=0, units=units))
    np.testing.assert_allclose(again.predict(cut), model.predict(cut))


def test_ets_needs_two_seasons_of_history_and_says_so():
    """A seasonal ets member serves from at least two seasons of rows; its input example is
    long enough (2 x 24 + 10 rows, beyond a 12-step window), and too short a history is a
    clear error, not statsmodels' own."""
    from dataclasses import replace

    from seqcast.models.statistical import history_rows
    from seqcast.serving.pyfunc_logging import EXAMPLE_SLACK_ROWS, input_example

    assert history_rows("ets", {"season": 24}) == 58 and history_rows("gru", None) == 0
    member = SimpleNamespace(forecaster="ets", timesteps=12, units={"season": 24})
    raw = pd.DataFrame({"v": range(500)})
    bundle = SimpleNamespace(members=[member])
    assert len(input_example(raw, bundle)) == 58 + EXAMPLE_SLACK_ROWS  # type: ignore[arg-type]
    model = catalog.create("ets", fc.Settings(units={**UNITS, "season": 4}))
    model.form = {"trend": None, "seasonal": "add", "season": 4, "params": [0.5, 0.1, 0, 0, 0, 0]}
    short = windows(2, 0)
    short = replace(short, origin_row=np.array([3, 4]), history=np.arange(5.0))
    with pytest.raises(ValueError, match="at least 8 rows of history"):
        model.predict(short)


def test_theta_needs_two_seasons_of_history_and_says_so():
    """A seasonal theta member serves from two seasons of rows as ets does (its seasonal
    indices come from them): the same input example, and the same clear error."""
    from dataclasses import replace

    from seqcast.models.statistical import history_rows

    assert history_rows("theta", {"season": 24}) == 58
    model = catalog.create("theta", fc.Settings(units={**UNITS, "season": 4}))
    model.form = {  # type: ignore[attr-defined]
        "season": 4,
        "seasonal": True,
        "method": "add",
        "theta": 2.0,
        "b0": 0.5,
        "alpha": 0.5,
    }
    short = windows(2, 0)
    short = replace(short, origin_row=np.array([3, 4]), history=np.arange(5.0))
    with pytest.raises(ValueError, match="at least 8 rows of history"):
        model.predict(short)


@pytest.mark.parametrize("name", ["gru", "ridge", "gradient-boosting"])
def test_a_normalised_fit_forecasts_in_proportion_to_the_window(name):
    """With the ``normalize`` target a model reads each window as its shape and learns the
    change in units of the window's spread, so a window whose target is k times larger (its
    level, its swing and its origin) gets k times the forecast: the same model fitted once
    forecasts 3 x the windows as 3 x their forecast. A ``difference`` fit would not scale."""
    from dataclasses import replace

    def scaled(ws: WindowSet, k: float) -> WindowSet:
        x = ws.x.copy()
        x[:, :, 0] *= k  # the target's own feature (feature scale 1: original units)
        return replace(ws, x=x, y_raw=ws.y_raw * k, y_last_raw=ws.y_last_raw * k)

    def with_target(ws: WindowSet, origin_units: dict | None) -> WindowSet:
        """The windows' target series: feature 0 around 100, the origin its last value."""
        x = ws.x.copy()
        x[:, :, 0] = 100.0 + 10.0 * x[:, :, 0]
        y_last = x[:, -1, 0].astype(np.float64)
        y_raw = y_last[:, None] + 5.0 * ws.covariates[:, :, 0]  # (samples, steps)
        out = replace(ws, x=x, y_raw=y_raw, y_last_raw=y_last)
        if origin_units:
            transform = target_transform_of(origin_units)
            y = transform.to_model(y_raw, y_last, x).astype(np.float32)
            out = replace(out, y=y)
        return out

    train = with_target(windows(64, 0), {})
    data = TargetData(
        y=train.y_raw, origins=train.y_last_raw, origin_feature=0, x=train.x, feature_scale=1.0
    )
    target = fit_target_transform("normalize", data).to_dict()
    units = {"features": None, "target": target}
    train = with_target(windows(64, 0), target)
    val = with_target(windows(16, 1), target)
    settings = fc.Settings(seed=0, units=units, variant=VARIANT, training=TRAINING)
    model = catalog.create(name, settings)
    model.fit(train, val if model.capabilities.per_seed else None)
    block = with_target(windows(10, 2), {})
    pred = model.predict(block)  # (samples, steps) in original units
    assert abs(pred.mean() - 100.0) < 30.0
    np.testing.assert_allclose(model.predict(scaled(block, 3.0)), 3.0 * pred, rtol=1e-4)


@pytest.mark.slow
def test_an_epoch_per_compiled_call_trains_exactly_as_a_batch_per_call(monkeypatch):
    """Keras' ``steps_per_execution`` (a whole epoch in one compiled call, used from
    ``GRAPH_LOOP_MIN_BATCHES`` batches an epoch) is only faster: the same losses every epoch,
    the same best epoch and the same validation forecast, bit for bit."""
    from seqcast.models import fitting

    monkeypatch.setattr(fitting, "TINY_DATA_BATCHES", 0)  # fed as arrays, as larger data
    splits = {"train": windows(64, 0), "val": windows(16, 1)}  # 4 batches of 16 an epoch
    got, per_call = {}, {}
    for threshold in (10**9, 2):
        monkeypatch.setattr(fitting, "GRAPH_LOOP_MIN_BATCHES", threshold)
        model, got[threshold] = fitting.fit_variant("gru", VARIANT, TRAINING, splits, None)
        per_call[threshold] = model.steps_per_execution  # type: ignore[attr-defined]
    assert per_call == {10**9: 1, 2: 4}
    one, loop = got[10**9], got[2]
    assert len(one.history["loss"]) == TRAINING.max_epochs
    assert one.history == loop.history and one.best_epoch == loop.best_epoch
    np.testing.assert_array_equal(one.predictions["val"], loop.predictions["val"])
    # a refit keeping the moving average of its weights (EMA updated every step)
    refit = TRAINING.model_copy(update={"ema_momentum": 0.5})
    weights = {}
    for threshold in (10**9, 2):
        monkeypatch.setattr(fitting, "GRAPH_LOOP_MIN_BATCHES", threshold)
        model, _ = fitting.fit_variant("gru", VARIANT, refit, {"train": splits["train"]}, None,
                                       epochs=3)  # fmt: skip
        weights[threshold] = model.get_weights()  # type: ignore[attr-defined]
    for a, b in zip(weights[10**9], weights[2], strict=True):
        np.testing.assert_array_equal(a, b)


def test_tiny_data_is_fed_as_one_seeded_pipeline_every_window_once_an_epoch():
    """Below ``TINY_DATA_BATCHES`` batches an epoch the windows go through one in-memory
    pipeline: each epoch sees every window exactly once, in a new order; the same seed gives
    the same orders (so the same fit), another seed other orders; validation is in order."""
    from seqcast.models.fitting import in_memory, seed_everything

    x = np.arange(10, dtype=np.float32).reshape(10, 1, 1)  # (samples, timesteps, features)
    y = np.arange(10, dtype=np.float32).reshape(10, 1)  # (samples, steps)

    def epochs(seed: int | None, n: int = 3) -> list[list[int]]:
        seed_everything(0)
        data = in_memory(x, y, 4, shuffle_seed=seed)
        return [[int(v) for _, yb in data for v in yb.numpy().ravel()] for _ in range(n)]

    first = epochs(7)
    assert all(sorted(e) == list(range(10)) for e in first)  # every window once an epoch
    assert first[0] != first[1]  # reshuffled every epoch
    assert epochs(7) == first  # the same seed: the same orders
    assert epochs(8) != first
    assert epochs(None, 1) == [list(range(10))]  # validation: in order


@pytest.mark.slow
def test_a_tiny_fit_is_the_same_fit_twice():
    """A fit on 4 batches an epoch (the in-memory pipeline) repeats exactly with its seed."""
    from seqcast.models import fitting

    splits = {"train": windows(64, 0), "val": windows(16, 1)}
    _, one = fitting.fit_variant("gru", VARIANT, TRAINING, splits, None)
    _, two = fitting.fit_variant("gru", VARIANT, TRAINING, splits, None)
    assert len(one.history["val_loss"]) == TRAINING.max_epochs
    assert one.history == two.history
    np.testing.assert_array_equal(one.predictions["val"], two.predictions["val"])
