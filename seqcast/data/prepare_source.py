"""The source a ``prepare`` run reads: the given file or URL, else the spec's sample file,
fetched into the downloads folder within the run's limits; and a local source checked the
way ``validate`` and ``clean`` will check it, before a run starts."""

from __future__ import annotations

from seqcast.config import PrepareConfig
from seqcast.data.stage_keys import SourceRef
from seqcast.errors import ConfigError
from seqcast.io.paths import Layout
from seqcast.io.sources import fetch, is_url, sha256_of


def source_of(cfg: PrepareConfig) -> str:
    """``cfg.source``, else the spec's sample file; :class:`ConfigError` when there is neither."""
    source = cfg.source or cfg.spec.sample_file
    if source is None:
        raise ConfigError(
            f"dataset {cfg.dataset_name} has no sample_file in its spec: give a source file"
        )
    return source


def fetch_prepare_source(cfg: PrepareConfig) -> SourceRef:
    """Fetch the run's source (``source_of``): where its bytes are on disk and their SHA-256."""
    source = source_of(cfg)
    got = fetch(
        source,
        Layout.of(cfg.out, cfg.dataset_name).downloads,
        timeout_s=cfg.download_timeout_s,
        retries=cfg.download_retries,
        max_bytes=int(cfg.max_download_mb * 2**20),
    )
    return SourceRef(source=source, path=str(got.path), sha256=sha256_of(got.content))


def check_local_source(cfg: PrepareConfig) -> bool:
    """Read a local source and check it as the run's ``ingest``, ``validate`` and ``clean``
    stages will (the same failure report, the same failure-cases file), raising their
    :class:`~seqcast.errors.DataError`; so a command reports a bad file in a second or two,
    before it starts any orchestration. Returns False for a URL (fetched by the run, with its
    retries), True once the file passed."""
    from pathlib import Path

    from schemas import SCHEMA_VERSION, raw_schema
    from seqcast.data import stage_store, stages
    from seqcast.data.stage_keys import stage_keys

    source = source_of(cfg)
    if is_url(source):
        return False
    content = Path(source).read_bytes()
    frame = stages.ingest(content, cfg, source).frame
    assert frame is not None
    key = stage_keys(cfg, sha256_of(content), SCHEMA_VERSION)["validate"]
    _, error = stage_store.check_error(frame, raw_schema(cfg.spec), cfg, "validate", key, source)
    if error is not None:
        raise error
    stages.clean_stage(frame, cfg, source)
    return True
