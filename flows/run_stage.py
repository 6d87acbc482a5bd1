"""Rerun one stage of ``prepare`` from the stored output of the stage before it (debugging)."""

from __future__ import annotations

from prefect import flow

from seqcast.config import PrepareConfig, StageName
from tasks import prepare as t


@flow(name="run-stage")
def run_stage(stage: StageName, config: PrepareConfig) -> str:
    """Recompute one stage (ignoring its cache) from the stored output of the stage before it."""
    source = t.fetch_source(config)
    upstream = source if stage == "ingest" else t.stored_upstream(stage, config, source)
    ref = t.STAGE_TASKS[stage].with_options(refresh_cache=True)(upstream, config)
    return ref.dir
