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


def _weekly(tmp_path, edit) -> PrepareConfig:
    """The weekly sample with ``edit(rows)`` applied to its data rows (lists of strings)."""
    import csv

    from tests.conftest import PROJECT_ROOT

    with open(PROJECT_ROOT / "data" / "raw" / "weekly_temperature_sample.csv") as f:
        header, *rows = list(csv.reader(f))
    edit(header.index("AvgTemp"), rows)
    path = tmp_path / "weekly.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return PrepareConfig(dataset="weekly-temperature", source=str(path), out=str(tmp_path / "o"))


def test_one_report_names_every_bad_value_and_the_gap_clean_would_refuse(tmp_path):
    """'twelve' on line 121 and 'n/a' for 6 weeks from line 41 (the policy fills 2): the
    check before a run reports both in one pass, the gap marked as clean's, with clean's
    hint; once the value is fixed, the gap alone (clean's own report); once both are, it
    passes."""
    from seqcast.data.prepare_source import check_local_source
    from seqcast.errors import DataError

    def twelve(col, rows):
        rows[119][col] = "twelve"

    def gap(col, rows):
        for r in range(39, 45):
            rows[r][col] = "n/a"

    with pytest.raises(DataError) as both:
        check_local_source(_weekly(tmp_path, lambda c, r: (twelve(c, r), gap(c, r))))
    text = both.value.report()
    assert both.value.stage == "validate" and len(both.value.problems) == 2
    assert "line 121 (year=2017, week=14): value 'twelve'" in text
    assert "6 missing step(s) from 2015-10-01 to 2015-11-05" in text
    assert "(found by clean, once the values above are fixed)" in text
    assert "--max-fill-steps 6" in text  # clean's hint

    with pytest.raises(DataError) as alone:
        check_local_source(_weekly(tmp_path, gap))
    assert alone.value.stage == "clean" and "found by" not in alone.value.report()
    assert check_local_source(_weekly(tmp_path, lambda c, r: None)) is True


def test_problems_beyond_validation_by_hand():
    """A bad value inside a 3-step gap counts as fixed (its neighbour's value), so the gap is
    the 2 empty cells beside it: within a policy of 2 nothing more is found, with 1 the gap
    is; a failure in a time-key column leaves the times unknown: nothing more is said."""
    import pandas as pd

    from seqcast.data.stages import problems_beyond_validation

    frame = pd.DataFrame(
        {
            "year": ["2010"] * 8,
            "week": [str(w) for w in range(1, 9)],
            "AvgTemp": ["1.0", "2.0", "", "x", "", "6.0", "7.0", "8.0"],
        }
    )
    failures = pd.DataFrame({"column": ["AvgTemp"], "row": [3]})

    def cfg(fill: int) -> PrepareConfig:
        return PrepareConfig(dataset="weekly-temperature", gaps={"max_fill_steps": fill})

    assert problems_beyond_validation(frame, cfg(2), "f.csv", failures) is None
    found = problems_beyond_validation(frame, cfg(0), "f.csv", failures)
    assert found is not None and found.stage == "clean"
    assert found.problems[0].count == 2  # the two empty cells, not the bad value
    key = pd.DataFrame({"column": ["week"], "row": [3]})
    assert problems_beyond_validation(frame, cfg(0), "f.csv", key) is None
