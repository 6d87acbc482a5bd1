"""Shared fixtures: a Prefect test server for flow tests, the real datasets when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
PROJECT_ROOT = ROOT  # for test modules at any depth under tests/
SPEC_FIXTURES = ROOT / "tests" / "specs"  # spec files the tests use
REAL_DATA = ROOT.parent / "shared" / "datasets"


def pytest_collection_modifyitems(config, items):
    """Everything under tests/flows/ and tests/e2e/ is ``slow`` (a Prefect server, real flows,
    subprocesses): ``pytest -m "not slow"`` runs the unit and project tests alone."""
    for item in items:
        part = Path(str(item.path)).relative_to(ROOT / "tests").parts[0]
        if part in ("flows", "e2e"):
            item.add_marker(pytest.mark.slow)


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


def tiny_in_process(dataset: str, out: Path, variant: str = "rnn", epochs: int = 3, **kw):
    """A TrainConfig for a quick run in this process (threads): one variant, one fold, one
    seed, no ensemble."""
    from seqcast.config import TrainConfig

    return TrainConfig(
        dataset=dataset,
        out=str(out),
        variants=(variant,),
        variant={"units": 4, "layers": 1, "dense_units": 4, "learning_rate": 0.01},
        training={"max_epochs": epochs, "patience": 1, "seed": kw.pop("seed", 1)},
        selection={"folds": 1, "seeds": 1, "shortlist": 0, "ensemble_size": 0},
        task_runner="thread",
        workers=1,
        **kw,
    )


def best_deep(board, require_deep=False):
    """The promotion rule minus 'beats every reference' (tiny fits are not meant to win), for
    tests about what happens once a deep champion exists."""
    deep = [e for e in board if e["kind"] == "deep"]
    return min(deep, key=lambda e: e["backtest"]["mae"])["name"], "test stand-in", "deep"
