"""Real subprocesses: a training run killed with SIGKILL and started again finishes, reusing
the cached data stages and the fits already finished; two runs started together both
complete, in distinct run directories, and the registry's champion alias is on the better
candidate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CHEAP_REFERENCES_OPTION, PROJECT_ROOT, api_env

# Both talk to the session's test server: a temporary server per command, on a new
# PREFECT_HOME, is test_cli_console's subject, and costs a migration each.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]  # see test_server_e2e

ROOT = PROJECT_ROOT
SEQCAST = Path(sys.executable).parent / "seqcast"


def _train_cmd(out: Path, *extra: str) -> list[str]:
    return [
        str(SEQCAST), "train", "--dataset", "weekly-temperature", "--out", str(out),
        *CHEAP_REFERENCES_OPTION, *extra,
    ]  # fmt: skip


def test_sigkill_mid_training_then_rerun_reuses_finished_work(tmp_path, prefect_server):
    """Kill the whole run after the first fit finished; the rerun takes it from the cache and
    fits the rest."""
    out = tmp_path / "out"
    env = api_env(prefect_server, tmp_path / "prefect")
    cmd = _train_cmd(
        out,
        "--variants",
        "rnn,gru",
        "--workers",
        "1",
        "--max-epochs",
        "30",
        "--patience",
        "30",
        "--units",
        "8",
        "--folds",
        "1",
        "--seeds",
        "1",
        "--ensemble-size",
        "0",
    )
    with open(tmp_path / "first.log", "w") as log:
        first = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 300
        while "rnn-s42-fold-1" not in (tmp_path / "first.log").read_text():
            assert first.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "rnn's fold never finished"
            time.sleep(0.2)
        time.sleep(2)  # gru is training now
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
    assert not (out / "weekly-temperature" / "runs").exists()  # nothing published

    second = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    steps = [line.split() for line in second.stdout.splitlines() if line.startswith("  ")]
    states = {step[1]: step[2] for step in steps}
    assert states["rnn-s42-fold-1"] == "Cached"
    assert states["rnn-s42-pretest"] == states["gru-s42-pretest"] == "Completed"
    (prepare,) = [line for line in second.stdout.splitlines() if " prepare " in line]
    cached = prepare.split("Cached: ", 1)[1].split(";")[0].split(", ")
    assert {"ingest", "validate", "clean", "temporalize"} <= {c.split()[0] for c in cached}, prepare
    log = Path(second.stdout.splitlines()[0].split("full log: ")[1].rstrip(")")).read_text()
    assert "Task run 'rnn-s42-fold-1' - Finished in state Cached" in log  # Prefect's record
    (run_dir,) = (out / "weekly-temperature" / "runs").iterdir()
    assert (run_dir / "metrics.json").exists()
    assert Path(second.stdout.strip().splitlines()[-1]) == run_dir
    assert not (out / "weekly-temperature" / "models" / ".tmp").exists()  # scratch swept


def test_two_runs_started_together_both_complete(tmp_path, prefect_server):
    """Two training runs of one dataset at once, on a new output root: both complete in
    distinct run directories, both write the one MLflow store (each promotes a model, the
    fallback rule guarantees it, so each registers a version), and the champion alias ends on
    the version with the lower backtest MAE whichever run registered last."""
    out = tmp_path / "out"
    procs = []
    for seed in ("3", "4"):
        cmd = _train_cmd(out, "--variants", "gru", "--workers", "1", "--max-epochs", "3",
                         "--units", "8", "--seed", seed, "--folds", "1", "--seeds", "1",
                         "--ensemble-size", "0")  # fmt: skip
        procs.append(
            subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=api_env(prefect_server, tmp_path / f"prefect-{seed}"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = [p.communicate(timeout=900) for p in procs]  # a liveness bound, not a speed aim
    for p, (_, stderr) in zip(procs, results, strict=True):
        assert p.returncode == 0, stderr[-3000:]
    run_dirs = {Path(stdout.strip().splitlines()[-1]) for stdout, _ in results}
    assert len(run_dirs) == 2
    promoted = []
    for run_dir in run_dirs:
        metrics = json.loads((run_dir / "metrics.json").read_text())
        entry = next(m for m in metrics["models"] if m["name"] == metrics["champion"])
        promoted.append((entry["backtest"]["mae"], metrics["run_id"]))
    # both wrote one MLflow store at once: every chosen model is a version, the alias on the best
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{out.resolve()}/mlflow.db"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    versions = client.search_model_versions("name='seqcast-weekly-temperature'")
    assert sorted(v.tags["seqcast.run_id"] for v in versions) == sorted(r for _, r in promoted)
    best = client.get_model_version_by_alias("seqcast-weekly-temperature", "champion")
    mae = dict((run_id, value) for value, run_id in promoted)
    assert mae[best.tags["seqcast.run_id"]] == min(mae.values())  # a tie may keep either
    experiment = client.get_experiment_by_name("seqcast-weekly-temperature")
    runs = client.search_runs([experiment.experiment_id])
    assert {r.info.run_name for r in runs} >= {r for _, r in promoted}
