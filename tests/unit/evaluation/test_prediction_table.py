"""The run's predictions.parquet: every candidate's prediction of every scored window, with
the target times of its fit written out by hand, and the leaderboard's figures recomputable
from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast.data.windows import WindowSet
from seqcast.evaluation.selection import rank
from seqcast.report.documents import prediction_table


def windows(first: int, n: int) -> WindowSet:
    """Windows ``first`` .. ``first + n - 1``: window i targets hour i with the value 10 * i."""
    i = np.arange(first, first + n)
    return WindowSet(
        x=np.zeros((n, 2, 1), np.float32),  # (samples, timesteps, features)
        y=(10.0 * i).astype(np.float32)[:, None],  # (samples, 1 step)
        y_raw=10.0 * i[:, None],
        target_time=(np.datetime64("2024-01-01T00", "h") + i)[:, None],
        covariates=np.zeros((n, 1, 0), np.float32),
        feature_names=["a"],
        covariate_names=[],
        meta={"horizon": 1},
    )


# 10 training, 5 validation and 5 test windows, 2 folds, horizon 1: fold-1 scores windows
# 5..9, fold-2 windows 10..14 (the validation split), the refit before the test 15..19
SPLITS = {"train": windows(0, 10), "val": windows(10, 5), "test": windows(15, 5)}
SCORED = {"fold-1": range(5, 10), "fold-2": range(10, 15), "test": range(15, 20)}
TRUTH = {fit: 10.0 * np.array(rows) for fit, rows in SCORED.items()}


def off(by: float) -> dict[str, np.ndarray]:
    """Wrong by ``by`` on every window (alternating sign)."""
    return {fit: t + by * np.array([1.0, -1.0, 1.0, -1.0, 1.0]) for fit, t in TRUTH.items()}


def test_every_candidate_has_every_scored_window_at_its_target_time():
    refs = {"persistence": off(8), "seasonal-naive": off(9), "ridge": off(6)}
    refs["gradient-boosting"] = off(5)
    lstm = {1: off(2), 2: off(-4)}  # opposite signs: their mean errs by 1
    ranking = rank({"lstm": lstm, "gru": {1: off(3)}}, refs, TRUTH, ["fold-1", "fold-2"], 1, 4)
    table = prediction_table(ranking, SPLITS, 2)

    assert list(table.columns) == [
        "model",
        "kind",
        "fit",
        "first_target",
        "step",
        "target_time",
        "actual",
        "predicted",
        "error",
    ]
    assert list(dict.fromkeys(table["model"])) == [e["name"] for e in ranking.board]
    assert len(table) == len(ranking.board) * 15
    hour = pd.Timestamp("2024-01-01 00:00")
    for model, rows in table.groupby("model", sort=False):
        assert list(rows["fit"]) == ["fold-1"] * 5 + ["fold-2"] * 5 + ["test"] * 5
        hours = ((rows["target_time"] - hour) / pd.Timedelta(hours=1)).tolist()
        assert hours == list(range(5, 20)), model  # no window twice, none missing
        assert rows["actual"].tolist() == [10.0 * h for h in range(5, 20)]
    lstm_x2 = table[table["model"] == "lstm-x2"]
    assert (lstm_x2["error"].abs() == 1.0).all()
    np.testing.assert_allclose(table["error"], table["predicted"] - table["actual"])


def test_the_leaderboard_figures_are_recomputable_from_the_table():
    refs = {"persistence": off(8), "seasonal-naive": off(9), "ridge": off(6)}
    refs["gradient-boosting"] = off(5)
    ranking = rank({"gru": {1: off(3)}}, refs, TRUTH, ["fold-1", "fold-2"], 1, 0)
    table = prediction_table(ranking, SPLITS, 2)
    mae = table.groupby(["model", "fit"], sort=False)["error"].apply(lambda e: e.abs().mean())
    for e in ranking.board:
        assert [mae[(e["name"], f)] for f in ("fold-1", "fold-2")] == pytest.approx(
            e["backtest"]["fold_mae"]
        )
        assert mae[(e["name"], "test")] == pytest.approx(e["test"]["mae"])
