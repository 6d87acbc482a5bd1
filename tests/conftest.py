"""Shared fixtures: a Prefect test server for flow tests, the real datasets when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if os.environ.get("PYTEST_XDIST_WORKER"):  # one of several test processes: one thread each
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
PROJECT_ROOT = ROOT  # for test modules at any depth under tests/
SPEC_FIXTURES = ROOT / "tests" / "specs"  # spec files the tests use
REAL_DATA = ROOT.parent / "shared" / "datasets"


# What `slow` means: a test whose call takes longer than this on 2 idle cores (a training, a
# server, a subprocess) is marked slow, whatever its folder; `pytest -m "not slow"` skips them.
SLOW_S = 2.0
_unmarked: list[tuple[float, str]] = []


def pytest_runtest_logreport(report):
    """Note every test not marked slow whose call took more than twice :data:`SLOW_S`."""
    if report.when == "call" and "slow" not in report.keywords and report.duration > 2 * SLOW_S:
        _unmarked.append((report.duration, report.nodeid))


def pytest_terminal_summary(terminalreporter):
    """List the tests noted above: each should be marked slow, or made quick."""
    if _unmarked:
        terminalreporter.section(f"tests over {2 * SLOW_S:g} s not marked slow")
        for seconds, nodeid in sorted(_unmarked, reverse=True):
            terminalreporter.write_line(f"{seconds:6.1f}s {nodeid}")


def real_file(name: str) -> Path:
    """Path of a real Seoul file; skips the test with a clear reason when it is absent."""
    path = REAL_DATA / name
    if not path.exists():
        pytest.skip(f"real dataset {path} is absent (the real Seoul files live in ../shared)")
    return path


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory) -> str:
    """One temporary Prefect server (SQLite) for every flow test in the session; its API URL,
    for a subprocess that should use it (:func:`api_env`) rather than start its own."""
    from prefect.logging.configuration import setup_logging
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    # Prefect sets up logging lazily, binding its console handler to the sys.stderr of that
    # moment: inside a test using capsys that is a buffer closed after the test. Set it up
    # here, once, outside any test.
    setup_logging()

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


def api_env(api_url: str, home: Path) -> dict[str, str]:
    """The environment of a subprocess that talks to the session's test server (no temporary
    server of its own to start and migrate): this one's, minus every PREFECT_ setting, plus
    the server's URL and a PREFECT_HOME of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_API_URL=api_url,
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    return env


@pytest.fixture
def out(tmp_path) -> Path:
    return tmp_path / "out"


# The references a test's training fits unless the test is about the references: each of
# these takes under a second a fit on the samples. Gradient boosting, lag-boosting and arima
# took 42, 27 and 2.6 s of a tiny bike run's 115 s with scikit-learn's boosting, before
# LightGBM (their own tests are in tests/unit/models;
# test_train_flow runs every reference once, in a run with the defaults).
CHEAP_REFERENCES = ("persistence", "seasonal-naive", "drift", "ridge", "ets", "theta")
CHEAP_REFERENCES_OPTION = ("--references", ",".join(CHEAP_REFERENCES))  # the same, on the CLI


def tiny_in_process(dataset: str, out: Path, variant: str = "rnn", epochs: int = 3, **kw):
    """A TrainConfig for a quick run in this process (threads): one variant, one fold, one
    seed, no ensemble, the cheap references."""
    from seqcast.config import TrainConfig

    kw.setdefault("references", CHEAP_REFERENCES)
    return TrainConfig(
        dataset=dataset,
        out=str(out),
        variants=(variant,),
        variant={"units": 4, "layers": 1, "dense_units": 4, "learning_rate": 0.01},
        training={
            "max_epochs": epochs,
            "patience": 1,
            "seed": kw.pop("seed", 1),
            "warm_refit": kw.pop("warm_refit", None),
        },
        selection={"folds": 1, "fold_start": 0, "seeds": 1, "shortlist": 0, "ensemble_size": 0},
        task_runner="thread",
        workers=1,
        **kw,
    )


def best_deep(board, require_deep=False):
    """The promotion rule minus 'beats every reference' (tiny fits are not meant to win), for
    tests about what happens once a deep champion exists."""
    deep = [e for e in board if e["kind"] == "deep"]
    return min(deep, key=lambda e: e["backtest"]["mae"])["name"], "test stand-in", "deep"
