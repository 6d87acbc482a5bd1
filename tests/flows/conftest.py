"""Trained runs shared by the flow tests that only read them (or add files beside them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import best_deep, tiny_in_process


class TrainedRun(NamedTuple):
    out: Path  # the output root (its MLflow store is out/mlflow.db)
    run_dir: Path


@pytest.fixture(scope="session")
def weekly_run(prefect_server, tmp_path_factory) -> Iterator[TrainedRun]:
    """One tiny weekly-temperature run on the whole sample (``tiny_in_process``), its rnn
    promoted and registered, trained once for every test that reads it: the MLflow record,
    the registered model, the reruns of its fits. Those tests may add files (a forecast, a
    rerun's folder) but change nothing the others read."""
    from flows.train import train

    out = tmp_path_factory.mktemp("weekly-run") / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.setattr("seqcast.evaluation.selection.choose_champion", best_deep)
        run_dir = Path(train(tiny_in_process("weekly-temperature", out)))
    yield TrainedRun(out, run_dir)
