"""Stage references and the key chain that names every stage's stored output.

A stage's key hashes the previous stage's key with this stage's settings (its config fields,
the schema and stage-code versions). The first key starts from the source file's SHA-256. The
same chain names the output directory, keys Prefect's cross-run cache, and lets
``seqcast run-stage`` find the stored output of the stage before the one it reruns.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel

from seqcast.config import PrepareConfig
from seqcast.data.stages import stage_settings
from seqcast.io.paths import STAGES


class SourceRef(BaseModel):
    """A source as fetched: where its bytes are on disk and their SHA-256."""

    source: str
    path: str
    sha256: str


class StageRef(BaseModel):
    """What a stage hands to the next: its key, its stored output, and the reports so far."""

    stage: str
    key: str
    dir: str
    frame: str | None
    source: str
    meta: dict


def previous_key(upstream: SourceRef | StageRef) -> str:
    """The key the next stage's key chains from: the source's SHA-256, else the stage's key."""
    return upstream.sha256 if isinstance(upstream, SourceRef) else upstream.key


def next_ref(
    upstream: SourceRef | StageRef,
    stage: str,
    key: str,
    folder: Path,
    frame: str | None,
    report: dict,
    extra: dict | None = None,
) -> StageRef:
    """The ref ``stage`` hands on, stored in ``folder``: the reports and keys of every stage so
    far plus this one's (and ``extra``, e.g. the fetched source)."""
    meta = dict(upstream.meta) if isinstance(upstream, StageRef) else {}
    meta[stage] = report
    meta["keys"] = {**meta.get("keys", {}), stage: key}
    meta.update(extra or {})
    return StageRef(
        stage=stage, key=key, dir=str(folder), frame=frame, source=upstream.source, meta=meta
    )


def chain_key(previous: str, settings: dict) -> str:
    payload = previous + "|" + json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def stage_key(stage: str, previous: str, cfg: PrepareConfig, schema_version: str) -> str:
    settings = stage_settings(stage, cfg)
    if stage in ("validate", "clean"):
        settings["schema_version"] = schema_version
    return chain_key(previous, settings)


def stage_keys(cfg: PrepareConfig, source_sha256: str, schema_version: str) -> dict[str, str]:
    keys: dict[str, str] = {}
    previous = source_sha256
    for stage in STAGES:
        previous = keys[stage] = stage_key(stage, previous, cfg, schema_version)
    return keys
