"""Live quality of served forecasts, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast.panel import live
from seqcast.panel.data import Panel


def served(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["series", "origin", "step", "time", "forecast"])


def test_scored_rows_are_the_served_times_the_file_now_holds():
    panel = Panel(["a"], [np.array([1.0, 3.0, 1.0, 3.0, 2.0])], [np.arange(5)])
    s = served([("a", 3, 1, 4, 1.0), ("a", 3, 2, 5, 9.0)])  # time 5 not arrived yet
    scored = live.score(s, panel)
    assert scored[["time", "actual", "abs_error"]].values.tolist() == [[4, 2.0, 1.0]]


def test_quality_scales_each_series_by_its_rows_before_the_first_scored_one():
    # a: rows before time 4 are 1, 3, 1, 3: lag-2 differences 0, so lag 1: scale 2
    # b: 0, 10, 20, 30: lag-2 differences 20: scale 20
    panel = Panel(
        ["a", "b"],
        [np.array([1.0, 3, 1, 3, 2]), np.array([0.0, 10, 20, 30, 40])],
        [np.arange(5), np.arange(5)],
    )
    s = served([("a", 3, 1, 4, 1.0), ("b", 3, 1, 4, 30.0)])  # errors 1 and 10
    q = live.quality(live.score(s, panel), panel, 2, promised=0.5, tolerance=1.5)
    assert q.per_series == {"a": pytest.approx(0.5), "b": pytest.approx(0.5)}
    assert q.mase == pytest.approx(0.5) and q.ratio == pytest.approx(1.0) and not q.degraded
    worse = live.quality(live.score(s, panel), panel, 2, promised=0.25, tolerance=1.5)
    assert worse.degraded and worse.ratio == pytest.approx(2.0)


def test_append_served_keeps_the_newest_run_of_a_repeated_forecast():
    old = served([("a", 3, 1, 4, 1.0), ("a", 3, 2, 5, 1.0)])
    new = served([("a", 3, 2, 5, 7.0), ("a", 4, 1, 5, 2.0)])
    both = live.append_served(old, new)
    assert both.sort_values(["origin", "step"])["forecast"].tolist() == [1.0, 7.0, 2.0]
