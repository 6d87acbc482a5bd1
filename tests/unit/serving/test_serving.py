"""The served champion's fitted references: stored as JSON (ridge's coefficients, LightGBM's
text models; no pickle), loaded back predicting exactly what was fitted; skops files that
bundles saved before still load, with an explicit trusted-types list, and a file holding any
other type is refused."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from seqcast.data.synthetic import rows_from_spec
from seqcast.data.windows import WindowSet
from seqcast.evaluation.selection import Member
from seqcast.models import catalog
from seqcast.models import forecaster as fc
from seqcast.models.references import Linear
from seqcast.serving.bundle import bundle_of
from seqcast.spec.dataset import get_spec


def _windows(n: int, seed: int) -> WindowSet:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4, 3)).astype(np.float32)
    y = x[:, -1, 0] * 3.0 + 10.0
    return WindowSet(
        x=x,
        y=y.astype(np.float32)[:, None],  # (samples, 1 step)
        y_raw=y.astype(np.float64)[:, None],
        target_time=np.arange(n).astype("datetime64[h]")[:, None],
        covariates=rng.normal(size=(n, 1, 2)).astype(np.float32),
        feature_names=["a", "b", "c"],
        covariate_names=["ca", "cb"],
        meta={},
    )


@pytest.mark.parametrize("name", ["ridge", "gradient-boosting"])
def test_reference_round_trip_without_pickle(name, tmp_path):
    train, new = _windows(200, 0), _windows(20, 1)
    model = catalog.create(name, fc.Settings(seed=0))
    model.fit(train)
    path = tmp_path / model.save(tmp_path)
    assert path.name == "model.json" and path.read_text().startswith("{")  # JSON, no pickle
    again = catalog.load(name, path, fc.Settings())
    np.testing.assert_array_equal(again.predict(new), model.predict(new))


def test_a_json_model_of_another_reference_is_refused(tmp_path):
    model = catalog.create("ridge", fc.Settings(seed=0))
    model.fit(_windows(50, 0))
    path = tmp_path / model.save(tmp_path)
    with pytest.raises(ValueError, match="holds 'ridge', not 'gradient-boosting'"):
        catalog.load("gradient-boosting", path, fc.Settings())


def test_skops_members_saved_before_json_still_serve(tmp_path):
    """A bundle saved before the references stored JSON holds scikit-learn models in skops
    files: ridge, gradient boosting (one model per step in a MultiOutputRegressor) and
    lag-boosting (a list of per-step models). Each loads and predicts what it predicted."""
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.multioutput import MultiOutputRegressor

    from seqcast.models.references import flat

    train, new = _windows(120, 0), _windows(20, 1)
    train = replace(train, y_raw=np.repeat(train.y_raw, 2, axis=1))  # 2 steps
    y = train.y_raw
    old = {
        "ridge": Ridge(alpha=1.0).fit(flat(train), y),
        "gradient-boosting": MultiOutputRegressor(
            HistGradientBoostingRegressor(random_state=0)
        ).fit(flat(train), y),
    }
    for name, model in old.items():
        path = tmp_path / f"{name}.skops"
        sio.dump(model, path)
        served = catalog.load(name, path, fc.Settings())
        np.testing.assert_array_equal(served.predict(new), model.predict(flat(new)))
    lag = catalog.create("lag-boosting", fc.Settings(seed=0))
    features = lag._features(_with_history(train))  # type: ignore[attr-defined]
    steps = [HistGradientBoostingRegressor(random_state=0).fit(f, y[:, j])
             for j, f in enumerate(features)]  # fmt: skip
    sio.dump(steps, tmp_path / "lag-boosting.skops")
    served = catalog.load("lag-boosting", tmp_path / "lag-boosting.skops", fc.Settings())
    block = _with_history(new)
    want = np.stack(
        [m.predict(f) for m, f in zip(steps, lag._features(block), strict=True)],
        axis=1,  # type: ignore[attr-defined]
    )
    np.testing.assert_array_equal(served.predict(block), want)


def _with_history(ws: WindowSet) -> WindowSet:
    """The windows with the series they were cut from (what lag-boosting reads)."""
    history = np.random.default_rng(5).normal(100.0, 10.0, size=len(ws.x) + 60)
    return replace(ws, history=history, origin_row=np.arange(len(ws.x)) + 50)


class Subclassed(Ridge):
    """A type no served member has: loading a file that holds it must be refused."""


def test_a_file_with_an_untrusted_type_is_refused(tmp_path):
    import skops.io as sio

    path = tmp_path / "odd.skops"
    sio.dump(Subclassed().fit(np.ones((4, 2)), np.arange(4.0)), path)
    with pytest.raises(ValueError, match="not trusted"):
        Linear.load("ridge", path, fc.Settings())


def test_bundle_names_every_member_with_its_units():
    """Two seeds of a GRU and gradient boosting: three members, files named by label and
    seed, each with its own units; the training period is the served fit's."""
    from seqcast.config import TrainConfig
    from seqcast.report.documents import bundle_document

    units = {"features": {}, "target": None, "fitted_on": {"fit": "all", "windows": 9}}

    def fit(kind, label, seed, forecaster):
        return {
            "kind": kind,
            "label": label,
            "forecaster": forecaster,
            "seed": seed,
            "timesteps": 24,
            "scaler": units,
        }

    served = [
        fit("deep", "gru", 42, "gru"),
        fit("deep", "gru", 43, "gru"),
        fit("reference", "gradient-boosting", 42, "gradient-boosting"),
    ]
    shares = [
        Member("deep", "gru", 42, 0.25),
        Member("deep", "gru", 43, 0.25),
        Member("reference", "gradient-boosting", None, 0.5),
    ]
    bundle = bundle_document(TrainConfig(dataset="bike-hourly"), "ensemble", served, shares)
    assert [m.file for m in bundle.members] == [
        "gru-s42.keras",
        "gru-s43.keras",
        "gradient-boosting.json",
    ]
    assert bundle.members[2].seed is None and bundle.horizon == 24
    assert bundle.steps == list(range(1, 25)) and bundle.intervals is None
    assert bundle.trained_on == {"fit": "all", "windows": 9}
    assert bundle.candidate == "ensemble" and bundle.combine == "weighted-mean"
    assert [m.weight for m in bundle.members] == [0.25, 0.25, 0.5]
    # without shares (a single fit, or an older caller): equal weights
    plain = bundle_document(TrainConfig(dataset="bike-hourly"), "gru-x2", served[:2])
    assert [m.weight for m in plain.members] == [0.5, 0.5]


def test_served_forecast_is_the_members_weighted_mean_with_its_bands(monkeypatch, tmp_path):
    """Stored members predicting 10, 20 and 40 at both steps with weights 0.25, 0.25 and 0.5
    forecast 27.5, as the ensemble was evaluated; the bundle's conformal offsets (80 %:
    -5 / +5 at step 1, -30 / +6 at step 2) give the bands, the lower one never below the
    spec's minimum (0 rentals). A bundle without weights (written before they existed)
    averages them equally. The members are real ridge models loaded from their JSON files
    (each fitted on a constant target, so it predicts that constant)."""
    from seqcast.evaluation.intervals import Intervals
    from seqcast.serving import predict as serving
    from seqcast.serving.forecast_input import ForecastInput

    spec = get_spec("bike-hourly")
    times = pd.DatetimeIndex(["2018-11-30 23:00", "2018-12-01 00:00"])
    window = ForecastInput(
        x=np.zeros((1, 4, 3), np.float32),  # (1, timesteps, features)
        covariates=np.zeros((1, 2, 2), np.float32),  # (1, steps, covariates)
        origin_time=pd.Timestamp("2018-11-30 22:00"),
        target_times=times,
        target_steps=np.array([0, 1]),
    )
    monkeypatch.setattr(serving, "last_window", lambda *a, **k: window)
    monkeypatch.setattr(serving, "period_label", lambda step, ti: f"p{step}")
    units = {"features": {"kind": "standard", "columns": ["x"], "scale": [1.0], "shift": [0.0]}}
    members = []
    train = _windows(50, 0)
    train = replace(train, covariates=np.zeros((50, 2, 2), np.float32))  # 2 steps
    for name, level, weight in (("a", 10.0, 0.25), ("b", 20.0, 0.25), ("c", 40.0, 0.5)):
        ridge = catalog.create("ridge", fc.Settings())
        ridge.fit(replace(train, y_raw=np.full((50, 2), level)))
        folder = tmp_path / name
        folder.mkdir()
        file = ridge.save(folder)
        members.append(
            {
                "forecaster": "ridge",
                "kind": "reference",
                "seed": None,
                "label": name,
                "file": f"{name}/{file}",
                "timesteps": 4,
                "units": units,
                "weight": weight,
            }
        )
    intervals = Intervals(
        (0.8,), {0.8: np.array([-5.0, -30.0])}, {0.8: np.array([5.0, 6.0])}, minimum=0.0
    )
    doc = {"members": members, "horizon": 2, "steps": [1, 2], **_about(spec)}
    doc["intervals"] = {**intervals.to_dict(), "group": None}
    out = serving.forecast_from_clean(None, spec, bundle_of(doc), tmp_path, "x")
    assert list(out.columns) == [
        "origin_time", "step", "target_time", "period", "prediction", "lower_80", "upper_80"
    ]  # fmt: skip
    assert out["step"].tolist() == [1, 2] and out["period"].tolist() == ["p0", "p1"]
    assert out["prediction"].tolist() == pytest.approx([27.5, 27.5])
    assert out["lower_80"].tolist() == pytest.approx([22.5, 0.0])  # 27.5 - 30 < 0: bounded
    assert out["upper_80"].tolist() == pytest.approx([32.5, 33.5])
    assert (out["target_time"] == times).all()
    for m in members:  # a bundle written before members had weights: equal ones
        del m["weight"]
    out = serving.forecast_from_clean(None, spec, bundle_of(doc), tmp_path, "x")
    assert out["prediction"].tolist() == pytest.approx([70 / 3, 70 / 3])


def test_why_no_champion_names_the_winner_and_the_gap():
    """The last run's reason, the best reference against the best model candidate on the
    backtest (1.4 against 2.0: 30 % lower), and the command to try."""
    from seqcast.serving.forecast_input import why_no_champion

    metrics = {
        "run_id": "20261129T223135Z-65d89b31",
        "champion": None,
        "champion_reason": "best deep candidate gru (backtest MAE 2) does not beat ridge "
        "(backtest MAE 1.4); nothing promoted",
        "models": [
            {"name": "ridge", "kind": "reference", "backtest": {"mae": 1.4}},
            {"name": "persistence", "kind": "reference", "backtest": {"mae": 1.7}},
            {"name": "gru", "kind": "deep", "backtest": {"mae": 2.0}},
            {"name": "lstm", "kind": "deep", "backtest": {"mae": 2.5}},
            {"name": "rnn", "kind": "deep", "backtest": None},
        ],
    }
    lines = why_no_champion(metrics, "weekly-temperature", "outputs").splitlines()
    assert lines[0] == (
        "the last train (run 20261129T223135Z-65d89b31) promoted nothing: best deep candidate "
        "gru (backtest MAE 2) does not beat ridge (backtest MAE 1.4)"
    )
    assert lines[1] == (
        "on the backtest ridge (1.4) is 30 % below the best model candidate, gru (2)"
    )
    assert lines[2].endswith("seqcast train --dataset weekly-temperature --out outputs")


def test_a_naive_fallback_champion_is_served_from_the_newest_rows(tmp_path):
    """A champion promoted as the fallback may be a naive reference, which stores no file:
    served from the rows themselves. Weekly rows whose AvgTemp rises by exactly 0.25 a week
    from 10.0: persistence forecasts the last value for every step, drift carries the rise
    on (last + 0.25 s), both with the stage's own functions."""
    from seqcast.serving import predict as serving

    spec = get_spec("weekly-temperature")
    raw = rows_from_spec(spec, 120, seed=0)
    raw["AvgTemp"] = 10.0 + 0.25 * np.arange(len(raw))
    last = float(raw["AvgTemp"].iloc[-1])
    units = {"features": {"kind": "standard", "columns": ["AvgTemp"], "scale": [1.0],
                          "shift": [0.0]}, "target": None}  # fmt: skip
    for name, expected in (
        ("persistence", [last] * 4),
        ("drift", [last + 0.25 * s for s in (1, 2, 3, 4)]),
    ):
        member = {
            "forecaster": name,
            "kind": "reference",
            "seed": None,
            "label": name,
            "file": name,
            "timesteps": 8,
            "units": units,
            "weight": 1.0,
        }
        bundle = {"members": [member], "horizon": 4, "steps": [1, 2, 3, 4], **_about(spec)}
        out = serving.forecast_from_raw(raw, bundle_of(bundle), tmp_path)
        assert out["prediction"].tolist() == pytest.approx(expected), name
        assert not any(tmp_path.iterdir())  # nothing read or written


def test_logging_a_champion_leaves_the_process_on_the_store_it_was_on(tmp_path, monkeypatch):
    """MLflow's set_tracking_uri writes MLFLOW_TRACKING_URI into the environment: after a
    champion is logged to one output root's store, a later run in the same process (another
    root) must not find that store there as if a person had chosen it."""
    import mlflow

    from seqcast.io.tracking import tracking_uri
    from seqcast.serving.pyfunc_logging import _store

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    first = tracking_uri(tmp_path / "first")
    with _store(first):
        assert mlflow.get_tracking_uri() == first == mlflow.get_registry_uri()
    assert "MLFLOW_TRACKING_URI" not in os.environ and "MLFLOW_REGISTRY_URI" not in os.environ
    assert (
        tracking_uri(tmp_path / "second")
        == f"sqlite:///{(tmp_path / 'second').resolve()}/mlflow.db"
    )

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")  # the user's own
    with _store(first):
        assert os.environ["MLFLOW_TRACKING_URI"] == first
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://127.0.0.1:5000"
    assert mlflow.get_tracking_uri() == "http://127.0.0.1:5000"


def _about(spec) -> dict:
    """What a bundle says besides its members and steps, for a hand-made one."""
    return {
        "dataset": spec.name,
        "candidate": "ensemble",
        "spec": spec.model_dump(mode="json"),
        "max_fill_steps": 2,
        "on_long_gap": "fail",
    }
