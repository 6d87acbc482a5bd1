"""Target and split on a 10-row series whose answer is written out literally."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast.config import SplitSpec
from seqcast.data.clean import clean
from seqcast.data.split import split_chronologically, split_sizes
from seqcast.data.target import add_target
from seqcast.errors import DataError
from seqcast.spec.dataset import get_spec

SPEC = get_spec("weekly-temperature")


def ten_rows() -> pd.DataFrame:
    raw = pd.DataFrame({"year": 2010, "week": range(1, 11), "AvgTemp": np.arange(10.0, 20.0)})
    return clean(raw, SPEC, max_fill_steps=0, on_long_gap="fail", source="t.csv").frame


def test_target_is_shifted_by_horizon_and_only_trailing_rows_dropped():
    """y[i] = AvgTemp[i+1]; the one row without a future target is dropped, nothing else."""
    got = add_target(ten_rows(), SPEC, [1])
    assert got["AvgTemp"].tolist() == [10, 11, 12, 13, 14, 15, 16, 17, 18]
    assert got["y"].tolist() == [11, 12, 13, 14, 15, 16, 17, 18, 19]
    assert str(got["target_time"].iloc[0].date()) == "2010-01-08"


def test_horizon_two():
    """Horizon 2: y[i] = AvgTemp[i+2], two trailing rows dropped."""
    got = add_target(ten_rows(), SPEC, [2])
    assert got["y"].tolist() == [12, 13, 14, 15, 16, 17, 18, 19]


def test_target_time_covariates_are_the_calendar_of_the_target():
    """target_week_sin of row i equals week_sin of row i + horizon."""
    frame = ten_rows()
    got = add_target(frame, SPEC, [1])
    assert got["target_week_sin"].to_numpy() == pytest.approx(frame["week_sin"].to_numpy()[1:])


def test_known_future_columns_are_their_values_at_the_target_time():
    """A known_future column becomes known_<col>: its value horizon steps later, raw; each
    fit scales it like the column itself (scale_known), calendar covariates untouched."""
    from seqcast.data.scale import AffineScaler, scale_known

    spec = SPEC.model_copy(
        update={
            "value_features": ("AvgTemp", "sun"),
            "known_future": ("sun",),
            "columns": (*SPEC.columns, SPEC.column("AvgTemp").model_copy(update={"name": "sun"})),
        }
    )
    frame = ten_rows().assign(sun=[1.0, 0, 0, 1, 1, 0, 0, 0, 1, 1])
    got = add_target(frame, spec, [2])
    assert got["known_sun"].tolist() == [0, 1, 1, 0, 0, 0, 1, 1]
    assert spec.covariate_names == ["target_week_sin", "target_week_cos", "known_sun"]
    scaler = AffineScaler(
        "minmax",
        ["AvgTemp", "sun", "week_sin"],
        np.array([1.0, 2.0, 3.0]),
        np.array([0.0, -1.0, 0.0]),
    )
    cov = np.array([[0.5, -0.5, 1.0], [0.1, 0.2, 0.0]])
    got_cov = scale_known(cov, spec.covariate_names, scaler)  # known_sun: 2 * sun - 1
    assert np.allclose(got_cov, [[0.5, -0.5, 1.0], [0.1, 0.2, -1.0]])


def test_split_boundaries_literal_and_chronological():
    """9 supervised rows, val=2, test=2: rows 0-4 train, 5-6 val, 7-8 test; no crossing."""
    sup = add_target(ten_rows(), SPEC, [1])
    got, periods = split_chronologically(
        sup, SplitSpec(unit="rows", val=2, test=2), min_train=1, source="t.csv"
    )
    assert got["split"].tolist() == ["train"] * 5 + ["val"] * 2 + ["test"] * 2
    t = got.groupby("split")["target_time"]
    assert t.max()["train"] < t.min()["val"] and t.max()["val"] < t.min()["test"]
    assert periods["test"]["rows"] == 2
    assert periods["val"]["target_start"] == "2010-02-12 00:00:00"  # week 7


def test_fraction_split_rounds_to_rows():
    """20 % of 8758 rows is 1751.6, rounded to 1752 (the reference split of the bike data)."""
    sizes = split_sizes(
        8758, SplitSpec(unit="fraction", val=0.2, test=0.2), min_train=1, source="s"
    )
    assert (sizes.train, sizes.val, sizes.test) == (5254, 1752, 1752)


def test_too_few_rows_for_the_split_is_a_data_error():
    """Rows that cannot hold validation + test + one training row fail with the counts."""
    with pytest.raises(DataError, match="too few rows: 4 supervised row"):
        split_sizes(4, SplitSpec(unit="rows", val=2, test=2), min_train=1, source="s")


def test_a_path_target_has_one_column_per_step_written_out():
    """Steps 1..3 on 10 rows: y = AvgTemp 1 row later, y@2 2 rows later, y@3 3 rows later;
    the 3 rows without every step's target are dropped; each step has its own target time and
    calendar."""
    frame = ten_rows()
    got = add_target(frame, SPEC, [1, 2, 3])
    assert got["y"].tolist() == [11, 12, 13, 14, 15, 16, 17]
    assert got["y@2"].tolist() == [12, 13, 14, 15, 16, 17, 18]
    assert got["y@3"].tolist() == [13, 14, 15, 16, 17, 18, 19]
    assert [str(t.date()) for t in got["target_time@3"][:2]] == ["2010-01-22", "2010-01-29"]
    assert got["target_week_sin@2"].to_numpy() == pytest.approx(frame["week_sin"].to_numpy()[2:9])


def test_a_single_step_frame_is_the_path_frame_of_one_step():
    """``steps = last`` with horizon 2 builds exactly the columns a single-step target had."""
    got = add_target(ten_rows(), SPEC, [2])
    assert not [c for c in got.columns if "@" in c]
    assert list(got.columns[-5:]) == [
        "y",
        "y_gap",
        "target_time",
        "target_week_sin",
        "target_week_cos",
    ]


def test_path_split_purges_the_rows_whose_later_steps_cross_a_boundary():
    """Steps 1..3 on 10 rows -> 7 origins (rows 0-6, origin i targets rows i+1..i+3);
    val=3, test=1: train rows 0-2, val 3-5, test 6 before purging. The last 2 (= 3 - 1) rows
    before each boundary are purged: train row 0 targets rows 1-3, before val row 3's first
    target (row 4); val row 3 targets rows 4-6, before test row 6's first target (row 7)."""
    sup = add_target(ten_rows(), SPEC, [1, 2, 3])
    got, periods = split_chronologically(
        sup, SplitSpec(unit="rows", val=3, test=1), min_train=1, source="t.csv", steps=[1, 2, 3]
    )
    assert got["split"].tolist() == [
        "train", "purged", "purged", "val", "purged", "purged", "test"
    ]  # fmt: skip
    last = got[["target_time", "target_time@2", "target_time@3"]].max(axis=1)
    by = got.assign(last=last).groupby("split")
    assert by["last"].max()["train"] < by["target_time"].min()["val"]
    assert by["last"].max()["val"] < by["target_time"].min()["test"]
    assert periods["train"]["target_end"] == str(got["target_time@3"].iloc[0])


def test_a_path_split_whose_validation_is_all_purged_is_a_clear_error():
    sup = add_target(ten_rows(), SPEC, [1, 2, 3])
    with pytest.raises(DataError, match="validation split's 2 row"):
        split_chronologically(
            sup, SplitSpec(unit="rows", val=2, test=1), min_train=1, source="t.csv", steps=[1, 2, 3]
        )
