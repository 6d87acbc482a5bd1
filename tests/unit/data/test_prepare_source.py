"""The source a prepare run reads: the given one, else the spec's sample, else an error."""

from __future__ import annotations

import pytest

from seqcast.config import PrepareConfig
from seqcast.data.prepare_source import fetch_prepare_source, source_of
from seqcast.errors import ConfigError
from seqcast.io.sources import sha256_of


def test_the_given_source_comes_before_the_sample_and_no_source_at_all_is_refused(tmp_path):
    cfg = PrepareConfig(dataset="weekly-temperature", out=str(tmp_path))
    assert source_of(cfg) == cfg.spec.sample_file
    given = cfg.model_copy(update={"source": "mine.csv"})
    assert source_of(given) == "mine.csv"
    bare = cfg.with_spec(cfg.spec.model_copy(update={"sample_file": None}))
    with pytest.raises(ConfigError, match="has no sample_file in its spec"):
        source_of(bare)


def test_a_local_source_is_fetched_with_its_content_hash(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"year,week,AvgTemp\n2010,1,3.5\n")
    cfg = PrepareConfig(dataset="weekly-temperature", source=str(path), out=str(tmp_path / "o"))
    got = fetch_prepare_source(cfg)
    assert (got.source, got.path) == (str(path), str(path.resolve()))
    assert got.sha256 == sha256_of(b"year,week,AvgTemp\n2010,1,3.5\n")
