"""Shared fixtures: a Prefect test server for flow tests, the real datasets when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "datasets"


def real_file(name: str) -> Path:
    """Path of a real Seoul file; skips the test with a clear reason when it is absent."""
    path = REAL_DATA / name
    if not path.exists():
        pytest.skip(f"real dataset {path} is absent (the real Seoul files live in ../shared)")
    return path


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """One temporary Prefect server (SQLite) for every flow test in the session."""
    from prefect.logging.configuration import setup_logging
    from prefect.testing.utilities import prefect_test_harness

    # Prefect sets up logging lazily, binding its console handler to the sys.stderr of that
    # moment: inside a test using capsys that is a buffer closed after the test. Set it up
    # here, once, outside any test.
    setup_logging()

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def out(tmp_path) -> Path:
    return tmp_path / "out"
