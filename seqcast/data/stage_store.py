"""A stage's stored output: its folder, writing a stage's result there, its checks' failure cases,
and reading it back.

The folder is ``Layout.stage_dir`` under the run's output root, named by the stage's key
(:mod:`seqcast.data.stage_keys`); its ``meta.json`` is the stage's :class:`StageRef`, which
``seqcast run-stage`` reads to rerun the stage after it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from seqcast.config import PrepareConfig
from seqcast.data.prepared_summary import prepared_summary
from seqcast.data.stage_keys import SourceRef, StageRef, next_ref
from seqcast.data.stages import StageResult, problems_beyond_validation
from seqcast.data.validate import Validation, validate_frame
from seqcast.data.windows import to_table
from seqcast.errors import DataError, StageOutputMissing
from seqcast.io import storage
from seqcast.io.paths import Layout


def stage_dir(cfg: PrepareConfig, stage: str, key: str) -> Path:
    """Where ``stage`` with ``key`` stores its output under the run's output root."""
    return Layout.of(cfg.out, cfg.dataset_name).stage_dir(stage, key)


def stage_record(cfg: PrepareConfig, stage: str, key: str) -> Path:
    """The stored ref (``meta.json``) of ``stage`` with ``key``: written last, so its presence
    means the stage's whole output is there."""
    return Layout.meta_file(stage_dir(cfg, stage, key))


def save_stage(
    stage: str,
    key: str,
    upstream: SourceRef | StageRef,
    cfg: PrepareConfig,
    result: StageResult,
    *,
    frame_from: str | None = None,
    extra: dict | None = None,
) -> StageRef:
    """Write ``stage``'s ``result`` into its key's folder atomically (with the prepared
    dataset's summary after ``temporalize``) and return the ref it hands on. ``frame_from``:
    the frame file a stage without a frame of its own passes on (``validate``)."""
    final = stage_dir(cfg, stage, key)
    frame = frame_from if result.frame is None else str(Layout.frame_file(final))
    ref = next_ref(upstream, stage, key, final, frame, result.report, extra)
    write_stage(ref, result, prepared_summary(ref, cfg) if stage == "temporalize" else None)
    return ref


def write_stage(ref: StageRef, result: StageResult, summary: dict | None = None) -> None:
    """Write ``result`` into ``ref.dir`` atomically: its frame, tables (CSV), documents (JSON),
    windows (one table per split), ``summary`` (``summary.json``) when given, and ``ref``."""
    with storage.staged_dir(Path(ref.dir)) as tmp:
        if result.frame is not None:
            storage.write_frame(Layout.frame_file(tmp), result.frame)
        for name, table in result.tables.items():
            storage.write_csv(tmp / f"{name}.csv", table)
        for name, doc in result.documents.items():
            storage.write_json(tmp / f"{name}.json", doc)
        for split, ws in result.windows.items():
            storage.write_table(Layout.split_file(tmp, split), to_table(ws))
        if summary is not None:
            storage.write_json(Layout.summary_file(tmp), summary)
        storage.write_json(Layout.meta_file(tmp), ref.model_dump())


def failure_cases_file(cfg: PrepareConfig, key: str) -> Path:
    """Where a stage with ``key`` that failed its checks writes every failure case (CSV)."""
    return Layout.of(cfg.out, cfg.dataset_name).failure_cases(key)


def check_stage_frame(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema | type[pa.DataFrameModel],
    cfg: PrepareConfig,
    stage: str,
    key: str,
) -> Validation:
    """Validate ``stage``'s frame against ``schema`` lazily, failures named by the file's key
    columns and lines at ``validate`` (the raw file) and by time after it; when any check
    fails, every failure case is written to :func:`failure_cases_file`."""
    key_columns = cfg.spec.key_columns if stage == "validate" else ["time"]
    result = validate_frame(frame, schema, key_columns, file_lines=stage == "validate")
    if not result.ok:
        storage.write_csv(failure_cases_file(cfg, key), result.failure_cases)
    return result


def check_error(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema | type[pa.DataFrameModel],
    cfg: PrepareConfig,
    stage: str,
    key: str,
    source: str,
) -> tuple[Validation, DataError | None]:
    """:func:`check_stage_frame`, and the error its failure raises (None when it passed):
    every failed check, then, at ``validate``, what ``clean`` would still refuse once those
    values were fixed (gaps longer than the policy fills; marked as such, with its hint), so
    one report names every problem of the file."""
    result = check_stage_frame(frame, schema, cfg, stage, key)
    if result.ok:
        return result, None
    problems, hint = list(result.problems), ""
    if stage == "validate":
        later = problems_beyond_validation(frame, cfg, source, result.failure_cases)
        if later is not None:
            found = f"found by {later.stage}, once the values above are fixed"
            problems += [replace(p, check=f"{p.check} ({found})") for p in later.problems]
            hint = later.hint
    path = str(failure_cases_file(cfg, key))
    return result, DataError(source, stage, problems, failure_cases_path=path, hint=hint)


def read_stage_frame(ref: StageRef) -> pd.DataFrame:
    """The frame ``ref``'s stage stored; :class:`StageOutputMissing` when it was removed."""
    assert ref.frame is not None
    path = Path(ref.frame)
    if not path.exists():
        raise StageOutputMissing(
            f"the stored output of stage {ref.stage!r} ({path}) was removed after it was cached; "
            "rerun with --refresh (or `seqcast run-stage` for that stage)"
        )
    return storage.read_frame(path)


def read_stage_record(cfg: PrepareConfig, stage: str, key: str) -> StageRef:
    """The stored ref of ``stage`` with ``key``; :class:`StageOutputMissing` when there is none."""
    stored = stage_record(cfg, stage, key)
    if not stored.exists():
        raise StageOutputMissing(
            f"no stored output of stage {stage!r} for this source and config "
            f"(looked for {stored}); run `seqcast prepare` with the same options first"
        )
    return StageRef.model_validate(storage.read_json(stored))
