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

from tests.conftest import PROJECT_ROOT

ROOT = PROJECT_ROOT
SEQCAST = Path(sys.executable).parent / "seqcast"


def _env(prefect_home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(prefect_home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    return env


def _train_cmd(out: Path, *extra: str) -> list[str]:
    return [str(SEQCAST), "train", "--dataset", "weekly-temperature", "--out", str(out), *extra]


def test_sigkill_mid_training_then_rerun_reuses_finished_work(tmp_path):
    """Kill the whole run after the first fit finished; the rerun takes it from the cache and
    fits the rest."""
    out = tmp_path / "out"
    env = _env(tmp_path / "prefect")
    cmd = _train_cmd(
        out,
        "--variants",
        "rnn,gru",
        "--workers",
        "1",
        "--max-epochs",
        "60",
        "--patience",
        "60",
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


def test_two_runs_started_together_both_complete(tmp_path):
    """Two training runs of one dataset at once: two run dirs, a consistent champion."""
    out = tmp_path / "out"
    procs = []
    for seed in ("3", "4"):
        # the bike sample, where a GRU beats every reference (see test_train_flow.CHAMPION)
        cmd = [
            *_train_cmd(out, "--variants", "gru", "--timesteps", "12", "--workers", "1"),
            *("--units", "16", "--learning-rate", "0.01", "--max-epochs", "20"),
            *("--patience", "5", "--seed", seed, "--folds", "1", "--seeds", "1"),
        ]
        cmd[cmd.index("weekly-temperature")] = "bike-hourly"
        procs.append(
            subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=_env(tmp_path / f"prefect-{seed}"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = [p.communicate(timeout=1500) for p in procs]  # a liveness bound, not a speed aim
    for p, (_, stderr) in zip(procs, results, strict=True):
        assert p.returncode == 0, stderr[-3000:]
    run_dirs = {Path(stdout.strip().splitlines()[-1]) for stdout, _ in results}
    assert len(run_dirs) == 2
    candidates = []
    for run_dir in run_dirs:
        metrics = json.loads((run_dir / "metrics.json").read_text())
        if metrics["champion"]:
            entry = next(m for m in metrics["models"] if m["name"] == metrics["champion"])
            candidates.append((entry["backtest"]["mae"], metrics["run_id"]))
    assert candidates, "neither run promoted a champion: the test would prove nothing"
    # both wrote one MLflow store at once: every chosen model is a version, the alias on the best
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{out.resolve()}/mlflow.db"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    versions = client.search_model_versions("name='seqcast-bike-hourly'")
    assert sorted(v.tags["seqcast.run_id"] for v in versions) == sorted(r for _, r in candidates)
    best = client.get_model_version_by_alias("seqcast-bike-hourly", "champion")
    assert best.tags["seqcast.run_id"] == min(candidates)[1]
    runs = client.search_runs([client.get_experiment_by_name("seqcast-bike-hourly").experiment_id])
    assert {r.info.run_name for r in runs} >= {r for _, r in candidates}
