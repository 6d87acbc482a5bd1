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
    """A count reads in whole numbers; every number of a table at one precision."""
    assert levels_of(path()) == ["80", "95"]
    rows = forecast_table(path(), "Rented Bike Count", whole=True)
    assert rows[0] == {
        "target": "2018-12-01 00:00",
        "step": 1,
        "Rented Bike Count": "120",
        "80 % interval": "40 to 200",
        "95 % interval": "0 to 400",
    }
    assert forecast_table(path(), "level")[0]["80 % interval"] == "40.0 to 200.0"


def test_large_values_keep_their_digits_and_the_two_bands_stay_apart():
    """A monthly series in the 140,000s: never 1.433e+05; the 80 % and 95 % intervals, 40 and
    80 apart, read differently; temperatures keep four significant digits."""
    big = path().assign(
        prediction=[143_325.75, 143_400.0],
        lower_80=[143_218.8, 143_300.0],
        upper_80=[143_469.1, 143_500.0],
        lower_95=[143_178.2, 143_250.0],
        upper_95=[143_509.2, 143_560.0],
    )
    row = forecast_table(big, "employed")[0]
    assert row["employed"] == "143,326"
    assert row["80 % interval"] == "143,219 to 143,469"
    assert row["95 % interval"] == "143,178 to 143,509"
    warm = path().assign(prediction=[3.512, 4.0], lower_80=[1.25, 2.0], upper_80=[5.75, 6.0],
                         lower_95=[0.125, 1.0], upper_95=[7.0, 8.5])  # fmt: skip
    assert forecast_table(warm, "AvgTemp")[0]["80 % interval"] == "1.250 to 5.750"


def test_a_one_step_forecast_draws_its_intervals():
    """One step: the bands are bars at the target time, one drawn object per level (a
    filled band of one point would draw nothing and leave its legend entry empty)."""
    import matplotlib.pyplot as plt

    closed = []
    real = plt.close
    one = path().iloc[:1]
    try:
        plt.close = lambda fig: closed.append(fig)  # keep the figure to look at it
        assert fan_chart(one, [["2018-11-30 22:00", 100.0]], "x")[:4] == b"\x89PNG"
    finally:
        plt.close = real
    (ax,) = closed[0].axes
    assert [c.get_label() for c in ax.collections] == ["95 % interval", "80 % interval"]
    assert all(len(c.get_segments()) == 1 for c in ax.collections)
    real(closed[0])


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
