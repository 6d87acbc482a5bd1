"""Scoring served forecasts against the actuals as they arrive: by hand, on three rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast.evaluation.live import observed_actuals, score

T = pd.Timestamp("2024-01-01 00:00")
H = pd.Timedelta(hours=1)
NOW = pd.Timestamp("2024-01-02 06:00")


def served() -> pd.DataFrame:
    """One origin (T), three steps: forecasts 10, 12, 14 for T+1h, T+2h, T+3h."""
    return pd.DataFrame(
        {
            "model": "gru",
            "origin_time": T,
            "step": [1, 2, 3],
            "target_time": [T + H, T + 2 * H, T + 3 * H],
            "prediction": [10.0, 12.0, 14.0],
            "lower_80": [8.0, 9.0, 10.0],
            "upper_80": [12.0, 15.0, 18.0],
        }
    )


def test_rows_are_scored_once_their_actual_exists_and_only_once():
    """Actuals 11 and 15 at T+1h and T+2h: errors -1 and -3 (forecast minus actual); T+3h
    waits. Scoring again with the same data adds nothing and changes nothing."""
    actuals = pd.Series([11.0, 15.0], index=[T + H, T + 2 * H])
    first = score(served(), actuals, None, NOW)
    assert (first.added, first.waiting, first.revisions) == (2, 1, [])
    assert first.scored["step"].tolist() == [1, 2]
    assert first.scored["actual"].tolist() == [11.0, 15.0]
    assert first.scored["error"].tolist() == [-1.0, -3.0]
    assert first.scored["lower_80"].tolist() == [8.0, 9.0]  # the bands travel with the row
    assert (first.scored["scored_at"] == NOW).all()
    again = score(served(), actuals, first.scored, NOW + H)
    assert (again.added, again.revisions) == (0, [])
    pd.testing.assert_frame_equal(again.scored, first.scored)


def test_a_revised_actual_is_rescored_and_reported_never_silently_rewritten():
    """The source now says 13 at T+2h (it said 15): the row's actual and error change (error
    -1), the old value stays in revised_from, and the revision is returned for the log; the
    other row is untouched. The third actual (20) arrives at the same time: added."""
    first = score(served(), pd.Series([11.0, 15.0], index=[T + H, T + 2 * H]), None, NOW)
    later = NOW + 5 * H
    actuals = pd.Series([11.0, 13.0, 20.0], index=[T + H, T + 2 * H, T + 3 * H])
    out = score(served(), actuals, first.scored, later)
    assert out.added == 1 and out.waiting == 0
    (rev,) = out.revisions
    assert (rev.step, rev.before, rev.after, rev.target_time) == (2, 15.0, 13.0, T + 2 * H)
    assert "15 -> 13" in rev.line()
    rows = out.scored.set_index("step")
    assert rows.loc[2, "actual"] == 13.0 and rows.loc[2, "error"] == -1.0
    assert rows.loc[2, "revised_from"] == 15.0 and rows.loc[2, "revised_at"] == later
    assert rows.loc[2, "scored_at"] == NOW  # first scored then
    assert np.isnan(rows.loc[1, "revised_from"]) and rows.loc[1, "scored_at"] == NOW
    assert rows.loc[3, "error"] == -6.0 and rows.loc[3, "scored_at"] == later


def test_interpolated_and_missing_values_are_not_actuals():
    """The clean stage filled T+2h and T+3h is empty: only T+1h is an actual."""
    clean = pd.DataFrame({"time": [T + H, T + 2 * H, T + 3 * H], "y": [11.0, 12.5, np.nan]})
    actuals = observed_actuals(clean, "y", [str(T + 2 * H)])
    assert actuals.to_dict() == {T + H: 11.0}
    out = score(served(), actuals, None, NOW)
    assert out.scored["step"].tolist() == [1] and out.waiting == 2


@pytest.mark.parametrize("before", [None, "empty"])
def test_nothing_due_gives_an_empty_store(before):
    empty = None if before is None else score(served(), pd.Series(dtype=float), None, NOW).scored
    out = score(served(), pd.Series(dtype=float), empty, NOW)
    assert out.added == 0 and out.scored.empty and out.waiting == 3


def _scored_rows(errors_by_step: dict[int, list[float]], actual: float = 100.0) -> pd.DataFrame:
    """Origins every hour; each step's errors in origin order; 80 % bands of +-5."""
    rows = []
    for step, errors in errors_by_step.items():
        for i, e in enumerate(errors):
            origin = T + i * H
            rows.append(
                {
                    "origin_time": origin,
                    "step": step,
                    "target_time": origin + step * H,
                    "prediction": actual + e,
                    "actual": actual,
                    "error": e,
                    "lower_80": actual + e - 5,
                    "upper_80": actual + e + 5,
                }
            )
    return pd.DataFrame(rows)


def test_live_quality_by_hand_against_the_promise():
    """Step 1 errors 1, -3 (MAE 2), step 2 errors 4, -8 (MAE 6); promise 2 and 4: live MAE
    (1+3+4+8)/4 = 4 against the promise (2+2+4+4)/4 = 3, 1.33x: degraded with a factor of
    1.3 once 4 rows are enough, not with 1.5, nor when 5 rows are required. The 80 % band
    (+-5 around the forecast) holds the actual for errors 1, -3 and 4, not -8: 75 %."""
    from seqcast.evaluation.live import Promise, live_quality

    scored = _scored_rows({1: [1.0, -3.0], 2: [4.0, -8.0]})
    promise = Promise([2.0, 4.0], {"80": 0.8})
    q = live_quality(scored, promise, window=100, factor=1.3, min_scored=4)
    assert (q.rows, q.mae, q.promised) == (4, 4.0, 3.0)
    assert q.by_step["live_mae"].tolist() == [2.0, 6.0]
    assert q.by_step["ratio"].tolist() == [1.0, 1.5]
    assert q.coverage == {"80": 0.75}
    assert q.degraded and "1.33x the promised 3" in q.reasons[0]
    assert not live_quality(scored, promise, window=100, factor=1.5, min_scored=4).degraded
    assert not live_quality(scored, promise, window=100, factor=1.3, min_scored=5).degraded
    floor = live_quality(scored, promise, window=100, factor=9, min_scored=4, coverage_floor=0.8)
    assert floor.degraded and "covered 75.0 %" in floor.reasons[0]


def test_the_window_keeps_the_newest_target_times():
    """Target times T+1h .. T+3h (step 1 from origins T..T+2h) and T+2h .. T+4h (step 2):
    a window of 2 keeps target times T+3h and T+4h, i.e. the newest step-1 row (error 9) and
    the two newest step-2 rows (errors 2 and 4)."""
    from seqcast.evaluation.live import Promise, live_quality

    scored = _scored_rows({1: [100.0, 100.0, 9.0], 2: [100.0, 2.0, 4.0]})
    q = live_quality(scored, Promise([1.0, 1.0]), window=2, min_scored=1)
    assert (q.start, q.end, q.rows) == (T + 3 * H, T + 4 * H, 3)
    assert q.mae == pytest.approx(5.0)
