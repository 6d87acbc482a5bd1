"""Temporalize: window contents written out literally, gaps, and the parquet tensor format."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from seqcast.data.windows import WindowSet, from_table, make_windows, to_table, window_ends


def course_notes_temporalize(x, y, timesteps):
    """The course notes' loop, kept here as the reference the vectorised version must match."""
    out_x, out_y = [], []
    for i in range(len(x) - timesteps + 1):
        out_x.append(x[i : i + timesteps])
        out_y.append(y[i + timesteps - 1])
    return np.array(out_x), np.array(out_y)


def test_windows_of_ten_rows_literal():
    """Rows 0..9, timesteps 4: the windows end at rows 3..9 and hold the 4 rows before."""
    values = np.arange(10, dtype=np.float32).reshape(10, 1)
    ends = np.flatnonzero(window_ends(10, 4, np.zeros(10, bool), np.zeros(10, bool)))
    assert ends.tolist() == [3, 4, 5, 6, 7, 8, 9]
    x = make_windows(values, 4, ends)
    assert x.shape == (7, 4, 1)
    assert x[:, :, 0].tolist() == [
        [0, 1, 2, 3],
        [1, 2, 3, 4],
        [2, 3, 4, 5],
        [3, 4, 5, 6],
        [4, 5, 6, 7],
        [5, 6, 7, 8],
        [6, 7, 8, 9],
    ]


def test_matches_the_course_notes_loop():
    """Vectorised windows equal the course notes' temporalize on random data."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = rng.normal(size=50)
    ref_x, ref_y = course_notes_temporalize(x, y, 6)
    ends = np.arange(5, 50)
    np.testing.assert_array_equal(make_windows(x, 6, ends), ref_x)
    np.testing.assert_array_equal(y[ends], ref_y)


def test_windows_touching_a_gap_or_a_gap_target_are_removed():
    """A gap at row 5 removes the windows ending at 5..7 (T=3); a gap target removes row 1's."""
    gap = np.zeros(10, bool)
    gap[5] = True
    y_gap = np.zeros(10, bool)
    y_gap[3] = True
    ends = np.flatnonzero(window_ends(10, 3, gap, y_gap))
    assert ends.tolist() == [2, 4, 8, 9]


def test_parquet_round_trip_keeps_tensor_shapes_and_names(tmp_path):
    """x (timesteps, features), y and y_raw (steps), the target times (steps) and the
    covariates (steps, covariates) are stored as fixed_shape_tensor columns, names in
    metadata; reading gives back the same arrays."""
    x = np.arange(24, dtype=np.float32).reshape(3, 4, 2)
    times = np.array(["2010-01-01", "2010-01-08", "2010-01-15", "2010-01-22"], "datetime64[ns]")
    ws = WindowSet(
        x=x,
        y=np.array([[0.1, 0.2], [0.2, 0.3], [0.3, 0.4]], np.float32),  # (samples, steps)
        y_raw=np.array([[10.0, 20.0], [20.0, 30.0], [30.0, 40.0]]),
        target_time=np.stack([times[:3], times[1:]], axis=1),  # (samples, steps)
        covariates=np.arange(12, dtype=np.float32).reshape(3, 2, 2),  # (samples, steps, cov)
        feature_names=["a", "b"],
        covariate_names=["target_week_sin", "target_week_cos"],
        meta={"split": "test", "timesteps": 4, "steps": [1, 2]},
        y_last_raw=np.array([5.0, 10.0, 20.0]),
        origin_row=np.array([7, 8, 9]),
    )
    path = tmp_path / "w.parquet"
    pq.write_table(to_table(ws), path)
    table = pq.read_table(path)
    assert isinstance(table.schema.field("x").type, pa.FixedShapeTensorType)
    assert table.schema.field("x").type.shape == [4, 2]
    assert table.schema.field("x").type.value_type == pa.float32()
    assert table.schema.field("covariates").type.shape == [2, 2]
    assert table.schema.field("y_raw").type.shape == [2]
    back = from_table(table)
    np.testing.assert_array_equal(back.x, x)
    stored = ("y", "y_raw", "target_time", "covariates", "y_last_raw", "origin_row")
    for name in stored:
        np.testing.assert_array_equal(getattr(back, name), getattr(ws, name), err_msg=name)
    assert back.steps == [1, 2]
    np.testing.assert_array_equal(back.first_target_time, times[:3])
    assert back.feature_names == ["a", "b"]
    assert back.covariate_names == ["target_week_sin", "target_week_cos"]
    assert back.meta == {"split": "test", "timesteps": 4, "steps": [1, 2]}


def test_the_seasonal_naive_path_never_reads_past_the_origin():
    """Origin row 30, season 24: step 1 reads row 7 (31 - 24), step 2 row 8, step 25 (more
    than a season ahead) row 7 (55 - 48), never a row after the origin; rows before the
    series start are NaN."""
    from seqcast.data.naive import seasonal_naive

    values = np.arange(100.0)
    got = seasonal_naive(values, np.array([30, 5]), [1, 2, 25], 24)
    assert got[0].tolist() == [7.0, 8.0, 7.0]
    assert np.isnan(got[1]).all()  # 6 - 24 < 0


def test_drift_by_hand_reads_only_up_to_the_origin():
    """Series 10, 12, 11, 15, 14, then values that must never be read. From origin row 3
    (value 15): slope (15 - 10) / 3 = 5/3, so step 1 is 16.667 and step 3 is 20. From
    origin row 0 there is no history: the origin's value. A leading gap (NaN) is skipped:
    the first observed value starts the slope."""
    from seqcast.data.naive import drift, persistence

    values = np.array([10.0, 12.0, 11.0, 15.0, 14.0, 1e9, -1e9])
    got = drift(values, np.array([3, 0, 4]), [1, 3])
    np.testing.assert_allclose(got[0], [15 + 5 / 3, 20.0])
    np.testing.assert_allclose(got[1], [10.0, 10.0])
    np.testing.assert_allclose(got[2], [14 + 1, 14 + 3])  # (14 - 10) / 4 = 1 per row
    assert persistence(values, np.array([3])).tolist() == [15.0]
    gap = np.array([np.nan, 2.0, 4.0])
    np.testing.assert_allclose(drift(gap, np.array([2]), [1]), [[6.0]])  # (4 - 2) / 1


def test_a_gap_a_season_ago_reaches_back_one_more_season():
    """Season 4, origin row 10: step 1's row is 7 (11 - 4); it is missing, so row 3 (one
    season earlier) answers. Step 2's row 8 is observed. A row missing in every earlier
    season stays NaN."""
    from seqcast.data.naive import seasonal_naive

    values = np.arange(12.0)
    values[7] = np.nan
    values[[1, 5, 9]] = np.nan  # row 9 is step 3's (13 - 4), and 5 and 1 before it
    got = seasonal_naive(values, np.array([10]), [1, 2, 3], 4)
    assert got[0, :2].tolist() == [3.0, 8.0]
    assert np.isnan(got[0, 2])
