"""Stage references and the key chain that names every stage's stored output.

A stage's key hashes the previous stage's key with this stage's settings (its config fields,
the schema and stage-code versions). The first key starts from the source file's SHA-256. The
same chain names the output directory, keys Prefect's cross-run cache, and lets
``seqcast run-stage`` find the stored output of the stage before the one it reruns.
"""

from __future__ import annotations

import hashlib
import json

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
