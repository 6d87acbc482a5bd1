"""Reading a long-format file: each series checked alone, a bad one left out with its lines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast.errors import DataError
from seqcast.panel.data import read_long
from seqcast.panel.spec import PanelTime
from tests.unit.panel.specs import tiny_spec


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Cells as text, the way the CSV reader gives them."""
    return pd.DataFrame(rows, columns=["id", "t", "y"]).astype(str)


def good(sid: str, n: int = 8, start: int = 0) -> list[tuple]:
    return [(sid, start + i, float(i + 1)) for i in range(n)]


def test_min_rows_counts_test_folds_and_a_season():
    # test 2 + one fold of 2 + period 2 + 1 = 7
    assert tiny_spec().min_rows == 7


def test_series_are_kept_in_time_order_whatever_the_file_order():
    rows = good("a")[::-1] + good("b", 9, start=5)
    p = read_long(frame(rows), tiny_spec(), "f.csv")
    assert p.ids == ["a", "b"]
    np.testing.assert_array_equal(p.values[0], np.arange(1, 9))
    np.testing.assert_array_equal(p.times[1], np.arange(5, 14))
    assert p.left_out == []


def test_a_bad_series_is_left_out_with_its_reason_and_lines_and_the_others_go_on():
    rows = good("a")  # lines 2..9
    rows += [("text", i, "oops" if i == 3 else str(i)) for i in range(8)]  # lines 10..17
    rows += good("short", 4)  # lines 18..21
    rows += [*good("dup", 8), ("dup", 2, 9.0)]  # lines 22..29, 30
    p = read_long(frame(rows), tiny_spec(), "f.csv")
    assert p.ids == ["a"]
    why = {x.series: x for x in p.left_out}
    assert why["text"].reason == "text or a value that is not finite in target 'y'"
    assert why["text"].lines == (13,)
    assert "4 rows, too short: needs 7" in why["short"].reason
    assert why["dup"].lines == (24, 30)  # both rows of time 2
    assert why["text"].text().endswith("in target 'y' (line 13)")


def test_a_short_gap_is_filled_and_a_long_one_leaves_its_series_out():
    rows = [r for r in good("a", 9) if r[1] != 4]  # one missing step
    rows += [r for r in good("b", 10) if r[1] not in (4, 5)]  # two
    p = read_long(frame(rows), tiny_spec(max_fill_steps=1), "f.csv")
    assert p.ids == ["a"] and p.filled == [1]
    assert p.values[0][4] == pytest.approx(4.0)  # carried forward: never read from a later row
    assert p.gaps[0].tolist() == [False] * 4 + [True] + [False] * 4
    assert "a gap of 2 missing step(s)" in p.left_out[0].reason


def test_monthly_dates_stand_for_their_month_and_two_in_one_month_are_duplicates():
    s = tiny_spec(time=PanelTime(column="t", kind="datetime", frequency="monthly"))
    ends = pd.date_range("2020-01-31", periods=8, freq="ME").strftime("%Y-%m-%d").tolist()
    rows = [("a", d, i) for i, d in enumerate(ends)]  # month ends: read as their months
    rows += [("b", d, i) for i, d in enumerate([*ends, "2020-08-15"])]  # two in August
    p = read_long(frame(rows), s, "f.csv")
    assert p.ids == ["a"]
    assert str(p.times[0][0])[:10] == "2020-01-01"
    assert p.left_out[0].reason == "duplicate 't' rows" and p.left_out[0].lines == (17, 18)


def test_offsets_and_infinities_are_read_with_care():
    s = tiny_spec(time=PanelTime(column="t", kind="datetime", frequency="hourly"))
    stamps = pd.date_range("2020-03-29 00:00", periods=8, freq="h", tz="Europe/Berlin")
    rows = [("a", t.isoformat(), i) for i, t in enumerate(stamps)]  # +01:00 then +02:00
    rows += [("b", t.isoformat(), "inf" if i == 2 else i) for i, t in enumerate(stamps)]
    p = read_long(frame(rows), s, "f.csv")
    assert p.ids == ["a"] and len(p.values[0]) == 8  # one instant each, no false gap
    assert "not finite" in p.left_out[0].reason and p.left_out[0].lines == (12,)


def test_no_usable_series_or_a_missing_column_is_an_error_naming_them():
    with pytest.raises(DataError) as err:
        read_long(frame(good("short", 3)), tiny_spec(), "f.csv")
    assert "series 'short': 3 rows, too short" in err.value.report()
    with pytest.raises(DataError) as err:
        read_long(frame(good("a")).rename(columns={"y": "value"}), tiny_spec(), "f.csv")
    assert "column 'y': column missing" in err.value.report()
    assert "f.csv" in err.value.report()


def test_an_hourly_time_off_the_hour_is_named_and_the_rest_are_not():
    s = tiny_spec(time=PanelTime(column="t", kind="datetime", frequency="hourly"))
    hours = pd.date_range("2020-01-01", periods=8, freq="h").strftime("%Y-%m-%d %H:%M").tolist()
    rows = [("a", h, i) for i, h in enumerate(hours)]
    rows[3] = ("a", "2020-01-01 03:30", 3)  # line 5
    rows += [("b", h, i) for i, h in enumerate(hours)]
    p = read_long(frame(rows), s, "f.csv")
    assert p.ids == ["b"] and p.left_out[0].lines == (5,)
