"""The report's tables: statistics at a readable precision, times at the data's frequency."""

from __future__ import annotations

import numpy as np

from seqcast.numbers import row_numbers
from seqcast.report.formats import time_text
from seqcast.report.inputs import ReportInput
from seqcast.report.page import _tables


def test_a_rounding_error_reads_as_zero_at_the_rows_precision():
    """A sine's mean of -4.83e-11 beside its max of 1 is 0.000; counts keep whole numbers."""
    assert row_numbers([-4.83e-11, 0.7071, -1.0, 1.0]) == ["0.000", "0.707", "-1.000", "1.000"]
    assert row_numbers([704.63, 645.2, 0.0, 3556.0]) == ["705", "645", "0", "3,556"]
    assert row_numbers([0.15, 1.2, 0.0, 35.0]) == ["0.15", "1.20", "0.00", "35.00"]
    assert row_numbers([0.0, float("nan")]) == ["0", "-"]


def test_times_read_at_the_datas_frequency():
    """Weekly and daily dates lose their midnight; hourly times keep hours and minutes."""
    assert time_text("2019-01-07 00:00:00", "weekly") == "2019-01-07"
    assert time_text("2019-01-07 00:00:00", "weekly-mon") == "2019-01-07"
    assert time_text("2019-01-07 00:00:00", "daily") == "2019-01-07"
    assert time_text("2018-09-01 13:00:00", "hourly") == "2018-09-01 13:00"
    assert time_text("not a time", "weekly") == "not a time"


def _weekly_report() -> ReportInput:
    stats = {"mean": -4.83e-11, "std": 0.7071, "min": -1.0, "max": 1.0}
    span = {"windows": 52, "target_start": "2019-01-07 00:00:00", "target_end": "2019-12-30"}
    return ReportInput(
        dataset="weekly-temperature",
        run_id="r",
        board=[],
        champion=None,
        champion_reason="",
        periods={"test": {"rows": 52, **{k: span[k] for k in ("target_start", "target_end")}}},
        fits={"all": {"train": span, "early_stop": None, "scored": None}},
        test_times=np.zeros(1),
        test_truth=np.zeros(1),
        test_predictions={},
        histories={},
        profile=[{"feature": "week_sin", "train": stats, "val": stats, "test": stats, "drift": ""}],
        config={},
        fingerprint={},
        versions={},
        units="°C",
        loss_label="",
        settings=[],
        frequency="weekly",
    )


def test_weekly_report_tables_show_dates_and_rounded_statistics():
    """The split, fit and feature-profile rows of a weekly run: no 00:00:00, no e-11."""
    tables = {title.split(" (")[0]: rows for title, _, rows, _ in _tables(_weekly_report())}
    assert tables["Split periods"] == [["test", "52", "2019-01-07", "2019-12-30"]]
    assert tables["Fits: backtest folds, the refit before test, the served refit"][0][1] == (
        "2019-01-07 to 2019-12-30 (52)"
    )
    assert tables["Feature profile"][0][:5] == ["week_sin", "0.000", "0.707", "-1.000", "1.000"]
