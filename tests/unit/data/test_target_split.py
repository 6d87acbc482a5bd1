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
    got = add_target(ten_rows(), SPEC, horizon=1)
    assert got["AvgTemp"].tolist() == [10, 11, 12, 13, 14, 15, 16, 17, 18]
    assert got["y"].tolist() == [11, 12, 13, 14, 15, 16, 17, 18, 19]
    assert str(got["target_time"].iloc[0].date()) == "2010-01-08"


def test_horizon_two():
    """Horizon 2: y[i] = AvgTemp[i+2], two trailing rows dropped."""
    got = add_target(ten_rows(), SPEC, horizon=2)
    assert got["y"].tolist() == [12, 13, 14, 15, 16, 17, 18, 19]


def test_target_time_covariates_are_the_calendar_of_the_target():
    """target_week_sin of row i equals week_sin of row i + horizon."""
    frame = ten_rows()
    got = add_target(frame, SPEC, horizon=1)
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
    got = add_target(frame, spec, horizon=2)
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
    sup = add_target(ten_rows(), SPEC, horizon=1)
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
