"""End to end on a real Prefect server, as users run it: `prefect server start` on a free
loopback port, the work pool, `prefect deploy --all` from prefect.yaml, a training run with
non-default parameters requested through the client (as the UI does), a worker that runs it,
then the forecast deployment; and a deployment registered by `seqcast deploy` whose schedule
the server's scheduler turns into flow runs that a long-running worker completes.
Everything is torn down; no process is left behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pandas as pd
import pytest

from tests.conftest import PROJECT_ROOT

ROOT = PROJECT_ROOT
BIN = Path(sys.executable).parent
# The bike sample: a GRU beats every reference there, so the run promotes a champion.
TRAIN = "train/train-bike-hourly"
FORECAST = "forecast/forecast-bike-hourly"
TRAIN_W = "train/train-weekly-temperature"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLI_PROMPT": "false",
        "PWD": str(ROOT),
    }
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "server.log").read_text()[-3000:])
            time.sleep(1)
        yield env
    finally:
        _stop(proc)
        log.close()
        assert proc.poll() is not None


def _stop(proc: subprocess.Popen) -> None:
    """End a process started in its own session, and everything it started."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _cli(env, *args, timeout=300) -> str:
    done = subprocess.run(
        [str(BIN / "prefect"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def _py(env, code: str, timeout=120) -> str:
    """Run client code in a fresh interpreter pointed at this server; return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return done.stdout.strip().splitlines()[-1]


def _request_run(env, deployment: str, config: dict) -> str:
    return _py(
        env,
        f"""
from prefect.deployments import run_deployment
run = run_deployment({deployment!r}, parameters={{"config": {config!r}}}, timeout=0)
print(run.id)
""",
    )


def _run_worker(env) -> None:
    """A process worker polls once, runs what is scheduled, and exits."""
    _cli(env, "worker", "start", "--pool", "seqcast-process", "--run-once", timeout=600)


def _state_and_artifacts(env, run_id: str) -> dict:
    return json.loads(
        _py(
            env,
            f"""
import asyncio, json
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
async def main():
    async with get_client() as c:
        run = await c.read_flow_run({run_id!r})
        arts = await c.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(
            any_=["bike-hourly-leaderboard", "bike-hourly-summary",
                  "bike-hourly-report", "bike-hourly-forecast"])))
        print(json.dumps({{"state": run.state.name, "message": run.state.message or "",
                          "artifacts": sorted({{a.key for a in arts}})}}))
asyncio.run(main())
""",
        )
    )


@pytest.fixture
def out_dir():
    """A fresh folder inside the deployments' output root (ROOT/outputs), removed after."""
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    yield name, ROOT / "outputs" / name
    shutil.rmtree(ROOT / "outputs" / name, ignore_errors=True)


def test_deploy_run_from_client_worker_forecast_and_reject(server, out_dir):
    """The whole server workflow: deploy, a parameterised run, a worker, artifacts, forecast."""
    env = server
    out_param, out = out_dir
    _cli(env, "work-pool", "create", "seqcast-process", "--type", "process")
    deployed = _cli(env, "--no-prompt", "deploy", "--all")
    for name in (
        "train-weekly-temperature",
        "train-bike-hourly",
        "forecast-bike-hourly",
        "forecast-weekly-temperature",
    ):
        assert name in deployed

    config = {
        "dataset": "bike-hourly",
        "out": out_param,
        "timesteps": 12,
        "variants": ["gru"],
        "workers": 1,
        "variant": {"units": 16, "learning_rate": 0.01},
        "training": {"max_epochs": 20, "patience": 5, "seed": 1},
        "selection": {"folds": 1, "seeds": 1, "shortlist": 0, "ensemble_size": 3},
    }
    train_id = _request_run(env, TRAIN, config)
    _run_worker(env)
    got = _state_and_artifacts(env, train_id)
    assert got["state"] == "Completed"
    assert {
        "bike-hourly-leaderboard",
        "bike-hourly-summary",
        "bike-hourly-report",
    } <= set(got["artifacts"])
    (run_dir,) = (out / "bike-hourly" / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["champion"], metrics["champion_reason"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["config"]["timesteps"] == 12  # the non-default parameter reached the run

    forecast_id = _request_run(env, FORECAST, {"dataset": "bike-hourly", "out": out_param})
    escape_id = _request_run(env, FORECAST, {"dataset": "bike-hourly", "out": "/etc"})
    _run_worker(env)
    assert _state_and_artifacts(env, forecast_id)["state"] == "Completed"
    escaped = _state_and_artifacts(env, escape_id)
    assert escaped["state"] == "Failed" and "outside the output root" in escaped["message"]
    rows = pd.read_parquet(out / "bike-hourly" / "forecasts.parquet")
    # one path: the next 24 hours from the newest row, each with its intervals
    assert rows["step"].tolist() == list(range(1, 25)) and set(rows["model"]) == {
        metrics["champion"]
    }
    assert (rows["lower_95"] <= rows["lower_80"]).all() and (
        rows["upper_80"] <= rows["upper_95"]
    ).all()

    with pytest.raises(RuntimeError, match=r"Validation failed for field 'config\.timesteps'"):
        _request_run(env, TRAIN, {**config, "timesteps": 0})

    # The UI with "Validate parameters" unticked: the server accepts the run; the flow must
    # fail at its start, naming the field and its bound, before any work.
    unchecked_id = _py(
        env,
        f"""
import httpx, os
from prefect.deployments import run_deployment
from prefect.client.orchestration import get_client
api = os.environ["PREFECT_API_URL"]
with get_client(sync_client=True) as c:
    dep = c.read_deployment_by_name({TRAIN!r})
config = {{**{config!r}, "timesteps": 0, "out": {out_param!r} + "/unchecked"}}
r = httpx.post(f"{{api}}/deployments/{{dep.id}}/create_flow_run",
               json={{"parameters": {{"config": config}}, "enforce_parameter_schema": False}})
r.raise_for_status()
print(r.json()["id"])
""",
    )
    _run_worker(env)
    unchecked = _state_and_artifacts(env, unchecked_id)
    assert unchecked["state"] == "Failed"
    assert "config.timesteps" in unchecked["message"]
    assert "greater than or equal to 1" in unchecked["message"]
    assert not (out / "unchecked").exists()  # nothing was prepared


def _scheduled_runs(env, deployment: str) -> list[dict]:
    """The deployment's flow runs that the scheduler made: auto-scheduled, oldest first."""
    return json.loads(
        _py(
            env,
            f"""
import json
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.sorting import FlowRunSort
with get_client(sync_client=True) as c:
    dep = c.read_deployment_by_name({deployment!r})
    runs = c.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[dep.id])),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC,
    )
print(json.dumps([{{"id": str(r.id), "state": r.state.name, "auto": r.auto_scheduled,
                   "created_by": r.created_by.type if r.created_by else None,
                   "start": r.expected_start_time.isoformat()}} for r in runs]))
""",
        )
    )


def test_a_schedule_made_by_seqcast_deploy_fires_and_a_worker_completes_it(
    server, out_dir, tmp_path
):
    """The scheduler (not a person) creates runs of a deployment registered by seqcast deploy
    with a cron on the minute; a long-running process worker completes one; its run
    directory exists; the server log has no traceback."""
    env = server
    out_param, out = out_dir
    deployed = subprocess.run(
        [str(BIN / "seqcast"), "deploy", "--dataset", "weekly-temperature", "--out", out_param,
         "--train-cron", "* * * * *", "--forecast-cron", "",
         "--variants", "gru", "--folds", "1", "--seeds", "1", "--shortlist", "0",
         "--max-epochs", "3", "--ensemble-size", "0", "--workers", "1"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    assert "deployed: train/train-weekly-temperature  cron '* * * * *' (UTC)" in deployed.stdout
    assert "deployed: forecast/forecast-weekly-temperature  no schedule" in deployed.stdout

    worker_log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", "seqcast-process", "--limit", "1"],
        env={**env, "PREFECT_WORKER_QUERY_SECONDS": "2"},
        cwd=ROOT, stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300  # the first minute boundary, then about 40 s of work
        completed: list[dict] = []
        while not completed:
            assert time.monotonic() < deadline, (
                f"no scheduled run completed in 300 s; runs: {_scheduled_runs(env, TRAIN_W)}\n"
                f"server log: {(tmp_path / 'server.log').read_text()[-2000:]}\n"
                f"worker log: {(tmp_path / 'worker.log').read_text()[-2000:]}"
            )
            runs = _scheduled_runs(env, TRAIN_W)
            assert not [r for r in runs if r["state"] in ("Failed", "Crashed")], runs
            completed = [r for r in runs if r["state"] == "Completed"]
            time.sleep(3)
    finally:
        _stop(worker)
        worker_log.close()
    assert all(r["auto"] for r in runs)  # every run of it came from the schedule
    assert completed[0]["created_by"] == "SCHEDULE"  # no person or automation asked for it
    (run_dir,) = (out / "weekly-temperature" / "runs").iterdir()
    assert (run_dir / "metrics.json").exists() and (run_dir / "report.html").exists()
    server_log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in server_log and "InvalidRequestError" not in server_log


def test_a_degraded_forecast_run_triggers_the_retrain_automation(server, out_dir, tmp_path):
    """seqcast deploy registers the retrain automation; a champion serves a forecast; the
    next forecast run finds the weeks it forecast 12 degrees warmer than forecast (far past
    the backtest's promise), emits seqcast.forecast.degraded, and the server's automation
    creates a run of the train deployment. A third run inside the cooldown emits nothing."""
    env = server
    out_param, out = out_dir
    deployed = subprocess.run(
        [str(BIN / "seqcast"), "deploy", "--dataset", "weekly-temperature", "--out", out_param,
         "--train-cron", "", "--forecast-cron", "", "--variants", "rnn", "--folds", "1",
         "--seeds", "1", "--shortlist", "0", "--max-epochs", "3", "--ensemble-size", "0",
         "--workers", "1"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    assert "automation: seqcast-retrain-weekly-temperature-on-degradation" in deployed.stdout

    sample = pd.read_csv(ROOT / "data" / "raw" / "weekly_temperature_sample.csv")
    source = tmp_path / "newest.csv"
    sample.iloc[:-8].to_csv(source, index=False)
    local = {k: v for k, v in env.items() if k != "SEQCAST_OUTPUT_ROOT"}
    _py(
        local,
        f"""
from pathlib import Path
from flows.train import train
from tests.conftest import tiny_in_process
train(tiny_in_process("weekly-temperature", Path({str(out)!r}), source={str(source)!r}))
print("trained")
""",
        timeout=600,
    )
    forecast = f"""
from flows.forecast import forecast
from seqcast.config import ForecastConfig
forecast(ForecastConfig(dataset="weekly-temperature", source={str(source)!r}, out={str(out)!r},
                        live={{"min_scored": 1, "factor": 1.3}}))
print("forecast")
"""
    _py(local, forecast, timeout=300)
    warmer = sample.iloc[:-4].copy()
    warmer.loc[warmer.index[-4:], "AvgTemp"] = warmer["AvgTemp"].iloc[-4:] + 12.0
    warmer.to_csv(source, index=False)
    _py(local, forecast, timeout=300)
    assert (out / "weekly-temperature" / "degraded.json").exists()

    deadline = time.monotonic() + 120
    runs: list[dict] = []
    while not runs:
        assert time.monotonic() < deadline, (
            f"no train run from the automation in 120 s: {_scheduled_runs(env, TRAIN_W)}\n"
            f"server log: {(tmp_path / 'server.log').read_text()[-2000:]}"
        )
        runs = [r for r in _scheduled_runs(env, TRAIN_W) if r["created_by"] == "AUTOMATION"]
        time.sleep(2)
    assert len(runs) == 1

    _py(local, forecast, timeout=300)  # still degraded, inside the cooldown: no second event
    time.sleep(15)
    again = [r for r in _scheduled_runs(env, TRAIN_W) if r["created_by"] == "AUTOMATION"]
    assert len(again) == 1, again
