"""Windows, blocks and scales, checked by hand; no window reads a row of its block."""

from __future__ import annotations

import numpy as np
import pytest

from seqcast.panel.metrics import mase, mase_scale, smape
from seqcast.panel.spec import PanelSpec, PanelTime
from seqcast.panel.windows import block_starts, build, fold_start, training_origins
from tests.unit.panel.specs import tiny_spec


def spec(**kw) -> PanelSpec:
    return tiny_spec(**{"folds": 2, **kw})


def test_blocks_are_the_test_then_the_folds_before_it():
    s = spec()
    assert block_starts(12, s, "test") == [10]
    assert fold_start(12, s, 1) == 8 and fold_start(12, s, 2) == 6
    assert block_starts(12, spec(test=4), "test") == [8, 10]


def test_a_window_reads_its_rows_scaled_by_their_mean_and_pads_the_start():
    y = np.arange(1.0, 11.0)  # 1 .. 10
    w = build([y], [np.array([4, 0])], window=3, horizon=2)
    # origin 4 reads rows 2..4 = 3, 4, 5 (scale 4) and forecasts rows 5, 6 = 6, 7
    np.testing.assert_allclose(w.x[0, :, 0], [0.75, 1.0, 1.25])
    np.testing.assert_allclose(w.y[0], [1.5, 1.75])
    assert w.scale[0] == pytest.approx(4.0)
    # origin 0 has one row: two padded steps (value 0, observed 0)
    np.testing.assert_allclose(w.x[1, :, 1], [0, 0, 1])
    np.testing.assert_allclose(w.x[1, :, 0], [0, 0, 1])


def test_training_windows_end_before_the_block_in_every_series():
    s = spec()
    for n in (12, 30):
        for ev in ("fold-1", "fold-2", "test"):
            start = block_starts(n, s, ev)[0]
            o = training_origins(n, start, s)
            assert len(o) and (o + s.horizon < start).all()  # every target row < start
            assert o.max() + s.horizon == start - 1  # the newest one ends just before it


def test_newest_caps_the_windows_per_series():
    o = training_origins(40, 30, spec(), newest=5)
    np.testing.assert_array_equal(o, [23, 24, 25, 26, 27])


def test_mase_smape_by_hand():
    history = np.array([1.0, 3.0, 2.0, 6.0])  # seasonal (lag 2) differences 1, 3: scale 2
    assert mase_scale(history, 2) == 2.0
    assert mase(np.array([4.0, 4.0]), np.array([3.0, 6.0]), 2.0) == pytest.approx(0.75)
    assert smape(np.array([1.0, 0.0]), np.array([3.0, 0.0])) == pytest.approx(50.0)
    assert mase_scale(np.array([5.0, 5.0, 5.0]), 2) == 1.0  # constant: scaled by 1


def test_a_test_period_must_be_whole_horizons():
    with pytest.raises(ValueError, match="not whole blocks of the horizon"):
        spec(test=5)


def test_weekly_forecast_times_keep_the_series_weekday():
    import pandas as pd

    from seqcast.panel.serve import target_times

    weekly = spec(time=PanelTime(column="t", kind="datetime", frequency="weekly"))
    monday = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-01"]))
    out = target_times(monday, pd.Series([1, 2]), weekly)
    assert [str(t)[:10] for t in out] == ["2024-01-08", "2024-01-15"]


def test_a_fit_without_any_training_window_is_a_clear_error():
    from seqcast.errors import DataError
    from seqcast.panel.data import Panel
    from seqcast.panel.train import global_fit

    s = spec(window=3)  # min_rows 9: fold-2 starts at row 3, before any whole window
    panel = Panel(["a"], [np.arange(1.0, 10.0)], [np.arange(9)], source="f.csv")
    with pytest.raises(DataError, match="no series holds a whole training window before its"):
        global_fit(panel, s, "gru", 0, ["fold-2"])
