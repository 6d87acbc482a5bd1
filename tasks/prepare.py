"""Tasks of the ``prepare`` flow: one per stage, each cached across runs.

Cache key: the task's inputs except the full config (``INPUTS - "cfg"``: that is the upstream
stage's reference, which carries its key), the task's source (``TASK_SOURCE``), and the stage key
(this stage's own config fields, schema and stage-code versions, and the output root). Changing
only a later stage's settings leaves earlier stages Cached. A stage whose stored output directory
is gone (removed by hand after it was cached) is run with its cache refreshed: see
:func:`run_stage_task`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import Task, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE, CachePolicy
from prefect.context import TaskRunContext

from schemas import SCHEMA_VERSION, clean_schema, raw_schema
from seqcast.config import PrepareConfig
from seqcast.data import stages
from seqcast.data.stage_keys import SourceRef, StageRef, stage_key, stage_keys
from seqcast.data.validate import validate_frame
from seqcast.data.windows import to_table
from seqcast.errors import ConfigError, DataError, StageOutputMissing
from seqcast.io import storage
from seqcast.io.paths import STAGES, Layout
from seqcast.io.sources import fetch, sha256_of
from tasks.caching import refreshed_if_missing


def _previous_key(params: dict[str, Any]) -> str:
    up = params["upstream"]
    return up.sha256 if isinstance(up, SourceRef) else up.key


def _key_of(stage: str, params: dict[str, Any]) -> str:
    return stage_key(stage, _previous_key(params), params["cfg"], SCHEMA_VERSION)


def _stage_cache_key(ctx: TaskRunContext, params: dict[str, Any]) -> str:
    cfg: PrepareConfig = params["cfg"]
    name = cfg.dataset_name
    return f"{name}:{Layout.of(cfg.out, name).root}:{_key_of(ctx.task.name, params)}"


STAGE_CACHE = (INPUTS - "cfg") + TASK_SOURCE + CachePolicy.from_cache_key_fn(_stage_cache_key)


def _publish(
    stage: str,
    upstream: SourceRef | StageRef,
    cfg: PrepareConfig,
    result: stages.StageResult,
    *,
    frame_from: str | None = None,
    extra: dict | None = None,
) -> StageRef:
    """Write a stage's outputs into its key's directory, atomically, and return its ref."""
    layout = Layout.of(cfg.out, cfg.dataset_name)
    key = stage_key(stage, _previous_key({"upstream": upstream}), cfg, SCHEMA_VERSION)
    final = layout.stage_dir(stage, key)
    meta = dict(upstream.meta) if isinstance(upstream, StageRef) else {}
    meta[stage] = result.report
    meta["keys"] = {**meta.get("keys", {}), stage: key}
    meta.update(extra or {})
    with storage.staged_dir(final) as tmp:
        frame_path = frame_from
        if result.frame is not None:
            storage.write_frame(Layout.frame_file(tmp), result.frame)
            frame_path = str(Layout.frame_file(final))
        for name, table in result.tables.items():
            storage.write_csv(tmp / f"{name}.csv", table)
        for name, doc in result.documents.items():
            storage.write_json(tmp / f"{name}.json", doc)
        for split, ws in result.windows.items():
            storage.write_table(Layout.split_file(tmp, split), to_table(ws))
        ref = StageRef(
            stage=stage,
            key=key,
            dir=str(final),
            frame=frame_path,
            source=upstream.source,
            meta=meta,
        )
        if stage == "temporalize":
            storage.write_json(Layout.summary_file(tmp), summary_of(ref, cfg))
        storage.write_json(Layout.meta_file(tmp), ref.model_dump())
    return ref


def summary_of(ref: StageRef, cfg: PrepareConfig) -> dict:
    m = ref.meta
    return {
        "dataset": cfg.dataset_name,
        "source": ref.source,
        "data_fingerprint": {"sha256": m["source"]["sha256"]},
        "key": ref.key,
        "config": cfg.model_dump(mode="json"),
        "spec": cfg.spec.model_dump(mode="json"),
        "rows": {
            "in": m["ingest"]["rows"],
            "after_clean": m["clean"]["rows_out"],
            "supervised": m["target"]["rows_out"],
            "windows": {s: shape[0] for s, shape in m["temporalize"]["shapes"].items()},
        },
        "extra_columns_ignored": m["ingest"]["extra_columns_ignored"],
        "renamed_columns": m["ingest"]["renamed"],
        "encoding": m["ingest"]["encoding"],
        "rows_reordered": m["clean"]["rows_reordered"],
        "timestamps_inserted": m["clean"]["timestamps_inserted"],
        "filled_cells": m["clean"]["filled_cells"],
        "filled_cells_by_column": m["clean"]["filled_cells_by_column"],
        "windows_removed_for_gaps": m["temporalize"]["windows_removed_for_gaps"],
        "split_periods": m["split"]["periods"],
        "scaler_fitted_on": m["scale"]["fitted_on"],
        "shapes": m["temporalize"]["shapes"],
        "feature_names": cfg.spec.feature_names,
        "covariate_names": cfg.spec.covariate_names,
        "timesteps": cfg.resolved_timesteps,
        "horizon": cfg.resolved_horizon,
        "stage_keys": m["keys"],
        "stage_dirs": {
            stage: str(Layout.of(cfg.out, cfg.dataset_name).stage_dir(stage, key))
            for stage, key in m["keys"].items()
        },
    }


def _load(ref: StageRef) -> pd.DataFrame:
    assert ref.frame is not None
    path = Path(ref.frame)
    if not path.exists():
        raise StageOutputMissing(
            f"the stored output of stage {ref.stage!r} ({path}) was removed after it was cached; "
            "rerun with --refresh (or `seqcast run-stage` for that stage)"
        )
    return storage.read_frame(path)


def _check(
    frame: pd.DataFrame, schema: Any, cfg: PrepareConfig, stage: str, key: str, source: str
) -> None:
    """Validate lazily; on failure write every failure case to CSV, publish a table artifact,
    and raise a DataError that names the file, the columns, the checks and example rows."""
    spec = cfg.spec
    key_columns = spec.key_columns if stage == "validate" else ["time"]
    result = validate_frame(frame, schema, key_columns, file_lines=stage == "validate")
    if result.ok:
        return
    path = Layout.of(cfg.out, cfg.dataset_name).failure_cases(key)
    storage.write_csv(path, result.failure_cases)
    in_a_run = TaskRunContext.get() is not None  # a plain call has no API to publish to
    with contextlib.suppress(Exception):
        if in_a_run:
            create_table_artifact(
                key=f"{cfg.dataset_name}-{stage}-failures",
                table=result.failure_cases.head(500).astype(str).to_dict(orient="records"),
                description=f"{stage} failures for {source}",
            )
    raise DataError(source, stage, result.problems, failure_cases_path=str(path))


@task(name="stored-upstream", task_run_name="stored-{stage}-upstream", cache_policy=NO_CACHE)
def stored_upstream(stage: str, cfg: PrepareConfig, source: SourceRef) -> StageRef:
    """The stored output of the stage before ``stage`` for this source and config, to rerun
    ``stage`` alone from it (``run-stage``)."""
    previous = STAGES[STAGES.index(stage) - 1]
    keys = stage_keys(cfg, source.sha256, SCHEMA_VERSION)
    stored = Layout.meta_file(
        Layout.of(cfg.out, cfg.dataset_name).stage_dir(previous, keys[previous])
    )
    if not stored.exists():
        raise StageOutputMissing(
            f"no stored output of stage {previous!r} for this source and config "
            f"(looked for {stored}); run `seqcast prepare` with the same options first"
        )
    return StageRef.model_validate(storage.read_json(stored))


@task(name="fetch", task_run_name="fetch", retries=0)
def fetch_source(cfg: PrepareConfig) -> SourceRef:
    """Fetch the source (never cached: its content decides every later key)."""
    source = cfg.source or cfg.spec.sample_file
    if source is None:
        raise ConfigError(
            f"dataset {cfg.dataset_name} has no sample_file in its spec: give a source file"
        )
    got = fetch(
        source,
        Layout.of(cfg.out, cfg.dataset_name).downloads,
        timeout_s=cfg.download_timeout_s,
        retries=cfg.download_retries,
        max_bytes=int(cfg.max_download_mb * 2**20),
    )
    return SourceRef(source=source, path=str(got.path), sha256=sha256_of(got.content))


@task(name="ingest", task_run_name="ingest", cache_policy=STAGE_CACHE)
def ingest(upstream: SourceRef, cfg: PrepareConfig) -> StageRef:
    content = Path(upstream.path).read_bytes()
    result = stages.ingest(content, cfg, upstream.source)
    source_meta = {"source": upstream.model_dump()}
    return _publish("ingest", upstream, cfg, result, extra=source_meta)


@task(name="validate", task_run_name="validate", cache_policy=STAGE_CACHE)
def validate(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    frame = _load(upstream)
    key = _key_of("validate", {"upstream": upstream, "cfg": cfg})
    schema = raw_schema(cfg.spec)
    _check(frame, schema, cfg, "validate", key, upstream.source)
    report = {"schema": schema.name, "schema_version": SCHEMA_VERSION, "ok": True}
    result = stages.StageResult(None, report)
    return _publish("validate", upstream, cfg, result, frame_from=upstream.frame)


@task(name="clean", task_run_name="clean", cache_policy=STAGE_CACHE)
def clean(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    result = stages.clean_stage(_load(upstream), cfg, upstream.source)
    key = _key_of("clean", {"upstream": upstream, "cfg": cfg})
    assert result.frame is not None
    _check(result.frame, clean_schema(cfg.spec), cfg, "clean", key, upstream.source)
    return _publish("clean", upstream, cfg, result)


@task(name="target", task_run_name="target", cache_policy=STAGE_CACHE)
def target(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    return _publish(
        "target", upstream, cfg, stages.target_stage(_load(upstream), cfg, upstream.source)
    )


@task(name="split", task_run_name="split", cache_policy=STAGE_CACHE)
def split(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    return _publish(
        "split", upstream, cfg, stages.split_stage(_load(upstream), cfg, upstream.source)
    )


@task(name="scale", task_run_name="scale", cache_policy=STAGE_CACHE)
def scale(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    return _publish(
        "scale", upstream, cfg, stages.scale_stage(_load(upstream), cfg, upstream.source)
    )


@task(name="temporalize", task_run_name="temporalize", cache_policy=STAGE_CACHE)
def temporalize(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    result = stages.temporalize_stage(_load(upstream), cfg, upstream.source)
    result.documents["scaler"] = storage.read_json(Layout.scaler_file(Path(upstream.dir)))
    clean_dir = Layout.of(cfg.out, cfg.dataset_name).stage_dir(
        "clean", upstream.meta["keys"]["clean"]
    )
    result.tables["filled_cells"] = pd.read_csv(clean_dir / "filled_cells.csv")
    return _publish("temporalize", upstream, cfg, result)


# Every stage's task, in the order the stages run (paths.STAGES).
STAGE_TASKS: dict[str, Task[..., StageRef]] = dict(
    zip(STAGES, (ingest, validate, clean, target, split, scale, temporalize), strict=True)
)


def run_stage_task(stage: str, upstream: SourceRef | StageRef, cfg: PrepareConfig) -> StageRef:
    """Run ``stage``'s task: from the cache while its stored output is there, computed again
    (refreshing the cache record) when that output was removed after it was cached."""
    key = _key_of(stage, {"upstream": upstream, "cfg": cfg})
    stored = Layout.meta_file(Layout.of(cfg.out, cfg.dataset_name).stage_dir(stage, key))
    return refreshed_if_missing(STAGE_TASKS[stage], [stored])(upstream, cfg)
