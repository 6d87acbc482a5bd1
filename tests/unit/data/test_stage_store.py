"""A stage's stored output: the ref it hands on, what is written where, reading it back, the
failure cases of its checks, and the prepared dataset's summary (hand-made stage reports)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from seqcast.config import PrepareConfig
from seqcast.data.prepared_summary import prepared_summary
from seqcast.data.stage_keys import SourceRef, StageRef, next_ref, previous_key
from seqcast.data.stage_store import (
    check_stage_frame,
    read_stage_frame,
    read_stage_record,
    save_stage,
    stage_record,
)
from seqcast.data.stages import StageResult
from seqcast.errors import StageOutputMissing

SOURCE = SourceRef(source="s.csv", path="/data/s.csv", sha256="abc")


def config(tmp_path: Path) -> PrepareConfig:
    return PrepareConfig(dataset="weekly-temperature", out=str(tmp_path))


def test_the_next_key_chains_from_the_source_hash_then_from_the_stage_key():
    ingested = StageRef(stage="ingest", key="k1", dir="/d", frame=None, source="s.csv", meta={})
    assert previous_key(SOURCE) == "abc"
    assert previous_key(ingested) == "k1"


def test_the_next_ref_adds_its_report_and_key_to_those_so_far():
    ingested = StageRef(
        stage="ingest",
        key="k1",
        dir="/d1",
        frame="/d1/frame.parquet",
        source="s.csv",
        meta={"ingest": {"rows": 3}, "keys": {"ingest": "k1"}},
    )
    got = next_ref(ingested, "validate", "k2", Path("/d2"), "/d1/frame.parquet", {"ok": True})
    assert (got.stage, got.key, got.dir, got.frame, got.source) == (
        "validate",
        "k2",
        "/d2",
        "/d1/frame.parquet",
        "s.csv",
    )
    assert got.meta == {
        "ingest": {"rows": 3},
        "keys": {"ingest": "k1", "validate": "k2"},
        "validate": {"ok": True},
    }
    assert ingested.meta["keys"] == {"ingest": "k1"}  # the upstream ref is left as it was
    first = next_ref(SOURCE, "ingest", "k1", Path("/d1"), None, {"rows": 3}, {"source": {"x": 1}})
    assert first.meta == {"ingest": {"rows": 3}, "keys": {"ingest": "k1"}, "source": {"x": 1}}


def test_a_saved_stage_is_read_back_and_its_files_are_named_by_their_keys(tmp_path):
    cfg = config(tmp_path)
    frame = pd.DataFrame({"a": [1, 2]})
    result = StageResult(
        frame, {"rows": 2}, tables={"filled": pd.DataFrame({"b": [3]})}, documents={"d": {"x": 1}}
    )
    ref = save_stage("ingest", "k1", SOURCE, cfg, result, extra={"source": {"sha256": "abc"}})
    folder = tmp_path.resolve() / "weekly-temperature" / "stages" / "ingest" / "k1"
    assert ref.dir == str(folder) and ref.frame == str(folder / "frame.parquet")
    assert ref.meta == {
        "ingest": {"rows": 2},
        "keys": {"ingest": "k1"},
        "source": {"sha256": "abc"},
    }
    assert sorted(p.name for p in folder.iterdir()) == [
        "d.json",
        "filled.csv",
        "frame.parquet",
        "meta.json",
    ]
    assert stage_record(cfg, "ingest", "k1") == folder / "meta.json"
    assert read_stage_record(cfg, "ingest", "k1") == ref
    assert read_stage_frame(ref)["a"].tolist() == [1, 2]

    # a stage without a frame of its own passes its upstream's file on
    validated = save_stage("validate", "k2", ref, cfg, StageResult(None, {}), frame_from=ref.frame)
    assert validated.frame == ref.frame
    assert not (Path(validated.dir) / "frame.parquet").exists()


def test_a_removed_output_or_a_missing_record_says_what_to_run(tmp_path):
    cfg = config(tmp_path)
    ref = save_stage("ingest", "k1", SOURCE, cfg, StageResult(pd.DataFrame({"a": [1]}), {}))
    Path(ref.frame or "").unlink()
    with pytest.raises(StageOutputMissing, match=r"'ingest'.*removed after it was cached"):
        read_stage_frame(ref)
    with pytest.raises(StageOutputMissing, match="no stored output of stage 'clean'"):
        read_stage_record(cfg, "clean", "k3")


def test_failed_checks_write_every_failure_case_and_passing_ones_write_nothing(tmp_path):
    cfg = config(tmp_path)
    schema = pa.DataFrameSchema({"v": pa.Column(float, pa.Check.ge(0))})
    frame = pd.DataFrame({"time": ["t0", "t1", "t2"], "v": [1.0, -1.0, -2.0]})
    failed = check_stage_frame(frame, schema, cfg, "clean", "k3")
    cases = pd.read_csv(tmp_path / "weekly-temperature" / "validation" / "k3" / "failure_cases.csv")
    assert not failed.ok and len(failed.problems) == 1
    assert cases["row"].tolist() == [1, 2] and cases["key"].tolist() == ["time=t1", "time=t2"]
    assert cases["file_line"].isna().all()  # after validate, rows are not the file's lines
    passed = check_stage_frame(frame.assign(v=[1.0, 1.0, 2.0]), schema, cfg, "clean", "k4")
    assert passed.ok
    assert not (tmp_path / "weekly-temperature" / "validation" / "k4").exists()


def test_the_prepared_summary_gathers_every_stage_report(tmp_path):
    cfg = config(tmp_path)
    stages = ("ingest", "validate", "clean", "target", "split", "scale", "temporalize")
    meta = {
        "source": {"sha256": "abc"},
        "ingest": {"rows": 10, "extra_columns_ignored": ["x"], "renamed": {}, "encoding": "utf-8"},
        "clean": {
            "rows_out": 9,
            "rows_reordered": 0,
            "timestamps_inserted": 1,
            "filled_cells": 2,
            "filled_cells_by_column": {"AvgTemp": 2},
        },
        "target": {"rows_out": 8},
        "split": {"periods": {"train": ["a", "b"]}},
        "scale": {"fitted_on": {"split": "train"}},
        "temporalize": {
            "shapes": {"train": [4, 3, 3], "val": [1, 3, 3], "test": [1, 3, 3]},
            "windows_removed_for_gaps": {"train": 0, "val": 0, "test": 0},
        },
        "keys": {stage: f"k{i}" for i, stage in enumerate(stages, start=1)},
    }
    ref = StageRef(stage="temporalize", key="k7", dir="/p", frame=None, source="s.csv", meta=meta)
    got = prepared_summary(ref, cfg)
    assert got["rows"] == {
        "in": 10,
        "after_clean": 9,
        "supervised": 8,
        "windows": {"train": 4, "val": 1, "test": 1},
    }
    assert got["data_fingerprint"] == {"sha256": "abc"} and got["key"] == "k7"
    assert got["filled_cells_by_column"] == {"AvgTemp": 2}
    assert got["extra_columns_ignored"] == ["x"] and got["split_periods"] == {"train": ["a", "b"]}
    base = tmp_path.resolve() / "weekly-temperature"
    assert got["stage_dirs"]["clean"] == str(base / "stages" / "clean" / "k3")
    assert got["stage_dirs"]["temporalize"] == str(base / "prepared" / "k7")
    assert got["stage_keys"] == meta["keys"]
    assert (got["timesteps"], got["horizon"]) == (cfg.resolved_timesteps, cfg.resolved_horizon)
