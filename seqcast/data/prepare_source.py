"""The source a ``prepare`` run reads: the given file or URL, else the spec's sample file,
fetched into the downloads folder within the run's limits."""

from __future__ import annotations

from seqcast.config import PrepareConfig
from seqcast.data.stage_keys import SourceRef
from seqcast.errors import ConfigError
from seqcast.io.paths import Layout
from seqcast.io.sources import fetch, sha256_of


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
