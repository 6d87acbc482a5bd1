"""The replay's fault drill option and history reading: DATE:FACTOR parsed or refused with
the form it takes; the drill's copy multiplies the target from the date on (counts stay
whole numbers) and leaves the file itself alone."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from seqcast.app.replay import Fault, read_history
from seqcast.config import TrainConfig
from seqcast.errors import ConfigError, DataError
from tests.conftest import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "raw" / "bike_hourly_sample.csv"


def test_a_fault_is_a_date_and_a_factor():
    fault = Fault.parse("2018-10-20:1.8")
    assert (fault.start, fault.factor) == (pd.Timestamp("2018-10-20"), 1.8)
    assert Fault.parse("2018-10-20 06:00:2").start == pd.Timestamp("2018-10-20 06:00")
    assert fault.slug == "fault-20181020x1.8"


@pytest.mark.parametrize("text", ["2018-10-20", "1.8", "soon:2", "2018-10-20:x"])
def test_a_malformed_fault_names_the_form(text):
    with pytest.raises(ConfigError, match=r"expected DATE:FACTOR, e\.g\. 2018-10-20:1\.8"):
        Fault.parse(text)


def test_the_drill_multiplies_the_target_from_its_start_and_leaves_the_file_alone():
    before = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    cfg = TrainConfig(dataset="bike-hourly")
    plain = read_history(cfg, str(SAMPLE), None)
    drill = read_history(cfg, str(SAMPLE), Fault(pd.Timestamp("2018-05-01"), 1.8))
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == before
    late = plain.clean["time"] >= pd.Timestamp("2018-05-01")
    target = "Rented Bike Count"
    assert drill.clean.loc[~late, target].tolist() == plain.clean.loc[~late, target].tolist()
    expected = (plain.clean.loc[late, target] * 1.8).round()
    assert drill.clean.loc[late, target].tolist() == expected.tolist()
    assert drill.actuals[pd.Timestamp("2018-05-02 12:00")] == round(
        plain.actuals[pd.Timestamp("2018-05-02 12:00")] * 1.8
    )


def test_a_missing_file_is_named():
    with pytest.raises(DataError, match="no such file"):
        read_history(TrainConfig(dataset="bike-hourly"), "nowhere.csv", None)
