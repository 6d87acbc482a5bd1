"""The real Seoul files from ../shared/datasets (each test skips with a reason when absent)."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pyarrow.parquet as pq
import pytest

from seqcast.config import PrepareConfig
from seqcast.data.windows import from_table
from seqcast.io.paths import SPLITS
from tests.conftest import real_file
from tests.flows.test_prepare_flow import run_prepare

pytestmark = [pytest.mark.realdata, pytest.mark.usefixtures("prefect_server")]


@pytest.mark.slow
def test_weekly_temperature_test_windows_are_2014(out):
    """One step ahead (the forecast before paths), timesteps 4: test windows (53, 4, F),
    every target time in 2014; cached on rerun."""
    src = real_file("seoul_weekly_temperature.csv")
    cfg = PrepareConfig(
        dataset="weekly-temperature",
        source=str(src),
        out=str(out),
        timesteps=4,
        horizon=1,
        steps="last",
    )
    prepared, _ = run_prepare(cfg)
    test = from_table(pq.read_table(prepared / "test.parquet"))
    assert test.x.shape == (53, 4, len(test.feature_names))
    assert set(pd.DatetimeIndex(test.target_time[:, 0]).year) == {2014}
    summary = json.loads((prepared / "summary.json").read_text())
    assert summary["split_periods"]["val"]["target_start"].startswith("2013-01-01")

    # The scaler's fitted range equals the range of the training rows.
    scaler = json.loads((prepared / "scaler.json").read_text())
    raw = pd.read_csv(src)
    steps = raw["year"] * 53 + raw["week"] - 1
    train_rows = raw[steps < steps.max() - 1 - 53 - 53 + 1]  # rows whose target is in train
    assert len(train_rows) == scaler["fitted_on"]["rows"] == 158
    col = scaler["features"]["columns"].index("AvgTemp")
    assert scaler["features"]["data_min"][col] == pytest.approx(train_rows["AvgTemp"].min())
    assert scaler["features"]["data_max"][col] == pytest.approx(train_rows["AvgTemp"].max())

    _, states = run_prepare(cfg)
    assert {s for name, s in states.items() if name != "fetch"} == {"Cached"}


def test_weekly_temperature_paths_keep_every_target_of_a_split_before_the_next(out):
    """The default path (4 weeks): 53 test origins, targets (53, 4) ending with the file's last
    week; 3 rows purged before each boundary, so every step's target of a split precedes the
    next split's first target."""
    src = real_file("seoul_weekly_temperature.csv")
    cfg = PrepareConfig(dataset="weekly-temperature", source=str(src), out=str(out))
    prepared, _ = run_prepare(cfg)
    splits = {s: from_table(pq.read_table(prepared / f"{s}.parquet")) for s in SPLITS}
    assert splits["test"].y_raw.shape == (53, 4) and splits["val"].y_raw.shape == (50, 4)
    assert str(pd.Timestamp(splits["test"].target_time[-1, -1]).date()) == "2014-12-31"
    for early, late in (("train", "val"), ("val", "test")):
        assert splits[early].target_time.max() < splits[late].target_time[:, 0].min()


def test_bike_with_gaps_fills_58_cells_with_the_default_policy(out):
    """The file with missing values passes with the default policy; 58 filled cells reported."""
    src = real_file("seoul_bike_hourly_with_gaps.csv")
    prepared, _ = run_prepare(PrepareConfig(dataset="bike-hourly", source=str(src), out=str(out)))
    summary = json.loads((prepared / "summary.json").read_text())
    assert summary["filled_cells"] == 58
    assert summary["filled_cells_by_column"] == {"Humidity": 44, "Temperature": 14}
    assert len(pd.read_csv(prepared / "filled_cells.csv")) == 58
    # test = 20 % of the 8736 hours that have every one of the 24 steps' targets
    assert summary["shapes"]["test"][0] == round(0.2 * (8760 - 24)) == 1747


def test_bike_uci_release_zip_in_cp1252_gives_the_same_windows(out, tmp_path):
    """The UCI-style release (unit headers, degree sign, cp1252, zipped) prepares identically."""
    src = real_file("seoul_bike_hourly.csv")
    plain, _ = run_prepare(PrepareConfig(dataset="bike-hourly", source=str(src), out=str(out)))
    text = src.read_text(encoding="utf-8")
    header, body = text.split("\n", 1)
    uci = (
        header.replace("Temperature,", "Temperature(\u00b0C),")
        .replace("Humidity,", "Humidity(%),")
        .replace("Wind speed,", "Wind speed (m/s),")
        .replace("Dew point temperature,", "Dew point temperature(\u00b0C),")
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("SeoulBikeData.csv", (uci + "\n" + body).encode("cp1252"))
    zipped = tmp_path / "seoul+bike+sharing+demand.zip"
    zipped.write_bytes(buf.getvalue())
    other, _ = run_prepare(PrepareConfig(dataset="bike-hourly", source=str(zipped), out=str(out)))
    summary = json.loads((other / "summary.json").read_text())
    assert summary["encoding"] == "cp1252"
    assert summary["renamed_columns"]["Temperature(\u00b0C)"] == "Temperature"
    a = from_table(pq.read_table(plain / "test.parquet"))
    b = from_table(pq.read_table(other / "test.parquet"))
    assert (a.x == b.x).all() and (a.y == b.y).all()
