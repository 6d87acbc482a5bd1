"""Rerun one stage of ``prepare`` from the stored output of the stage before it (debugging)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from schemas import SCHEMA_VERSION
from seqcast import storage
from seqcast.config import PrepareConfig
from seqcast.errors import StageOutputMissing
from seqcast.paths import STAGES, Layout
from seqcast.refs import StageRef, stage_keys
from tasks import prepare as t


@flow(name="run-stage")
def run_stage(stage: str, config: PrepareConfig) -> str:
    """Recompute one stage (ignoring its cache) from the stored output of the stage before it."""
    source = t.fetch_source(config)
    if stage == "ingest":
        upstream: object = source
    else:
        previous = STAGES[STAGES.index(stage) - 1]
        keys = stage_keys(config, source.sha256, SCHEMA_VERSION)
        stored = Layout.meta_file(
            Layout.of(config.out, config.dataset_name).stage_dir(previous, keys[previous])
        )
        if not stored.exists():
            raise StageOutputMissing(
                f"no stored output of stage {previous!r} for this source and config "
                f"(looked for {stored}); run `seqcast prepare` with the same options first"
            )
        upstream = StageRef.model_validate(storage.read_json(Path(stored)))
    ref = t.STAGE_TASKS[stage].with_options(refresh_cache=True)(upstream, config)
    return ref.dir
