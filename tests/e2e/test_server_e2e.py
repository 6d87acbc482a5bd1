"""End to end on a real Prefect server, as users run it: `prefect server start` on a free
loopback port, the work pool, `prefect deploy --all` from prefect.yaml, a training run with
non-default parameters requested through the client (as the UI does), a worker that runs it,
then the forecast deployment; and a deployment registered by `seqcast deploy` whose schedule
the server's scheduler turns into flow runs that a long-running worker completes; and a
degraded forecast whose event the server's automation answers with a train run. One server for
the module (each test has its own output folder and deployments of its own datasets' names are
registered again by each); the questions to it are asked in this process, the work runs in
worker and command processes. Everything is torn down; no process is left behind."""

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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx
import pandas as pd
import pytest

from tests.conftest import CHEAP_REFERENCES, PROJECT_ROOT

# In one xdist group with the crash tests: each drives real processes of its own, and two of
# them at once on 2 cores only wait on each other.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]

ROOT = PROJECT_ROOT
BIN = Path(sys.executable).parent
TRAIN = "train/train-bike-hourly"
FORECAST = "forecast/forecast-bike-hourly"
TRAIN_W = "train/train-weekly-temperature"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(NamedTuple):
    env: dict[str, str]  # what the commands and workers that use it run with
    log: Path  # the server's own output


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """A real ``prefect server start`` for the module."""
    tmp_path = tmp_path_factory.mktemp("server")
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLI_PROMPT": "false",
        "PWD": str(ROOT),
    }
    log_path = tmp_path / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed in teardown
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
                raise RuntimeError(log_path.read_text()[-3000:])
            time.sleep(1)
        yield Server(env, log_path)
    finally:
        _stop(proc)
        log.close()
        assert proc.poll() is not None


def _stop(proc: subprocess.Popen) -> None:
    """End a process started in its own session, and everything it started."""
    if proc.poll() is not None:
        return
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
    """Run code in a fresh interpreter pointed at this server, as a command or a deployment's
    process would; return its whole output (stdout and stderr)."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:])
    return done.stdout


@contextmanager
def _client(env):
    """A Prefect client in this process, talking to the module's server."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}),
        get_client(sync_client=True) as client,
    ):
        yield client


def _request_run(env, deployment: str, config: dict) -> str:
    """A run of ``deployment`` with ``config``, as the UI's Run button asks for it (the
    server checks the parameters against the deployment's schema)."""
    with _client(env) as c:
        dep = c.read_deployment_by_name(deployment)
        return str(c.create_flow_run_from_deployment(dep.id, parameters={"config": config}).id)


def _run_worker(env) -> None:
    """A process worker polls once, runs what is scheduled, and exits."""
    _cli(env, "worker", "start", "--pool", "seqcast-process", "--run-once", timeout=600)


def _state_and_artifacts(env, run_id: str) -> dict:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    keys = ["bike-hourly-leaderboard", "bike-hourly-summary", "bike-hourly-report"]
    with _client(env) as c:
        run = c.read_flow_run(run_id)
        arts = c.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[*keys, "bike-hourly-forecast"])
            )
        )
    return {
        "state": run.state.name,
        "message": run.state.message or "",
        "artifacts": sorted({a.key for a in arts}),
    }


@pytest.fixture
def out_dir():
    """A fresh folder inside the deployments' output root (ROOT/outputs), removed after."""
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    yield name, ROOT / "outputs" / name
    shutil.rmtree(ROOT / "outputs" / name, ignore_errors=True)


def test_deploy_run_from_client_worker_forecast_and_reject(server, out_dir):
    """The whole server workflow: deploy, a parameterised run, a worker, artifacts, forecast."""
    env = server.env
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
        "references": list(CHEAP_REFERENCES),
        "workers": 1,
        "variant": {"units": 8, "learning_rate": 0.01},
        "training": {"max_epochs": 3, "patience": 2, "seed": 1},
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

    with pytest.raises(Exception, match=r"Validation failed for field 'config\.timesteps'"):
        _request_run(env, TRAIN, {**config, "timesteps": 0})

    # The UI with "Validate parameters" unticked: the server accepts the run; the flow must
    # fail at its start, naming the field and its bound, before any work.
    with _client(env) as c:
        dep = c.read_deployment_by_name(TRAIN)
    unchecked = {**config, "timesteps": 0, "out": out_param + "/unchecked"}
    r = httpx.post(
        f"{env['PREFECT_API_URL']}/deployments/{dep.id}/create_flow_run",
        json={"parameters": {"config": unchecked}, "enforce_parameter_schema": False},
    )
    r.raise_for_status()
    unchecked_id = r.json()["id"]
    _run_worker(env)
    unchecked = _state_and_artifacts(env, unchecked_id)
    assert unchecked["state"] == "Failed"
    assert "config.timesteps" in unchecked["message"]
    assert "greater than or equal to 1" in unchecked["message"]
    assert not (out / "unchecked").exists()  # nothing was prepared


def _scheduled_runs(env, deployment: str) -> list[dict]:
    """The deployment's flow runs, oldest first: state, whether the scheduler made it, and
    who created it."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with _client(env) as c:
        dep = c.read_deployment_by_name(deployment)
        runs = c.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[dep.id])),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        )
    return [
        {
            "id": str(r.id),
            "state": r.state.name,
            "auto": r.auto_scheduled,
            "created_by": r.created_by.type if r.created_by else None,
            "start": r.expected_start_time.isoformat(),
        }
        for r in runs
    ]


def test_a_schedule_made_by_seqcast_deploy_fires_and_a_worker_completes_it(
    server, out_dir, tmp_path
):
    """The scheduler (not a person) creates runs of a deployment registered by seqcast deploy
    with a cron on the minute; a long-running process worker completes one; its run
    directory exists; the server log has no traceback."""
    env = server.env
    out_param, out = out_dir
    deployed = subprocess.run(
        [str(BIN / "seqcast"), "deploy", "--dataset", "weekly-temperature", "--out", out_param,
         "--train-cron", "* * * * *", "--forecast-cron", "",
         "--variants", "gru", "--references", ",".join(CHEAP_REFERENCES),
         "--folds", "1", "--seeds", "1", "--shortlist", "0",
         "--max-epochs", "3", "--ensemble-size", "0", "--workers", "1"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    assert "deployed: train/train-weekly-temperature  cron '* * * * *' (UTC)" in deployed.stdout
    assert "deployed: forecast/forecast-weekly-temperature  no schedule" in deployed.stdout

    worker_log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [str(BIN / "seqcast"), "worker", "--pool", "seqcast-process", "--limit", "1"],
        env={**env, "PREFECT_WORKER_QUERY_SECONDS": "2"},
        cwd=ROOT, stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    stopped = False
    try:
        deadline = time.monotonic() + 300  # the first minute boundary, then about 40 s of work
        completed: list[dict] = []
        while not completed:
            assert time.monotonic() < deadline, (
                f"no scheduled run completed in 300 s; runs: {_scheduled_runs(env, TRAIN_W)}\n"
                f"server log: {server.log.read_text()[-2000:]}\n"
                f"worker log: {(tmp_path / 'worker.log').read_text()[-2000:]}"
            )
            runs = _scheduled_runs(env, TRAIN_W)
            assert not [r for r in runs if r["state"] in ("Failed", "Crashed")], runs
            completed = [r for r in runs if r["state"] == "Completed"]
            time.sleep(3)
        # a worker told to stop takes no new run and exits once its running one (the next
        # minute's, if it started) is stopped by a second signal
        worker.send_signal(signal.SIGTERM)
        stop_by = time.monotonic() + 20
        while worker.poll() is None and time.monotonic() < stop_by:
            if "waiting for" in (tmp_path / "worker.log").read_text():
                worker.send_signal(signal.SIGTERM)
            time.sleep(0.5)
        stopped = worker.poll() is not None
    finally:
        _stop(worker)
        worker_log.close()
    worker_said = (tmp_path / "worker.log").read_text()
    assert stopped, worker_said[-2000:]
    assert "received SIGTERM: taking no new flow runs" in worker_said
    assert "worker stopped" in worker_said
    assert all(r["auto"] for r in runs)  # every run of it came from the schedule
    assert completed[0]["created_by"] == "SCHEDULE"  # no person or automation asked for it
    (run_dir,) = (out / "weekly-temperature" / "runs").iterdir()
    assert (run_dir / "metrics.json").exists() and (run_dir / "report.html").exists()
    server_log = server.log.read_text()
    assert "InvalidRequestError" not in server_log
    assert _server_errors(server_log) == []


def _server_errors(log: str) -> list[str]:
    """The tracebacks in a Prefect server's log but SQLite's "database is locked": on 2 busy
    cores the server's own services and a worker's heartbeat can collide on its SQLite file
    (a CI run on 2026-12-06 logged one, for a heartbeat the worker simply sent again; the
    scheduled run completed). Any other traceback is an error of the server."""
    return [b[:500] for b in log.split("Traceback")[1:] if "database is locked" not in b]


def test_a_degraded_forecast_run_triggers_the_retrain_automation(server, out_dir, tmp_path):
    """seqcast deploy registers the retrain automation; a champion serves a forecast; the
    next forecast run finds the weeks it forecast 12 degrees warmer than forecast (far past
    the backtest's promise), emits seqcast.forecast.degraded, and the server's automation
    creates a run of the train deployment. A third run inside the cooldown emits nothing."""
    env = server.env
    out_param, out = out_dir
    deployed = subprocess.run(
        [str(BIN / "seqcast"), "deploy", "--dataset", "weekly-temperature", "--out", out_param,
         "--train-cron", "", "--forecast-cron", "", "--variants", "rnn",
         "--references", ",".join(CHEAP_REFERENCES), "--folds", "1",
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
            f"server log: {server.log.read_text()[-2000:]}"
        )
        runs = [r for r in _scheduled_runs(env, TRAIN_W) if r["created_by"] == "AUTOMATION"]
        time.sleep(1)
    assert len(runs) == 1

    # still degraded, inside the cooldown: the run says it emits nothing, and emits nothing
    emitted = json.loads((out / "weekly-temperature" / "degraded.json").read_text())
    console = _py(local, forecast, timeout=300)
    assert "not emitted again" in console and "cooldown 24 h" in console, console[-3000:]
    assert json.loads((out / "weekly-temperature" / "degraded.json").read_text()) == emitted
    again = [r for r in _scheduled_runs(env, TRAIN_W) if r["created_by"] == "AUTOMATION"]
    assert len(again) == 1, again
