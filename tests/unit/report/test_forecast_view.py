"""The served path as a person reads it: the console table and the artifact's rows."""

from __future__ import annotations

import pandas as pd

from seqcast.report.forecast_view import console_lines, fan_chart, forecast_table, levels_of


def path() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": "ensemble",
            "origin_time": pd.Timestamp("2018-11-30 23:00"),
            "step": [1, 2],
            "target_time": pd.to_datetime(["2018-12-01 00:00", "2018-12-01 01:00"]),
            "period": ["2018-12-01 00:00", "2018-12-01 01:00"],
            "prediction": [120.44, 80.0],
            "lower_95": [0.0, 0.0],
            "upper_95": [400.0, 300.5],
            "lower_80": [40.0, 20.0],
            "upper_80": [200.0, 150.0],
        }
    )


def test_the_table_names_units_steps_and_both_bands_narrowest_first():
    assert levels_of(path()) == ["80", "95"]
    rows = forecast_table(path(), "Rented Bike Count")
    assert rows[0] == {
        "target": "2018-12-01 00:00",
        "step": 1,
        "Rented Bike Count": "120.4",
        "80 % interval": "40 to 200",
        "95 % interval": "0 to 400",
    }


def test_the_console_says_what_from_when_and_aligns_the_columns():
    lines = console_lines(path(), "Rented Bike Count")
    assert lines[0] == (
        "forecast of Rented Bike Count from data up to 2018-11-30 23:00 "
        "(model ensemble, 2 step(s) ahead):"
    )
    assert lines[1].split() == ["target", "step", "Rented", "Bike", "Count", "80", "%",
                                "interval", "95", "%", "interval"]  # fmt: skip
    assert len({line.index("80 % interval") for line in lines[1:2]}) == 1
    assert lines[2].split()[:4] == ["2018-12-01", "00:00", "1", "120.4"]
    assert len(console_lines(path(), "x", max_rows=1)) == 4  # header, head row, 1 row, "... more"


def test_a_weekly_origin_is_named_by_its_date_alone():
    weekly = path().assign(origin_time=pd.Timestamp("2018-12-31"))
    assert "from data up to 2018-12-31 (model" in console_lines(weekly, "AvgTemp")[0]


def test_the_fan_chart_is_a_png():
    assert fan_chart(path(), [["2018-11-30 22:00", 100.0]], "x")[:4] == b"\x89PNG"
