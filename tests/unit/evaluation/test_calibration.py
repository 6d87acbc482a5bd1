"""Intervals for ranked candidates: each fold scored with intervals it never saw, the method
(global or by hour of day) chosen on the backtest only, the champion's served intervals from
every fold's and the test period's residuals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast.evaluation.calibration import (
    Grouping,
    calendar_groups,
    calibrate,
    candidate_intervals,
    group_name,
)
from seqcast.evaluation.intervals import Intervals
from seqcast.evaluation.selection import Ranking

FOLDS = ["fold-1", "fold-2"]
N, STEPS = 2400, 2  # windows per fit: 100 days of hours


def hourly(seed: int, noisy_peak: bool = True):
    """Truth and forecast for every fit: errors N(0, 1) at night, N(0, 10) from 16:00 to
    19:00 (the peak), for both steps; each fit's hours 0..23 repeating."""
    rng = np.random.default_rng(seed)
    hours = np.tile(np.arange(24), N // 24)[:, None].repeat(STEPS, axis=1)  # (N, steps)
    scale = np.where((hours >= 16) & (hours <= 19), 10.0 if noisy_peak else 1.0, 1.0)
    truth, preds, groups = {}, {}, {}
    for fit in [*FOLDS, "test"]:
        truth[fit] = rng.normal(size=(N, STEPS)) * scale + 100.0
        preds[fit] = np.full((N, STEPS), 100.0)
        groups[fit] = hours
    return truth, preds, Grouping("hour of day", groups)


def test_calendar_groups_are_the_target_hours_for_hourly_data_only():
    times = np.array([["2024-01-01T03", "2024-01-01T04"]], "datetime64[ns]")
    assert calendar_groups(times, "hourly").tolist() == [[3, 4]]
    assert calendar_groups(times, "daily").tolist() == [[0, 0]]  # a Monday
    assert calendar_groups(times, "weekly") is None
    assert (group_name("hourly"), group_name("weekly")) == ("hour of day", None)


def test_errors_ten_times_larger_at_the_peak_choose_intervals_by_hour_on_the_backtest():
    """Global intervals are too wide at night and too narrow at the peak; by hour of day each
    group is covered near 80 %, and its interval score is lower on the backtest, so it is
    chosen; the test scores use intervals fitted on the folds only."""
    truth, preds, grouping = hourly(0)
    report, served, on_test = candidate_intervals(preds, truth, FOLDS, (0.8, 0.95), None, grouping)
    assert report["method"] == "by hour of day"
    scores = report["methods"]
    assert scores["by hour of day"]["backtest"] < scores["global"]["backtest"]
    peak = [report["test"]["80"]["coverage_by_group"][str(h)] for h in (16, 17, 18, 19)]
    night = [report["test"]["80"]["coverage_by_group"][str(h)] for h in (2, 3, 4)]
    assert all(abs(c - 0.8) < 0.1 for c in peak + night)
    assert abs(report["test"]["80"]["coverage"] - 0.8) < 0.03
    assert abs(report["test"]["95"]["coverage"] - 0.95) < 0.02
    assert served.by_group and on_test.by_group


def test_with_even_errors_the_global_intervals_are_kept():
    """Same noise every hour: grouping only adds noise to the offsets, so global wins."""
    truth, preds, grouping = hourly(1, noisy_peak=False)
    report, _, _ = candidate_intervals(preds, truth, FOLDS, (0.8,), None, grouping)
    assert report["method"] == "global"


def test_one_fold_scores_nothing_on_the_backtest_and_stays_global():
    truth, preds, grouping = hourly(2)
    report, _, _ = candidate_intervals(preds, truth, ["fold-1"], (0.8,), None, grouping)
    assert report["backtest"] is None and report["method"] == "global"
    assert report["test"]["80"]["coverage"] == pytest.approx(0.8, abs=0.05)


def test_later_folds_are_scored_with_intervals_fitted_on_earlier_folds_only():
    """fold-1's residuals are all 0, fold-2's all 5: fold-2 is scored with zero-width
    intervals (coverage 0); the test with intervals from both folds; the served ones also
    see the test residuals (all 7), so their upper offset reaches 7."""
    truth = {f: np.full((40, 1), v) for f, v in (("fold-1", 0.0), ("fold-2", 5.0), ("test", 7.0))}
    preds = {f: np.zeros((40, 1)) for f in truth}
    report, served, on_test = candidate_intervals(preds, truth, FOLDS, (0.8,), None, None)
    assert report["backtest"]["80"]["coverage"] == 0.0
    assert on_test.upper[0.8].tolist() == [5.0] and on_test.lower[0.8].tolist() == [0.0]
    assert served.upper[0.8].tolist() == [7.0]


def test_calibrate_stores_the_champions_served_intervals_and_skips_unavailable_entries():
    truth, preds, grouping = hourly(3)
    board = [
        {"name": "ensemble", "kind": "ensemble", "backtest": {"mae": 1.0}},
        {"name": "seasonal-naive", "kind": "reference", "backtest": None, "unavailable": "x"},
    ]
    ranking = Ranking(board, "ensemble", "why", {}, {"ensemble": preds})
    got = calibrate(ranking, truth, FOLDS, (0.8, 0.95), 0.0, grouping)
    assert "intervals" in got.board[0] and "intervals" not in got.board[1]
    doc = got.intervals
    assert doc["method"] == "by hour of day" and doc["group"] == "hour of day"
    back = Intervals.from_dict(doc)
    assert back.levels == (0.8, 0.95) and back.minimum == 0.0
    hours = pd.DatetimeIndex(["2024-01-01 17:00", "2024-01-01 03:00"]).hour.to_numpy()
    lo, hi = back.bounds(np.full((2, STEPS), 100.0), np.repeat(hours[:, None], STEPS, 1))[0.8]
    assert (hi - lo)[0, 0] > 5 * (hi - lo)[1, 0]  # the peak's band is far wider
