"""Training deep variants: seeding, retries after a collapse, refits, inputs as fed. (The
contract every model passes is tests/unit/models/test_forecaster_contract.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from seqcast.config.model_settings import TrainingConfig, VariantConfig
from seqcast.data.windows import WindowSet
from seqcast.models.deep import REGISTRY
from seqcast.models.fitting import fit_variant

TINY = VariantConfig(units=4, layers=2, dense_units=4, dropout=0.1, learning_rate=0.01)
TIMESTEPS, FEATURES, COVARIATES = 5, 3, 2


def windows(n: int, seed: int) -> WindowSet:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, TIMESTEPS, FEATURES)).astype(np.float32)
    y = x[:, -1, 0] * 0.5 + 0.1
    return WindowSet(
        x=x,
        y=y.astype(np.float32)[:, None],  # (samples, 1 step)
        y_raw=y.astype(np.float64)[:, None],
        target_time=np.arange(n).astype("datetime64[h]")[:, None],
        covariates=rng.normal(size=(n, 1, COVARIATES)).astype(np.float32),
        feature_names=["a", "b", "c"],
        covariate_names=["target_a", "target_b"],
        meta={},
    )


def test_registry_holds_every_required_variant():
    """The seven variants the product promises are registered."""
    assert set(REGISTRY) >= {
        "rnn",
        "rnn-stacked",
        "lstm",
        "gru",
        "lstm-stacked-flatten",
        "lstm-dropout",
        "multi-input",
    }


@pytest.mark.slow
def test_same_seed_same_predictions(tmp_path):
    """Same data, config and seed give identical predictions, even when something else in the
    process draws from Python's and numpy's global generators in between; another seed does
    not."""
    import random

    splits = {"train": windows(40, 0), "val": windows(12, 1), "test": windows(10, 2)}
    cfg = TrainingConfig(max_epochs=2, patience=1, batch_size=8, seed=3, loss="mse")
    _, a = fit_variant("lstm-dropout", TINY, cfg, splits, tmp_path / "a.keras")
    random.random(), np.random.random()
    _, b = fit_variant("lstm-dropout", TINY, cfg, splits, tmp_path / "b.keras")
    _, c = fit_variant(
        "lstm-dropout", TINY, cfg.model_copy(update={"seed": 4}), splits, tmp_path / "c.keras"
    )
    np.testing.assert_array_equal(a.predictions["test"], b.predictions["test"])
    assert not np.array_equal(a.predictions["test"], c.predictions["test"])


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_weights_ignore_the_global_random_state(name):
    """Every layer is seeded from the run seed and named by the model: Python's global
    ``random`` (which another thread or a finaliser may consume) and earlier builds change
    neither a built model's weights nor its layer names."""
    import random

    from seqcast.models.deep import build

    cfg = TINY.model_copy(update={"layers": 2})

    def weights(disturb: int) -> list[np.ndarray]:
        random.seed(disturb)
        model = build(name, cfg, TIMESTEPS, FEATURES, COVARIATES, seed=7)
        layer_names.append([layer.name for layer in model.layers])
        return [np.asarray(w) for w in model.get_weights()]

    layer_names: list[list[str]] = []
    first, second = weights(1), weights(2)
    # Names are the model's own, not Keras' process-wide counter (which a second build, or a
    # build in another thread, would move on).
    assert layer_names[0] == layer_names[1]
    assert len(set(layer_names[0])) == len(layer_names[0])
    assert len(first) == len(second) > 0
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    other = build(name, cfg, TIMESTEPS, FEATURES, COVARIATES, seed=8).get_weights()
    assert any(not np.array_equal(a, np.asarray(b)) for a, b in zip(first, other, strict=True))


def test_calendar_is_appended_to_every_timestep():
    """Two windows of 3 steps x 1 feature, calendars (1, 2) and (3, 4): each step is fed its
    value followed by its window's target-time calendar; multi-input keeps two inputs."""
    from seqcast.models.deep import fed_features, model_inputs

    x = np.arange(6, dtype=np.float32).reshape(2, 3, 1)
    cov = np.array([[1, 2], [3, 4]], dtype=np.float32)
    fed = model_inputs("gru", x, cov)
    assert fed.shape == (2, 3, 3) and fed_features("gru", 1, 2) == 3
    np.testing.assert_array_equal(fed[1], [[3, 3, 4], [4, 3, 4], [5, 3, 4]])
    assert model_inputs("gru", x, cov, calendar_each_step=False) is x
    window, calendar = model_inputs("multi-input", x, cov)
    assert window is x and calendar.tolist() == cov.tolist()
    assert fed_features("multi-input", 1, 2) == 1


def test_a_path_feeds_the_first_steps_calendar_per_timestep_and_every_step_to_multi_input():
    """Two windows, 2 steps of calendars (1, 2), (5, 6) and (3, 4), (7, 8): the recurrent
    variants get the first step's calendar on every timestep (the later steps' calendar follows
    from it); multi-input gets every step's, flattened step-major."""
    from seqcast.models.deep import model_inputs

    x = np.arange(6, dtype=np.float32).reshape(2, 3, 1)
    cov = np.array([[[1, 2], [5, 6]], [[3, 4], [7, 8]]], dtype=np.float32)  # (2, steps, 2)
    fed = model_inputs("gru", x, cov)
    np.testing.assert_array_equal(fed[1], [[3, 3, 4], [4, 3, 4], [5, 3, 4]])
    _, calendar = model_inputs("multi-input", x, cov)
    np.testing.assert_array_equal(calendar, [[1, 2, 5, 6], [3, 4, 7, 8]])


def _huber(e: np.ndarray) -> float:
    a = np.abs(e)
    return float(np.where(a <= 1.0, 0.5 * e**2, a - 0.5).mean())


@pytest.mark.parametrize(
    "loss, by_hand",
    [
        ("mse", lambda e: float((e**2).mean())),
        ("mae", lambda e: float(np.abs(e).mean())),
        ("huber", _huber),
    ],
)
def test_the_chosen_loss_is_what_training_minimises(loss, by_hand, tmp_path):
    """The validation loss Keras reports is the chosen loss of the validation errors, worked
    out by hand (and not one of the other two, which differ on these windows)."""
    splits = {"train": windows(40, 0), "val": windows(12, 1), "test": windows(10, 2)}
    cfg = TrainingConfig(max_epochs=1, patience=1, batch_size=8, loss=loss)
    _, trained = fit_variant("gru", TINY, cfg, splits, tmp_path / "m.keras")
    errors = splits["val"].y.reshape(-1) - np.asarray(trained.predictions["val"]).reshape(-1)
    assert trained.history["val_loss"][0] == pytest.approx(by_hand(errors), rel=1e-4)
    others = {"mse": float((errors**2).mean()), "mae": float(np.abs(errors).mean())}
    others["huber"] = _huber(errors)
    assert all(abs(v - others[loss]) > 1e-3 for k, v in others.items() if k != loss)


def _fake_fit(flat_seeds: set[int], calls: list[int]):
    """A stand-in for fit_variant: a flat validation forecast for the seeds in
    ``flat_seeds``, a perfect one otherwise; records the seeds it was called with."""
    from seqcast.models.fitting import Trained

    def fit(name, vcfg, tcfg, splits, checkpoint, on_epoch=None, epochs=None):
        calls.append(tcfg.seed)
        y = splits["val"].y
        preds = np.full_like(y, 0.5) if tcfg.seed in flat_seeds else y.copy()
        return None, Trained({"loss": [1.0], "val_loss": [1.0]}, 1, {"val": preds}, 0.1, 1)

    return fit


def test_a_fixed_epoch_refit_trains_exactly_that_many_epochs(tmp_path):
    """Without a validation split (a refit), the given epoch count is trained, no early
    stopping; the model is saved when a path is given, and scored splits are predicted."""
    splits = {"train": windows(40, 0), "scored": windows(10, 2)}
    cfg = TrainingConfig(max_epochs=50, patience=1, batch_size=8, loss="mse")
    _, trained = fit_variant("gru", TINY, cfg, splits, tmp_path / "r.keras", epochs=3)
    assert len(trained.history["loss"]) == 3 and "val_loss" not in trained.history
    assert trained.best_epoch == 3 and trained.predictions["scored"].shape == (10, 1)
    assert (tmp_path / "r.keras").exists()
    with pytest.raises(ValueError, match="number of epochs"):
        fit_variant("gru", TINY, cfg, {"train": windows(40, 0)})


@pytest.mark.slow
def test_learning_rate_decays_per_epoch():
    """lr_decay 0.6 over 3 epochs: epoch e trains at 0.01 * 0.6^e, so the optimizer ends at
    0.0036; without decay it stays at 0.01."""
    import keras

    splits = {"train": windows(40, 0), "val": windows(12, 1)}
    for decay, last in ((0.6, 0.0036), (None, 0.01)):
        cfg = TrainingConfig(max_epochs=3, patience=3, batch_size=8, loss="mse", lr_decay=decay)
        model, trained = fit_variant("rnn", TINY, cfg, splits)
        assert len(trained.history["loss"]) == 3
        lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
        assert lr == pytest.approx(last)


@pytest.mark.slow
def test_weight_averaging_keeps_the_moving_average_of_each_steps_weights(monkeypatch):
    """One gradient step per epoch (the batch is the whole training set), 8 steps. w_k: the
    weights after k steps of a plain refit, read after each epoch. With ema_momentum 0.5 (the
    cap 1 - 4/8 allows it) the average starts at w_1 and each step gives 0.5 * average +
    0.5 * w_k: the trajectory is the same, only what is kept differs."""
    import seqcast.models.fitting as fitting

    splits = {"train": windows(40, 0)}
    built: list = []  # the model each fit builds, to read its weights after every epoch

    def build(*args, **kwargs):
        built.append(fitting_build(*args, **kwargs))
        return built[-1]

    fitting_build = fitting.build
    monkeypatch.setattr(fitting, "build", build)

    def fit(ema: float, on_epoch=None):
        cfg = TrainingConfig(
            max_epochs=9, patience=1, batch_size=40, loss="mse", ema_momentum=ema, seed=5
        )
        model, _ = fit_variant("gru", TINY, cfg, splits, epochs=8, on_epoch=on_epoch)
        return [np.asarray(w) for w in model.trainable_weights]

    steps: list[list[np.ndarray]] = []  # w_1 .. w_8 of the plain refit
    plain = fit(0.0, lambda *_: steps.append([np.asarray(w) for w in built[-1].trainable_weights]))
    assert len(steps) == 8
    for a, b in zip(steps[-1], plain, strict=True):
        np.testing.assert_array_equal(a, b)  # what the callback read is what the fit kept
    expected = steps[0]
    for w_k in steps[1:]:
        expected = [0.5 * a + 0.5 * w for a, w in zip(expected, w_k, strict=True)]
    averaged = fit(0.5)
    for a, e in zip(averaged, expected, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-6)
    assert not np.allclose(averaged[0], plain[0])  # not the plain last weights


def test_a_short_refit_averages_over_its_last_quarter_only():
    """The average's time constant 1 / (1 - momentum) is capped at a quarter of the steps:
    4000 steps keep 0.99 (100 steps); 200 steps give 1 - 4/200 = 0.98; 20 steps 0.8;
    4 steps or fewer nothing."""
    from seqcast.models.fitting import refit_momentum

    assert refit_momentum(0.99, 4000) == 0.99
    assert refit_momentum(0.99, 200) == pytest.approx(0.98)
    assert refit_momentum(0.99, 20) == pytest.approx(0.8)
    assert refit_momentum(0.99, 4) == 0.0
    assert refit_momentum(0.99, 0) == 0.0


@pytest.mark.slow
def test_an_early_stopped_fit_keeps_its_best_epoch_not_an_average():
    """Weight averaging is for refits only: a fit with validation data keeps its best epoch
    (early stopping restores it), so the same seed gives the same validation losses and the
    same kept model with or without ema_momentum, and the kept model scores exactly the best
    validation loss."""
    from seqcast.models.deep import model_inputs

    splits = {"train": windows(40, 0), "val": windows(12, 1)}

    def fit(ema: float):
        cfg = TrainingConfig(
            max_epochs=6, patience=6, batch_size=40, loss="mse", ema_momentum=ema, seed=5
        )
        return fit_variant("gru", TINY, cfg, splits)

    _, plain = fit(0.0)
    model, other = fit(0.9)
    assert other.history["val_loss"] == pytest.approx(plain.history["val_loss"], rel=1e-5)
    val = splits["val"]
    inputs = model_inputs("gru", val.x, val.covariates)
    kept = float(model.evaluate(inputs, val.y, verbose=0, batch_size=12))
    assert kept == pytest.approx(min(other.history["val_loss"]), rel=1e-4)


def test_a_collapsed_fit_is_retried_once_with_another_seed(tmp_path):
    """Seed 3 gives a flat forecast: one retry with seed 3 + RETRY_SEED_OFFSET, which is
    kept; the collapsed attempt is reported. A sound first fit is not retried."""
    from seqcast.models.fitting import RETRY_SEED_OFFSET, fit_with_retry

    splits = {"train": windows(40, 0), "val": windows(12, 1)}
    cfg = TrainingConfig(max_epochs=1, patience=1, batch_size=8, seed=3, loss="mse")
    calls: list[int] = []
    _, trained, failed = fit_with_retry(
        "gru", TINY, cfg, splits, tmp_path / "m.keras", fit=_fake_fit({3}, calls)
    )
    assert calls == [3, 3 + RETRY_SEED_OFFSET]
    assert failed == [{"seed": 3, "reason": "flat prediction"}]
    np.testing.assert_array_equal(trained.predictions["val"], splits["val"].y)

    calls.clear()
    _, _, failed = fit_with_retry(
        "gru", TINY, cfg, splits, tmp_path / "m.keras", fit=_fake_fit(set(), calls)
    )
    assert calls == [3] and failed == []


def test_predicting_many_models_in_one_process_never_retraces(caplog):
    """Seven models in one process, each predicting splits of odd sizes (as a pool worker
    does): TensorFlow logs no retracing warning."""
    import logging

    from seqcast.models.deep import build
    from seqcast.models.fitting import predict_splits

    splits = {"train": windows(1030, 0), "val": windows(13, 1), "test": windows(7, 2)}
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for seed in range(7):
            model = build("gru", TINY, TIMESTEPS, FEATURES + COVARIATES, COVARIATES, seed)
            out = predict_splits(model, "gru", splits)
            assert [len(v) for v in out.values()] == [1030, 13, 7]
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


@pytest.mark.slow
def test_a_warm_started_refit_begins_at_the_weights_it_is_given():
    """A refit given ``start`` begins at those weights, not at its seeded start: with a
    learning rate of 1e-9 one epoch leaves it at the weights of the fit it started from,
    while a refit from its own start with the same seed lands elsewhere. Weights of another
    shape are refused, naming the variant."""
    cfg = TrainingConfig(max_epochs=3, patience=3, batch_size=8, loss="mse", seed=5)
    splits = {"train": windows(40, 0)}
    first, _ = fit_variant("gru", TINY, cfg, splits, epochs=3)
    start = [np.asarray(w) for w in first.get_weights()]
    still = TINY.model_copy(update={"learning_rate": 1e-9})
    warm, trained = fit_variant("gru", still, cfg.model_copy(update={"seed": 6}), splits,
                                epochs=1, start=start)  # fmt: skip
    cold, _ = fit_variant("gru", still, cfg.model_copy(update={"seed": 6}), splits, epochs=1)
    assert len(trained.history["loss"]) == 1
    for a, b in zip(warm.get_weights(), start, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert not all(np.allclose(a, b) for a, b in zip(cold.get_weights(), start, strict=True))
    with pytest.raises(ValueError, match="gru: the weights to start from do not fit"):
        fit_variant("gru", TINY, cfg, splits, epochs=1, start=start[:-1])
