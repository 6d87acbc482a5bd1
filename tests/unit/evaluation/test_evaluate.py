"""Metrics, leaderboard, champion rule and drift profile on numbers checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqcast.data.windows import WindowSet
from seqcast.evaluation.leaderboard import Candidate, choose_champion, feature_profile, leaderboard
from seqcast.evaluation.metrics import METRICS, evaluate
from seqcast.models import catalog
from seqcast.models import forecaster as fc


def test_metrics_by_hand():
    """y = [0, 2, 4], yhat = [1, 2, 2]: MAE 1, RMSE sqrt(5/3), R² 1 - 5/8, WAPE 50 %."""
    m = evaluate(np.array([0.0, 2.0, 4.0]), np.array([1.0, 2.0, 2.0]), persistence_mae=2.0)
    assert m["mae"] == pytest.approx(1.0)
    assert m["rmse"] == pytest.approx(math.sqrt(5 / 3))
    assert m["r2"] == pytest.approx(1 - 5 / 8)
    assert m["mase"] == pytest.approx(0.5)
    assert m["wape"] == pytest.approx(50.0)  # defined although one true value is 0


def test_metrics_reject_non_finite_predictions():
    """A NaN prediction is an error, never silently scored."""
    with pytest.raises(ValueError, match="NaN"):
        evaluate(np.array([1.0, 2.0]), np.array([1.0, np.nan]), 1.0)


FOLDS = ["fold-1", "fold-2"]


def _board(deep_mae: float):
    truth = {f: np.array([0.0, 10.0]) for f in [*FOLDS, "test"]}
    pers = {s: np.array([2.0, 8.0]) for s in truth}  # MAE 2
    seas = {s: np.array([1.0, 9.0]) for s in truth}  # MAE 1
    deep = {s: np.array([deep_mae, 10.0 - deep_mae]) for s in truth}
    cands = [
        Candidate("persistence", "reference", pers),
        Candidate("seasonal-naive", "reference", seas),
        Candidate("lstm", "deep", deep),
    ]
    return leaderboard(cands, truth, pers, FOLDS)


def test_champion_must_beat_the_references_on_the_backtest():
    """MAE 0.5 beats persistence (2) and seasonal-naive (1): promoted. MAE 1.5 does not."""
    board = _board(0.5)
    assert [e["name"] for e in board] == ["lstm", "seasonal-naive", "persistence"]
    assert board[0]["backtest"]["mase"] == pytest.approx(0.25)
    assert board[0]["backtest"]["fold_mae"] == [0.5, 0.5]
    assert board[0]["val"]["mae"] == pytest.approx(0.5)  # the newest fold
    assert choose_champion(board) == (
        "lstm",
        "lstm has the lowest mean backtest MAE of the deep candidates (0.5) and beats every "
        "reference on the backtest",
        "deep",
    )
    name, reason, policy = choose_champion(_board(1.5), require_deep=True)
    assert (name, policy) == (None, "deep")
    assert "does not beat seasonal-naive" in reason and reason.endswith("nothing promoted")


def test_without_a_qualifying_deep_candidate_the_best_of_all_is_the_fallback():
    """lstm MAE 1.5 loses to seasonal-naive (1) but beats persistence (2): seasonal-naive has
    the lowest backtest MAE of all and is promoted as the fallback, 1 / 1.5 = 33 % ahead; the
    reason says so once (that lstm does not beat seasonal-naive is the same fact again)."""
    name, reason, policy = choose_champion(_board(1.5))
    assert (name, policy) == ("seasonal-naive", "fallback")
    assert reason == (
        "fallback: seasonal-naive (backtest MAE 1) beat every deep candidate on the backtest, "
        "the best of them lstm (1.5) by 33 %"
    )


def test_unavailable_reference_is_kept_without_metrics():
    """A reference with NaN predictions is listed as unavailable, and blocks the strict rule."""
    truth = {f: np.array([1.0, 3.0]) for f in [*FOLDS, "test"]}
    pers = {s: np.array([1.5, 2.0]) for s in truth}
    board = leaderboard(
        [
            Candidate("persistence", "reference", pers),
            Candidate("seasonal-naive", "reference", {s: np.array([np.nan, 1.0]) for s in truth}),
            Candidate("gru", "deep", {s: np.array([1.0, 2.5]) for s in truth}),
        ],
        truth,
        pers,
        FOLDS,
    )
    seas = next(e for e in board if e["name"] == "seasonal-naive")
    assert seas["backtest"] is None and "non-finite" in seas["unavailable"]
    assert choose_champion(board, require_deep=True)[0] is None
    # the deep candidate cannot be checked against it: served only as the fallback
    name, reason, policy = choose_champion(board)
    assert (name, policy) == ("gru", "fallback")
    assert reason == (
        "fallback: gru has the lowest backtest MAE of all (0.25) but is served as the "
        "fallback: seasonal-naive could not be evaluated, so gru cannot be checked"
    )


def test_feature_profile_flags_drift():
    """A test mean two training standard deviations away is flagged; val is not."""
    train = np.array([[0.0], [2.0]])  # mean 1, std 1
    prof = feature_profile(
        {"train": train, "val": np.array([[1.0], [1.2]]), "test": np.array([[3.0], [3.0]])}, ["a"]
    )
    assert prof[0]["train"] == {"mean": 1.0, "std": 1.0, "min": 0.0, "max": 2.0}
    assert prof[0]["drift"] == "test (2.00 sd)"


def test_naive_references_forecast_from_the_history_up_to_each_origin():
    """A series whose value is its row number, origins at rows 100..104, steps 1 and 2,
    season 24: persistence is the origin's value, seasonal-naive the value one season before
    each target (origin + s - 24), drift the origin's value carried on by the mean change of
    1 a row (origin + s); ridge and gradient boosting give one column per step."""
    rng = np.random.default_rng(0)

    def ws(n):  # two steps per window
        return WindowSet(
            x=rng.normal(size=(n, 3, 2)).astype(np.float32),
            y=np.zeros((n, 2), np.float32),
            y_raw=rng.normal(size=(n, 2)),
            target_time=np.stack([np.arange(n), np.arange(n) + 1], 1).astype("datetime64[h]"),
            covariates=rng.normal(size=(n, 2, 1)).astype(np.float32),  # (samples, steps, cov)
            feature_names=["a", "b"],
            covariate_names=["c"],
            meta={"steps": [1, 2]},
            y_last_raw=100.0 + np.arange(n),
            origin_row=100 + np.arange(n),
            history=np.arange(200, dtype=float),  # (rows,): row r holds r
        )

    val = ws(5)
    units = {"season": 24, "steps": [1, 2]}
    preds = {}
    for name in ("persistence", "seasonal-naive", "drift", "ridge", "gradient-boosting"):
        model = catalog.create(name, fc.Settings(seed=0, units=units))
        model.fit(ws(30))
        preds[name] = model.predict(val)
    origins = [100 + i for i in range(5)]
    assert preds["persistence"].tolist() == [[o, o] for o in origins]  # the origin's value
    assert preds["seasonal-naive"].tolist() == [[o + 1 - 24, o + 2 - 24] for o in origins]
    assert preds["drift"].tolist() == [[o + 1, o + 2] for o in origins]
    assert preds["ridge"].shape == preds["gradient-boosting"].shape == (5, 2)


def test_fitted_references_run_on_the_threads_they_are_given(monkeypatch):
    """Gradient boosting fits each step's LightGBM model on one thread, ``threads`` of them at
    once (never more, whatever the cores), and its forecast is the same bits on 1 thread and
    on 2."""
    import threading
    import time

    import lightgbm as lgb

    real, lock = lgb.train, threading.Lock()
    seen: list[int] = []  # each model's own thread count
    running, peak = [0], [0]

    def recording(params, data, *args, **kwargs):
        with lock:
            seen.append(params["num_threads"])
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)  # long enough for models fitted side by side to overlap
            return real(params, data, *args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(lgb, "train", recording)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4, 3)).astype(np.float32)  # (samples, timesteps, features)
    y = x[:, -1, 0] * 3.0 + np.sin(x[:, 0, 1])
    ws = WindowSet(
        x=x,
        y=np.zeros((300, 4), np.float32),
        y_raw=np.stack([y + s for s in range(4)], axis=1),  # (samples, 4 steps)
        target_time=np.arange(300).astype("datetime64[h]")[:, None] + np.arange(4),
        covariates=np.zeros((300, 4, 1), np.float32),
        feature_names=["a", "b", "c"],
        covariate_names=["c"],
        meta={},
    )
    peaks = []
    models = []
    for threads in (1, 2):
        peak[0] = 0
        model = catalog.create("gradient-boosting", fc.Settings(seed=0, threads=threads))
        model.fit(ws)
        peaks.append(peak[0])
        models.append(model)
    assert seen == [1] * 8 and peaks == [1, 2]
    np.testing.assert_array_equal(models[0].predict(ws), models[1].predict(ws))


def test_path_metrics_are_per_step_and_their_mean():
    from seqcast.evaluation.metrics import evaluate_path

    actual = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])  # (samples, steps)
    predicted = np.array([[2.0, 10.0], [2.0, 26.0], [1.0, 30.0]])
    got = evaluate_path(actual, predicted, np.array([1.0, 4.0]))
    # step 1: errors 1, 0, -2 -> MAE 1; step 2: 0, 6, 0 -> MAE 2; mean 1.5
    assert [s["mae"] for s in got["by_step"]] == [1.0, 2.0] and got["mae"] == 1.5
    assert [s["mase"] for s in got["by_step"]] == [1.0, 0.5] and got["mase"] == 0.75
    # one step: exactly the single-step figures
    one = evaluate_path(actual[:, 0], predicted[:, 0], 1.0)
    assert {m: one[m] for m in METRICS} == evaluate(actual[:, 0], predicted[:, 0], 1.0)
    with pytest.raises(ValueError, match="shape mismatch"):
        evaluate_path(actual, predicted[:, :1], 1.0)


def test_the_champions_label_says_how_deep_the_ensemble_is():
    """An ensemble of multi-input 0.11, theta 0.33, arima 0.33 and lag-boosting 0.22 is 11 %
    deep, and its label says of what; a deep candidate is all deep, a reference not at all."""
    from seqcast.evaluation.leaderboard import champion_label, deep_share

    board = [
        {"name": "multi-input", "kind": "deep"},
        {"name": "theta", "kind": "reference"},
        {"name": "arima", "kind": "reference"},
        {"name": "lag-boosting", "kind": "reference"},
        {
            "name": "ensemble",
            "kind": "ensemble",
            "weights": {"multi-input": 0.11, "theta": 0.33, "arima": 0.34, "lag-boosting": 0.22},
        },
    ]
    assert deep_share(board, "ensemble") == pytest.approx(0.11)
    assert champion_label(board, "ensemble") == (
        "ensemble (11 % deep: multi-input 0.11; theta 0.33, arima 0.34, lag-boosting 0.22)"
    )
    assert (deep_share(board, "multi-input"), deep_share(board, "theta")) == (1.0, 0.0)
    assert champion_label(board, "theta") == "theta"
