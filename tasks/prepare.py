"""Tasks of the ``prepare`` flow: one per stage, each cached across runs on its inputs but the
config (the upstream ref carries its key), its source, and its stage key with the output root
(``seqcast.data.stage_keys``): changing a later stage's settings leaves earlier stages Cached.
A stage whose stored output was removed after it was cached runs again (:func:`run_stage_task`)."""

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
from seqcast.data import stage_store, stages
from seqcast.data.prepare_source import fetch_prepare_source
from seqcast.data.stage_keys import SourceRef, StageRef, previous_key, stage_key, stage_keys
from seqcast.data.stages import StageResult
from seqcast.io import storage
from seqcast.io.paths import STAGES, Layout
from tasks.caching import refreshed_if_missing


def _key_of(stage: str, upstream: SourceRef | StageRef, cfg: PrepareConfig) -> str:
    return stage_key(stage, previous_key(upstream), cfg, SCHEMA_VERSION)


def _stage_cache_key(ctx: TaskRunContext, params: dict[str, Any]) -> str:
    cfg: PrepareConfig = params["cfg"]
    key = _key_of(ctx.task.name, params["upstream"], cfg)
    return f"{cfg.dataset_name}:{Layout.of(cfg.out, cfg.dataset_name).root}:{key}"


STAGE_CACHE = (INPUTS - "cfg") + TASK_SOURCE + CachePolicy.from_cache_key_fn(_stage_cache_key)


def _publish(
    stage: str, upstream: SourceRef | StageRef, cfg: PrepareConfig, result: StageResult, **options
) -> StageRef:
    """Write a stage's outputs into its key's directory, atomically, and return its ref."""
    return stage_store.save_stage(
        stage, _key_of(stage, upstream, cfg), upstream, cfg, result, **options
    )


def _check(
    frame: pd.DataFrame, schema: Any, stage: str, upstream: StageRef, cfg: PrepareConfig
) -> None:
    """Raise a DataError naming the file, the columns, the checks and example rows when
    ``frame`` fails ``schema`` (at ``validate``, with what ``clean`` would still refuse once
    those values were fixed); its failure cases are written to CSV and, in a run, published
    as a table artifact."""
    key = _key_of(stage, upstream, cfg)
    result, error = stage_store.check_error(frame, schema, cfg, stage, key, upstream.source)
    if error is None:
        return
    with contextlib.suppress(Exception):
        if TaskRunContext.get() is not None:  # a plain call has no API to publish to
            create_table_artifact(
                key=f"{cfg.dataset_name}-{stage}-failures",
                table=result.failure_cases.head(500).astype(str).to_dict(orient="records"),
                description=f"{stage} failures for {upstream.source}",
            )
    raise error


@task(name="stored-upstream", task_run_name="stored-{stage}-upstream", cache_policy=NO_CACHE)
def stored_upstream(stage: str, cfg: PrepareConfig, source: SourceRef) -> StageRef:
    """The stored output of the stage before ``stage`` for this source and config, to rerun
    ``stage`` alone from it (``run-stage``)."""
    previous = STAGES[STAGES.index(stage) - 1]
    keys = stage_keys(cfg, source.sha256, SCHEMA_VERSION)
    return stage_store.read_stage_record(cfg, previous, keys[previous])


@task(name="fetch", task_run_name="fetch", retries=0)
def fetch_source(cfg: PrepareConfig) -> SourceRef:
    """Fetch the source (never cached: its content decides every later key)."""
    return fetch_prepare_source(cfg)


@task(name="ingest", task_run_name="ingest", cache_policy=STAGE_CACHE)
def ingest(upstream: SourceRef, cfg: PrepareConfig) -> StageRef:
    result = stages.ingest(Path(upstream.path).read_bytes(), cfg, upstream.source)
    return _publish("ingest", upstream, cfg, result, extra={"source": upstream.model_dump()})


@task(name="validate", task_run_name="validate", cache_policy=STAGE_CACHE)
def validate(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    schema = raw_schema(cfg.spec)
    _check(stage_store.read_stage_frame(upstream), schema, "validate", upstream, cfg)
    report = {"schema": schema.name, "schema_version": SCHEMA_VERSION, "ok": True}
    result = StageResult(None, report)
    return _publish("validate", upstream, cfg, result, frame_from=upstream.frame)


@task(name="clean", task_run_name="clean", cache_policy=STAGE_CACHE)
def clean(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    result = stages.clean_stage(stage_store.read_stage_frame(upstream), cfg, upstream.source)
    assert result.frame is not None
    _check(result.frame, clean_schema(cfg.spec), "clean", upstream, cfg)
    return _publish("clean", upstream, cfg, result)


@task(name="target", task_run_name="target", cache_policy=STAGE_CACHE)
def target(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    result = stages.target_stage(stage_store.read_stage_frame(upstream), cfg, upstream.source)
    return _publish("target", upstream, cfg, result)


@task(name="split", task_run_name="split", cache_policy=STAGE_CACHE)
def split(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    result = stages.split_stage(stage_store.read_stage_frame(upstream), cfg, upstream.source)
    return _publish("split", upstream, cfg, result)


@task(name="scale", task_run_name="scale", cache_policy=STAGE_CACHE)
def scale(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    result = stages.scale_stage(stage_store.read_stage_frame(upstream), cfg, upstream.source)
    return _publish("scale", upstream, cfg, result)


@task(name="temporalize", task_run_name="temporalize", cache_policy=STAGE_CACHE)
def temporalize(upstream: StageRef, cfg: PrepareConfig) -> StageRef:
    result = stages.temporalize_stage(stage_store.read_stage_frame(upstream), cfg, upstream.source)
    result.documents["scaler"] = storage.read_json(Layout.scaler_file(Path(upstream.dir)))
    clean_dir = stage_store.stage_dir(cfg, "clean", upstream.meta["keys"]["clean"])
    result.tables["filled_cells"] = pd.read_csv(clean_dir / "filled_cells.csv")
    return _publish("temporalize", upstream, cfg, result)


# Every stage's task, in the order the stages run (paths.STAGES).
STAGE_TASKS: dict[str, Task[..., StageRef]] = dict(
    zip(STAGES, (ingest, validate, clean, target, split, scale, temporalize), strict=True)
)


def run_stage_task(stage: str, upstream: SourceRef | StageRef, cfg: PrepareConfig) -> StageRef:
    """Run ``stage``'s task: from the cache while its stored output is there, computed again
    (refreshing the cache record) when that output was removed after it was cached."""
    stored = stage_store.stage_record(cfg, stage, _key_of(stage, upstream, cfg))
    return refreshed_if_missing(STAGE_TASKS[stage], [stored])(upstream, cfg)
