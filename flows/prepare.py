"""The ``prepare`` flow: raw file -> validated, cleaned, split, scaled 3D windows."""

from __future__ import annotations

from prefect import flow

from seqcast.config import PrepareConfig
from tasks import prepare as t


@flow(name="prepare", log_prints=True)
def prepare(config: PrepareConfig) -> str:
    """Prepare one dataset; returns the ``prepared/<key>`` directory."""
    ref = t.ingest(t.fetch_source(config), config)
    ref = t.validate(ref, config)
    ref = t.clean(ref, config)
    ref = t.target(ref, config)
    ref = t.split(ref, config)
    ref = t.scale(ref, config)
    ref = t.temporalize(ref, config)
    return ref.dir
