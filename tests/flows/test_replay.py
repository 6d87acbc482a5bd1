"""``seqcast replay`` end to end on the synthetic bike sample: a small fault drill. The
rentals are multiplied by 1.8 from 2018-05-13 in a copy of the file; the on-degradation
policy must see it and refresh within 48 simulated hours, the forecasts after the refresh
come from the refreshed champion, and the report compares it with never refitting."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import pandas as pd
import pytest

from seqcast.config import LiveConfig
from seqcast.evaluation.replay import parse_policy
from tests.conftest import PROJECT_ROOT, tiny_in_process

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

SAMPLE = PROJECT_ROOT / "data" / "raw" / "bike_hourly_sample.csv"
FAULT = pd.Timestamp("2018-05-13")


def test_a_small_fault_drill_fires_refreshes_and_is_reported(tmp_path, monkeypatch):
    from seqcast.app.replay import Fault, run_replay

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    before = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    cfg = tiny_in_process("bike-hourly", tmp_path / "out", variant="gru", timesteps=12)
    live = LiveConfig(factor=1.8)  # tiny fits are rough: only the fault should cross it
    args = (str(SAMPLE), "2018-05-10", "2018-05-18 23:00")
    drill = Fault(FAULT, 1.8)
    folder = run_replay(cfg, *args, parse_policy("on-degradation"), drill, live)
    run_replay(cfg, *args, parse_policy("never"), drill, live)

    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == before  # the file is untouched
    doc = json.loads((Path(folder) / "on-degradation" / "summary.json").read_text())
    refreshes = [pd.Timestamp(a["time"]) for a in doc["actions"]]
    assert refreshes, "the drill's degradation never fired"
    first = refreshes[0]
    assert FAULT < first <= FAULT + pd.Timedelta(hours=48)
    assert all(b - a >= pd.Timedelta(hours=24) for a, b in itertools.pairwise(refreshes))
    served = pd.read_parquet(Path(folder) / "on-degradation" / "served.parquet")
    assert (served.loc[served["origin_time"] >= first, "version"] >= 2).all()
    assert (served.loc[served["origin_time"] < first, "version"] == 1).all()
    assert len(served) == 24 * 24 * 9  # every hour of 9 days, 24 steps each
    never = json.loads((Path(folder) / "never" / "summary.json").read_text())
    assert never["actions"] == [] and never["refits"] == 0
    # the same first training serves both policies: same forecasts up to the first refresh
    other = pd.read_parquet(Path(folder) / "never" / "served.parquet")
    early = served["origin_time"] < first
    assert other.loc[early.to_numpy(), "prediction"].tolist() == pytest.approx(
        served.loc[early, "prediction"].tolist()
    )
    page = (Path(folder) / "report.md").read_text()
    assert "| on-degradation |" in page and "| never |" in page
    assert "Fault drill: the target multiplied by 1.8 from 2018-05-13" in page
