"""Output paths given as parameters cannot escape the output root."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from seqcast.config import ForecastConfig, PrepareConfig
from seqcast.io.paths import OUTPUT_ROOT_ENV, Layout, checked_out


def test_parent_components_are_always_refused():
    """'..' in an output path is refused, with or without an output root."""
    with pytest.raises(ValueError, match=r"must not contain '\.\.'"):
        checked_out("outputs/../../etc")
    with pytest.raises(ValidationError):
        PrepareConfig(dataset="bike-hourly", out="../elsewhere")


def test_inside_the_root_relative_and_absolute(tmp_path, monkeypatch):
    """With a root set, relative paths land inside it; absolute ones must be inside it."""
    monkeypatch.setenv(OUTPUT_ROOT_ENV, str(tmp_path / "root"))
    assert Layout.of("team-a", "bike-hourly").root == (tmp_path / "root" / "team-a").resolve()
    assert checked_out(str(tmp_path / "root" / "x")) == str(tmp_path / "root" / "x")
    with pytest.raises(ValueError, match="outside the output root"):
        checked_out("/etc")
    with pytest.raises(ValidationError):
        ForecastConfig(dataset="bike-hourly", out=str(tmp_path / "other"))


def test_links_out_of_the_root_are_refused(tmp_path, monkeypatch):
    """A link inside the root pointing elsewhere is refused, as is a dataset-folder link."""
    root = tmp_path / "root"
    (root / "ok").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "sneaky").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv(OUTPUT_ROOT_ENV, str(root))
    with pytest.raises(ValueError, match="outside the output root"):
        checked_out("sneaky")
    (root / "ok" / "bike-hourly").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="link out of the output root"):
        Layout.of("ok", "bike-hourly")


def test_without_a_root_any_plain_path_is_accepted(tmp_path, monkeypatch):
    """Local CLI use: an absolute path anywhere is fine when no root is configured."""
    monkeypatch.delenv(OUTPUT_ROOT_ENV, raising=False)
    assert PrepareConfig(dataset="bike-hourly", out=str(tmp_path)).out == str(tmp_path)


def test_runs_a_schedule_starts_apart_get_different_names():
    """Prefect's flow-run ids are time-ordered: two runs a minute apart share their first 8
    hex digits (the clock) and differ at the end, which is what a run folder's name takes."""
    from datetime import UTC, datetime

    from seqcast.io.paths import run_name

    first = run_name(datetime(2026, 11, 29, 22, 55, 29, tzinfo=UTC),
                     "01a22984-5d2e-7c3a-8f1e-0b9c4d2a11f7")  # fmt: skip
    second = run_name(datetime(2026, 11, 29, 22, 55, 29, tzinfo=UTC),
                      "01a22984-6a10-7e21-9c3b-5e7f8a9b2c04")  # fmt: skip
    assert first == "20261129T225529Z-4d2a11f7"
    assert second == "20261129T225529Z-8a9b2c04"
    assert run_name(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), None) == "20260102T030405Z-local"
