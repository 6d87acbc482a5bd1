"""pandera schemas: one failing case per check, reported by column and readable check name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from schemas import clean_schema, raw_schema
from seqcast.data.validate import validate_frame
from seqcast.spec.dataset import get_spec


def weekly_raw() -> pd.DataFrame:
    return pd.DataFrame(
        {"year": [2010, 2010, 2010], "week": [1, 2, 3], "AvgTemp": [-3.0, -7.5, 1.0]}
    )


def bike_raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Date": ["01/12/2017", "01/12/2017", "01/12/2017"],
            "Rented Bike Count": [254, 204, 173],
            "Hour": [0, 1, 2],
            "Temperature": [-5.2, -5.5, -6.0],
            "Humidity": [37, 38, 39],
            "Wind speed": [2.2, 0.8, 1.0],
            "Visibility": [2000, 2000, 2000],
            "Dew point temperature": [-17.6, -17.6, -17.7],
            "Solar Radiation": [0.0, 0.0, 0.0],
            "Rainfall": [0.0, 0.0, 0.0],
            "Snowfall": [0.0, 0.0, 0.0],
            "Seasons": ["Winter", "Winter", "Winter"],
            "Holiday": ["No Holiday", "No Holiday", "No Holiday"],
            "Functioning Day": ["Yes", "Yes", "Yes"],
        }
    )


def _set(frame: pd.DataFrame, column: str, value, row: int = 1) -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    return frame


def _problems(frame, dataset, kind="raw"):
    schema = (raw_schema if kind == "raw" else clean_schema)(get_spec(dataset))
    key = ["year", "week"] if dataset == "weekly-temperature" else ["Date", "Hour"]
    if kind == "clean":
        key = ["time"]
    return validate_frame(frame, schema, key).problems


def test_valid_raw_frames_pass():
    """The base fixtures are valid, so each failure below is caused by its one change."""
    assert _problems(weekly_raw(), "weekly-temperature") == []
    assert _problems(bike_raw(), "bike-hourly") == []


WEEKLY_CASES = [
    ("year", 1700, "below the minimum"),
    ("week", 0, "below the minimum"),
    ("week", 54, "above the maximum"),
    ("week", 2.5, "not a whole number"),
    ("AvgTemp", -40.0, "below the minimum"),
    ("AvgTemp", 50.0, "above the maximum"),
    ("AvgTemp", "warm", "wrong type"),
]


@pytest.mark.parametrize(("column", "value", "check"), WEEKLY_CASES)
def test_weekly_raw_check_fails(column, value, check):
    """Each weekly raw check reports its column, a readable check and the file line."""
    problems = _problems(_set(weekly_raw(), column, value), "weekly-temperature")
    assert [(p.column, check in p.check) for p in problems] == [(column, True)]
    assert problems[0].examples[0].startswith("line 3 (year=")


def test_weekly_duplicate_time_key_fails():
    """Two rows for the same (year, week) are one 'duplicate time key' problem."""
    frame = _set(weekly_raw(), "week", 1, row=1)
    problems = _problems(frame, "weekly-temperature")
    assert [(p.column, p.check, p.count) for p in problems] == [
        ("year+week", "duplicate time key", 2)
    ]


def test_weekly_entirely_missing_column_fails():
    """A target column with no values at all is rejected, not silently interpolated."""
    frame = weekly_raw().assign(AvgTemp=np.nan)
    problems = _problems(frame, "weekly-temperature")
    assert [(p.column, p.check) for p in problems] == [
        ("AvgTemp", "column is entirely missing values")
    ]


BIKE_CASES = [
    ("Date", "2017-12-01", "wrong format"),
    ("Hour", 24, "above the maximum"),
    ("Hour", -1, "below the minimum"),
    ("Hour", 1.5, "not a whole number"),
    ("Rented Bike Count", -5, "below the minimum"),
    ("Rented Bike Count", 1.5, "not a whole number"),
    ("Rented Bike Count", "many", "wrong type"),
    ("Temperature", 46.0, "above the maximum"),
    ("Humidity", 101, "above the maximum"),
    ("Humidity", -1, "below the minimum"),
    ("Wind speed", -0.1, "below the minimum"),
    ("Visibility", -1, "below the minimum"),
    ("Dew point temperature", -61, "below the minimum"),
    ("Solar Radiation", -0.5, "below the minimum"),
    ("Rainfall", -1, "below the minimum"),
    ("Snowfall", -1, "below the minimum"),
    ("Seasons", "Monsoon", "not an allowed value"),
    ("Holiday", "Maybe", "not an allowed value"),
    ("Functioning Day", "Perhaps", "not an allowed value"),
]


@pytest.mark.parametrize(("column", "value", "check"), BIKE_CASES)
def test_bike_raw_check_fails(column, value, check):
    """Each bike raw check reports its column and a readable check."""
    problems = _problems(_set(bike_raw(), column, value), "bike-hourly")
    assert [(p.column, check in p.check) for p in problems] == [(column, True)]


def test_bike_duplicate_date_hour_fails():
    """Two rows for the same Date and Hour are a duplicate time key."""
    problems = _problems(_set(bike_raw(), "Hour", 0, row=1), "bike-hourly")
    assert [(p.column, p.check) for p in problems] == [("Date+Hour", "duplicate time key")]


def test_all_failures_are_reported_at_once():
    """Lazy validation: three faults in three columns give three problems in one report."""
    frame = _set(_set(_set(bike_raw(), "Hour", 30), "Humidity", 120, row=2), "Seasons", "X", 0)
    assert {p.column for p in _problems(frame, "bike-hourly")} == {"Hour", "Humidity", "Seasons"}


def weekly_clean() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": pd.to_datetime(["2010-01-01", "2010-01-08", "2010-01-15"]),
            "step": [106530, 106531, 106532],
            "gap": [False, False, False],
            "AvgTemp": [-3.0, -7.5, 1.0],
            "week_sin": [0.0, 0.1, 0.2],
            "week_cos": [1.0, 0.9, 0.8],
        }
    )


def test_clean_schema_accepts_valid_and_flags_irregular_index():
    """The clean schema requires a sorted, regular index."""
    assert _problems(weekly_clean(), "weekly-temperature", "clean") == []
    frame = weekly_clean()
    frame.loc[2, "step"] = 106540
    checks = [p.check for p in _problems(frame, "weekly-temperature", "clean")]
    assert any("sorted and regular" in c for c in checks)


def test_clean_schema_rejects_missing_values_outside_gaps():
    """A missing value is allowed only in a row flagged as part of a long gap."""
    frame = weekly_clean()
    frame.loc[1, "AvgTemp"] = np.nan
    checks = [p.check for p in _problems(frame, "weekly-temperature", "clean")]
    assert any("outside a flagged gap" in c for c in checks)
    frame.loc[1, "gap"] = True
    assert _problems(frame, "weekly-temperature", "clean") == []
