"""The ``prepare`` flow: raw file -> validated, cleaned, split, scaled 3D windows."""

from __future__ import annotations

from prefect import flow

from seqcast.config import PrepareConfig
from tasks import prepare as t


@flow(name="prepare", log_prints=True)
def prepare(config: PrepareConfig) -> str:
    """Prepare one dataset: validated, cleaned, split, scaled windows; returns their folder."""
    first, *later = t.STAGE_TASKS  # the stages in order
    ref = t.run_stage_task(first, t.fetch_source(config), config)
    for stage in later:
        ref = t.run_stage_task(stage, ref, config)
    return ref.dir
