"""The closing lines read typed run documents: a renamed key fails by name, and the forecast's
unit comes from the served version's own bundle, not the newest file on disk."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from seqcast.io.paths import Layout
from seqcast.report.summaries import ranking_summary, rerun_summary, target_of

FIXTURE = Path(__file__).parents[2] / "fixtures" / "bundle-v1-weekly"


def test_the_target_label_comes_from_the_served_versions_bundle(tmp_path):
    """Version 2 (weekly, °C) serves; version 3's bundle is newer on disk but is not the one
    whose forecasts are shown."""
    layout = Layout(tmp_path, "weekly-temperature")
    for version in ("2", "3"):
        shutil.copytree(FIXTURE, layout.served / version / "champion")
    newer = json.loads((layout.served / "3" / "champion" / "bundle.json").read_text())
    newer["spec"]["columns"][-1]["unit"] = "K"
    (layout.served / "3" / "champion" / "bundle.json").write_text(json.dumps(newer))
    os.utime(layout.served / "3" / "champion" / "bundle.json", (4e9, 4e9))
    assert target_of(layout, "2") == ("AvgTemp (°C)", False)
    assert target_of(layout, "3") == ("AvgTemp (K)", False)
    assert target_of(layout, "9") == ("forecast", False)  # not downloaded: a plain label


def test_a_rerun_fit_reports_its_mae_beside_the_runs(tmp_path):
    fit = {"label": "gru", "kind": "deep", "seed": 42, "fit": "fold-1", "seconds": 3.25,
           "epochs": 12, "best_epoch": 9, "train_run": "run-1", "mae": 1.5,
           "scored_on": "fold-1", "run_mae": 1.5}  # fmt: skip
    (tmp_path / "fit.json").write_text(json.dumps([fit, {**fit, "seed": 43, "mae": 1.75}]))
    assert rerun_summary(tmp_path) == [
        "a fit of train run run-1, with its settings",
        "refitted gru seed 42 on fold-1: 3.2 s, 12 epochs (best 9), MAE 1.5 on fold-1 "
        "as in the run",
        "refitted gru seed 43 on fold-1: 3.2 s, 12 epochs (best 9), MAE 1.75 on fold-1 "
        "(the run's: 1.5)",
    ]


def test_a_ranking_document_missing_a_key_is_refused_by_name(tmp_path):
    doc = {"train_run": "run-1", "champion": "gru", "policy": "deep", "reason": "beats all",
           "board": [{"name": "gru", "backtest": {"mae": 1.25}}, {"name": "ridge"}]}  # fmt: skip
    (tmp_path / "ranking.json").write_text(json.dumps(doc))
    assert ranking_summary(tmp_path)[2:4] == ["  1. gru: backtest MAE 1.25", "  2. ridge"]
    del doc["reason"]
    (tmp_path / "ranking.json").write_text(json.dumps(doc))
    with pytest.raises(ValidationError, match="reason"):
        ranking_summary(tmp_path)
