"""Clean: regular sorted index, the gap policy, and the record of every filled cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast.data.clean import clean, run_lengths
from seqcast.errors import DataError
from seqcast.spec.dataset import ColumnSpec, FlagSpec, get_spec
from seqcast.spec.timeindex import times_of

SPEC = get_spec("weekly-temperature")


def weekly(temps, weeks=None, year=2010) -> pd.DataFrame:
    weeks = list(range(1, len(temps) + 1)) if weeks is None else weeks
    return pd.DataFrame({"year": year, "week": weeks, "AvgTemp": temps})


def test_run_lengths():
    """Each True position gets the length of its run."""
    mask = np.array([0, 1, 1, 0, 1, 0, 1, 1, 1], dtype=bool)
    assert run_lengths(mask).tolist() == [0, 2, 2, 0, 1, 0, 3, 3, 3]


def test_week_start_dates_follow_53_weeks_a_year():
    """Week w starts on 1 January + 7(w-1) days; week 53 of a leap year starts 30 December."""
    steps = np.array([2010 * 53, 2010 * 53 + 52, 2011 * 53, 2012 * 53 + 52])
    assert [str(t.date()) for t in times_of(steps, get_spec("weekly-temperature").time_index)] == [
        "2010-01-01",
        "2010-12-31",
        "2011-01-01",
        "2012-12-30",
    ]


def test_short_gap_is_interpolated_in_time_and_recorded():
    """Two missing values between 1 and 4 become 2 and 3; both cells are recorded."""
    got = clean(
        weekly([1.0, np.nan, np.nan, 4.0, 5.0]),
        SPEC,
        max_fill_steps=2,
        on_long_gap="fail",
        source="t.csv",
    )
    assert got.frame["AvgTemp"].tolist() == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0])
    assert got.filled_cells["column"].tolist() == ["AvgTemp", "AvgTemp"]
    assert [str(t.date()) for t in got.filled_cells["time"]] == ["2010-01-08", "2010-01-15"]
    assert got.report["filled_cells"] == 2
    assert not got.frame["gap"].any()


def test_missing_timestamp_is_inserted_and_filled():
    """Week 3 absent from the file: inserted, interpolated, counted."""
    got = clean(
        weekly([1.0, 2.0, 4.0], weeks=[1, 2, 4]),
        SPEC,
        max_fill_steps=2,
        on_long_gap="fail",
        source="t.csv",
    )
    assert got.frame["step"].diff().dropna().eq(1).all()
    assert got.frame["AvgTemp"].tolist() == pytest.approx([1.0, 2.0, 3.0, 4.0])
    assert got.report["timestamps_inserted"] == 1


def test_unsorted_rows_are_sorted_and_reported():
    """Rows out of order come out sorted; the report counts the rows that moved."""
    raw = weekly([3.0, 1.0, 2.0], weeks=[3, 1, 2])
    got = clean(raw, SPEC, max_fill_steps=0, on_long_gap="fail", source="t.csv")
    assert got.frame["AvgTemp"].tolist() == [1.0, 2.0, 3.0]
    assert got.report["was_sorted"] is False
    assert got.report["rows_reordered"] == 3
    assert raw["week"].tolist() == [3, 1, 2]  # the input frame is not modified


def test_long_gap_fails_naming_column_and_period():
    """A gap longer than the policy allows fails with the column and the missing period."""
    raw = weekly([1.0, np.nan, np.nan, np.nan, 5.0])
    with pytest.raises(DataError) as info:
        clean(raw, SPEC, max_fill_steps=2, on_long_gap="fail", source="t.csv")
    problem = info.value.problems[0]
    assert problem.column == "AvgTemp"
    assert problem.count == 3
    assert "2010-01-08" in problem.examples[0] and "2010-01-22" in problem.examples[0]


def test_long_gap_failure_names_the_longest_gap_and_the_fill_that_covers_it():
    """Five 3-week gaps then a 4-week one: the report names the 4-week gap (past the five
    examples shown) and --max-fill-steps 4, which then fills every gap."""
    n = np.nan
    temps = [0.0, n, n, n, 4.0, n, n, n, 8.0, n, n, n, 12.0, n, n, n, 16.0, n, n, n, 20.0]
    raw = weekly([*temps, n, n, n, n, 25.0])  # weeks 22..25 missing: 28 May to 18 June
    with pytest.raises(DataError) as info:
        clean(raw, SPEC, max_fill_steps=2, on_long_gap="fail", source="t.csv")
    report = info.value.report()
    assert "6 such gap(s), the longest 4 missing step(s) from 2010-05-28 to 2010-06-18" in report
    assert "2010-05-28" not in "".join(info.value.problems[0].examples[:5])
    assert "the longest is 'AvgTemp' from 2010-05-28 to 2010-06-18 (4 steps)" in report
    assert "--max-fill-steps 4 " in report and "--on-long-gap drop-windows" in report
    got = clean(raw, SPEC, max_fill_steps=4, on_long_gap="fail", source="t.csv")
    assert got.report["filled_cells"] == 19 and not got.frame["AvgTemp"].isna().any()


def test_long_gap_can_be_flagged_instead():
    """With drop-windows the long gap stays missing and its rows are flagged."""
    raw = weekly([1.0, np.nan, np.nan, np.nan, 5.0])
    got = clean(raw, SPEC, max_fill_steps=2, on_long_gap="drop-windows", source="t.csv")
    assert got.frame["gap"].tolist() == [False, True, True, True, False]
    assert got.frame["AvgTemp"].isna().tolist() == [False, True, True, True, False]
    assert got.report["filled_cells"] == 0


def test_calendar_features_are_added():
    """Week 1 has week_sin 0 and week_cos 1."""
    got = clean(weekly([1.0, 2.0]), SPEC, max_fill_steps=0, on_long_gap="fail", source="t.csv")
    assert got.frame.loc[0, "week_sin"] == pytest.approx(0.0)
    assert got.frame.loc[0, "week_cos"] == pytest.approx(1.0)


def test_one_text_column_becomes_one_flag_per_value_one_hot():
    """Two flags read one text column (what init-spec drafts for a category of three values,
    the most common the baseline): each row is 1 in the flag of its own value only."""
    spec = SPEC.model_copy(
        update={
            "columns": (*SPEC.columns, ColumnSpec(name="sky", kind="category")),
            "flags": (
                FlagSpec(name="sky_rain", column="sky", true_value="rain"),
                FlagSpec(name="sky_snow", column="sky", true_value="snow"),
            ),
        }
    )
    raw = weekly([1.0, 2.0, 3.0, 4.0]).assign(sky=["clear", "rain", "snow", "rain"])
    got = clean(raw, spec, max_fill_steps=0, on_long_gap="fail", source="t.csv").frame
    assert got["sky_rain"].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert got["sky_snow"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert "sky" not in got.columns
