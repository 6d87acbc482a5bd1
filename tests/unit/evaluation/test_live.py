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
