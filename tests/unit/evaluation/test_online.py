"""Intervals that adapt online: the quantile-tracking update on a literal stream of residuals,
no actual after an origin reaching that origin's offsets, the rate chosen on the backtest only,
and a drifting error scale tracked where the static offsets miss."""

from __future__ import annotations

import numpy as np
import pytest

from seqcast.evaluation.calibration import Grouping, online_report
from seqcast.evaluation.intervals import Intervals
from seqcast.evaluation.online import Tracker, catch_up, clocks_of, stream_scores, walk


def one_step(lower: float, upper: float, level: float = 0.8) -> Intervals:
    return Intervals((level,), {level: np.array([lower])}, {level: np.array([upper])})


def test_the_update_on_a_literal_stream():
    # level 0.8: tail 0.1; width 2 and rate 0.5: every move is 1 * (miss - 0.1)
    tracker = Tracker.start(one_step(-1.0, 1.0), groups=1, rate=0.5)
    zero = np.array([0])
    seen = []
    for r in [2.0, 0.0, -3.0]:
        tracker.update(zero, zero, np.array([r]))
        seen.append((tracker.lower[0.8][0, 0], tracker.upper[0.8][0, 0]))
    # r = 2 misses above: upper 1 + 0.9 = 1.9; lower not missed: -1 + 0.1 = -0.9
    # r = 0 misses neither: upper 1.9 - 0.1 = 1.8, lower -0.9 + 0.1 = -0.8
    # r = -3 misses below: lower -0.8 - 0.9 = -1.7, upper 1.8 - 0.1 = 1.7
    np.testing.assert_allclose(seen, [(-0.9, 1.9), (-0.8, 1.8), (-1.7, 1.7)])


def test_rate_zero_keeps_the_static_offsets():
    rng = np.random.default_rng(0)
    res = rng.normal(size=(50, 1)) * 5
    origin, known = clocks_of(None, 50, [1])
    out = walk(Tracker.start(one_step(-1.0, 1.0), 1, 0.0), origin, known, res)
    assert np.all(out[0.8][0] == -1.0) and np.all(out[0.8][1] == 1.0)


def test_each_origin_learns_only_the_actuals_known_at_it():
    # 4 origins on rows 0..3, steps 1 and 2: pair (j, s) is known from origin j + s on
    res = np.array([[5.0, 5.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    origin, known = clocks_of(None, 4, [1, 2])
    iv = Intervals(
        (0.8,), {0.8: np.array([-1.0, -1.0])}, {0.8: np.array([1.0, 1.0])}
    )  # width 2, rate 0.5: moves of 1 * (miss - 0.1)
    lo, hi = walk(Tracker.start(iv, 1, 0.5), origin, known, res)[0.8]
    # origin 0 knows nothing; origin 1 knows (0, step 1) = 5: step 1's upper 1.9
    # origin 2 also knows (0, step 2) = 5 and (1, step 1) = 0: step 2's upper 1.9, step 1's 1.8
    np.testing.assert_allclose(hi, [[1.0, 1.0], [1.9, 1.0], [1.8, 1.9], [1.7, 1.8]])
    assert lo[1].tolist() == pytest.approx([-0.9, -1.0])
    # a residual known only after origin 2 cannot change what origins 0..2 are served
    later = res.copy()
    later[2, 0] = later[1, 1] = 100.0  # known from origin 3 on
    hi2 = walk(Tracker.start(iv, 1, 0.5), origin, known, later)[0.8][1]
    assert hi2[:3].tolist() == hi[:3].tolist()
    assert hi2[3].tolist() != hi[3].tolist()


def test_a_gap_in_the_origins_is_read_from_their_rows():
    # origins on rows 0, 1, 5 (rows 2..4 dropped): at row 5 both steps of rows 0 and 1 are known
    res = np.array([[5.0, 5.0], [5.0, 5.0], [0.0, 0.0]])
    origin, known = clocks_of(np.array([0, 1, 5]), 3, [1, 2])
    iv = Intervals((0.8,), {0.8: np.array([-1.0, -1.0])}, {0.8: np.array([1.0, 1.0])})
    hi = walk(Tracker.start(iv, 1, 0.5), origin, known, res)[0.8][1]
    assert hi[2].tolist() == pytest.approx([2.8, 2.8])  # two misses each: 1 + 0.9 + 0.9


def test_groups_adapt_their_own_cells_and_start_from_their_own_offsets():
    iv = Intervals(
        (0.8,), {0.8: np.array([-1.0])}, {0.8: np.array([1.0])}, {0.8: [{1: (-3.0, 3.0)}]}
    )
    tracker = Tracker.start(iv, groups=2, rate=0.5)
    assert tracker.upper[0.8].tolist() == [[1.0, 3.0]]  # group 0 falls back to the step's
    catch_up(tracker, np.array([1, 2]), np.array([0, 0]), np.array([1, 1]), np.array([10.0, 10.0]))
    # two misses in group 1 (width 6, eta 3): 3 + 2.7 + 2.7; group 0 untouched
    assert tracker.upper[0.8][0].tolist() == pytest.approx([1.0, 8.4])


def test_online_offsets_track_a_drifting_error_scale_that_static_ones_miss():
    rng = np.random.default_rng(1)
    n = 3000
    scale = np.where(np.arange(n) < 1000, 1.0, 3.0)[:, None]  # the errors triple after 1000
    res = rng.normal(size=(n, 1)) * scale
    origin, known = clocks_of(None, n, [1])
    start = one_step(-1.2816, 1.2816)  # the 80 % offsets of N(0, 1)
    static = stream_scores(res, np.zeros_like(res), start, 0.0, origin, known, None)
    online = stream_scores(res, np.zeros_like(res), start, 0.02, origin, known, None)
    assert static["80"]["coverage"] < 0.55
    assert abs(online["80"]["coverage"] - 0.8) < 0.05
    assert online["80"]["winkler"] < static["80"]["winkler"]


def test_the_rate_is_chosen_on_the_backtest_and_test_plays_no_part():
    rng = np.random.default_rng(2)
    n = 600
    fits = ["fold-1", "fold-2", "fold-3", "test"]
    truth = {f: rng.normal(size=(n, 1)) * (1.0 + k) for k, f in enumerate(fits)}  # drifts
    preds = {f: np.zeros((n, 1)) for f in fits}
    clocks = {f: clocks_of(None, n, [1]) for f in fits}
    folds = fits[:3]
    report = online_report(preds, truth, folds, (0.8,), None, None, clocks)
    assert report["rate"] > 0  # the folds drift, so a moving offset scores better there
    assert report["by_rate"]["0.0"] > min(report["by_rate"].values())
    other = {**truth, "test": truth["test"] * 0.01}  # a different test period
    assert online_report(preds, other, folds, (0.8,), None, None, clocks)["rate"] == report["rate"]
    assert set(report["test"]["80"]) >= {"coverage", "coverage_by_step", "winkler"}


def test_the_champion_gets_an_online_report_and_its_served_rate():
    from seqcast.evaluation.calibration import calibrate
    from seqcast.evaluation.selection import Ranking

    rng = np.random.default_rng(3)
    n, fits = 480, ["fold-1", "fold-2", "test"]
    truth = {f: rng.normal(size=(n, 2)) + 10 for f in fits}
    preds = {f: np.full((n, 2), 10.0) for f in fits}
    hours = np.tile(np.arange(24), n // 24)[:, None].repeat(2, axis=1)
    board = [{"name": "m", "kind": "deep", "backtest": {"mae": 1.0}}]
    ranking = Ranking(board, "m", "why", {}, {"m": preds})
    clocks = {f: clocks_of(None, n, [1, 2]) for f in fits}
    out = calibrate(
        ranking, truth, fits[:2], (0.8, 0.95), None, Grouping("hour", dict.fromkeys(fits, hours)),
        clocks,
    )  # fmt: skip
    entry = out.board[0]["intervals"]
    assert entry["online"]["rate"] == out.intervals["online"]["rate"]
    assert set(entry["online"]["by_rate"]) == {
        "0.0",
        "0.005",
        "0.01",
        "0.02",
        "0.05",
        "0.1",
        "0.2",
        "0.5",
    }
    assert set(entry["online"]["backtest"]) == {"80", "95"}


def test_serving_adapts_the_offsets_on_the_scored_forecasts_in_the_order_they_arrived():
    from types import SimpleNamespace

    import pandas as pd

    from seqcast.serving.predict import _bounds

    iv = Intervals((0.8,), {0.8: np.array([-1.0, -1.0])}, {0.8: np.array([1.0, 1.0])})
    doc = {**iv.to_dict(), "method": "global", "group": None}
    spec = SimpleNamespace(time_index=SimpleNamespace(frequency="weekly"))
    times = np.array([["2024-03-04", "2024-03-11"]], "datetime64[ns]")
    value = np.array([[10.0, 10.0]])
    history = pd.DataFrame(  # two step-1 forecasts 5 below their actuals, one step-2 forecast on
        {
            "step": [1, 1, 2],
            "target_time": pd.to_datetime(["2024-02-19", "2024-02-26", "2024-02-26"]),
            "prediction": [0.0, 0.0, 0.0],
            "actual": [5.0, 5.0, 0.0],
        }
    )
    static = _bounds(SimpleNamespace(intervals=doc, steps=[1, 2]), spec, value, times, history)
    assert static["80"][1].tolist() == [[11.0, 11.0]]  # no online rate: the static offsets
    online = {**doc, "online": {"rate": 0.5}}  # width 2: moves of 1 * (miss - 0.1)
    got = _bounds(SimpleNamespace(intervals=online, steps=[1, 2]), spec, value, times, history)
    # step 1 missed twice above (1 + 0.9 + 0.9), step 2 once inside (1 - 0.1)
    np.testing.assert_allclose(got["80"][1], [[12.8, 10.9]])
    np.testing.assert_allclose(got["80"][0], [[9.2, 9.1]])  # lower: -1 + 0.1 + 0.1; -1 + 0.1


def test_a_replay_serves_each_origin_bounds_learnt_only_from_actuals_before_it():
    import pandas as pd

    from seqcast.serving.predict import with_online_bounds

    iv = Intervals((0.8,), {0.8: np.array([-1.0, -1.0])}, {0.8: np.array([1.0, 1.0])})
    doc = {**iv.to_dict(), "group": None, "online": {"rate": 0.5}}
    origins = pd.date_range("2024-01-01", periods=4, freq="7D")
    rows = pd.DataFrame(
        {
            "origin_time": origins.repeat(2),
            "step": [1, 2] * 4,
            "target_time": [t + pd.Timedelta(days=7 * s) for t in origins for s in (1, 2)],
            "prediction": 0.0,
            "actual": [5.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    got = with_online_bounds(rows, doc, "weekly", [1, 2])
    # as in the walk above: origin 1 knows (0, step 1); origin 2 also (0, step 2) and (1, step 1)
    np.testing.assert_allclose(got["upper_online_80"], [1.0, 1.0, 1.9, 1.0, 1.8, 1.9, 1.7, 1.8])
    later = rows.assign(actual=[5.0, 5.0, 0.0, 100.0, 100.0, 0.0, 0.0, 0.0])  # known at 3
    again = with_online_bounds(later, doc, "weekly", [1, 2])
    assert again["upper_online_80"][:6].tolist() == got["upper_online_80"][:6].tolist()
    static = with_online_bounds(rows, {**doc, "online": {"rate": 0.0}}, "weekly", [1, 2])
    assert (static["upper_online_80"] == 1.0).all()


def test_serving_never_learns_an_actual_at_or_after_the_new_paths_first_target():
    """A scored row whose target lies at the new path's first target or later (a source
    rolled back behind scored.parquet) is left out: the offsets are the static ones."""
    from types import SimpleNamespace

    import pandas as pd

    from seqcast.serving.predict import _bounds

    iv = Intervals((0.8,), {0.8: np.array([-1.0])}, {0.8: np.array([1.0])})
    doc = {**iv.to_dict(), "group": None, "online": {"rate": 0.5}}
    spec = SimpleNamespace(time_index=SimpleNamespace(frequency="weekly"))
    times = np.array([["2024-03-04"]], "datetime64[ns]")
    later = pd.DataFrame(
        {
            "step": [1, 1],
            "target_time": pd.to_datetime(["2024-03-04", "2024-03-11"]),
            "prediction": [0.0, 0.0],
            "actual": [5.0, 5.0],
        }
    )
    bundle = SimpleNamespace(intervals=doc, steps=[1])
    got = _bounds(bundle, spec, np.array([[10.0]]), times, later)
    assert got["80"][1].tolist() == [[11.0]]


def test_a_replay_summary_counts_only_forecasts_that_had_bounds():
    import pandas as pd

    from seqcast.evaluation.replay import Walk, summary

    scored = pd.DataFrame(
        {
            "origin_time": pd.to_datetime(["2024-01-01"] * 2 + ["2024-01-02"] * 2),
            "step": [1, 2, 1, 2],
            "target_time": pd.to_datetime(["2024-01-02", "2024-01-03"] * 2),
            "prediction": 0.0,
            "actual": [0.0, 5.0, 0.0, 0.0],
            "error": [0.0, -5.0, 0.0, 0.0],
            "version": [1, 1, 2, 2],
            "lower_80": [-1.0, -1.0, np.nan, np.nan],  # version 2 served no intervals
            "upper_80": [1.0, 1.0, np.nan, np.nan],
            "lower_online_80": [-1.0, -1.0, np.nan, np.nan],
            "upper_online_80": [1.0, 6.0, np.nan, np.nan],
        }
    )
    got = summary(Walk(scored, scored))
    assert got["coverage_80"] == 0.5 and got["coverage_online_80"] == 1.0
    assert got["worst_step_80"] == {"static": pytest.approx(0.8), "online": pytest.approx(0.2)}
    empty = summary(Walk(scored.iloc[0:0], scored.iloc[0:0]))
    assert empty["coverage_80"] is None and "coverage_online_80" not in empty
