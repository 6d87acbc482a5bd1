"""Task of the ``train`` flow that records the run in MLflow.

It runs in the flow's own process after every fit has returned, so one process writes the
tracking store at a time for a run (a local SQLite database is never written by pool workers).
What is logged is decided by :mod:`seqcast.tracking`.
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from seqcast import storage
from seqcast.config import TrainConfig
from seqcast.paths import Layout
from seqcast.tracking import (
    artifact_root,
    experiment_name,
    fit_histories,
    run_metrics,
    run_params,
    tracking_uri,
)

BATCH = 1000  # MLflow's most metrics per log_batch call


class TrackedRun(BaseModel):
    tracking_uri: str
    experiment_id: str
    run_id: str
    url: str | None  # the run's page, where the store is a server


def _experiment(client, name: str, root: Path, uri: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = f"{artifact_root(root)}/{name}" if uri.startswith("sqlite:") else None
    return client.create_experiment(name, artifact_location=location)


@task(name="track-run", task_run_name="track-run", cache_policy=NO_CACHE)
def track_run(config: TrainConfig, run, fits: list) -> TrackedRun:
    """One MLflow run for this training run (params, per-candidate metrics, the run
    directory as artifacts) and a nested run per deep fit with its loss per epoch."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient
    from prefect.runtime import flow_run

    layout = Layout.of(config.out, config.dataset_name)
    uri = tracking_uri(layout.root, config.mlflow_uri)
    client = MlflowClient(tracking_uri=uri)
    exp_id = _experiment(client, experiment_name(run.dataset), layout.root, uri)
    manifest = _read_json(Path(run.dir) / "manifest.json")
    tags = {
        "seqcast.run_id": run.run_id,
        "seqcast.dataset": run.dataset,
        "seqcast.champion": run.champion or "",
        "seqcast.data_sha256": run.data_sha256,
        "seqcast.code_version": str(manifest.get("versions", {}).get("seqcast", "")),
        "seqcast.git_commit": str(manifest.get("versions", {}).get("git_commit", "")),
        "prefect.flow_run_id": str(flow_run.id or ""),
    }
    started = flow_run.scheduled_start_time  # the flow run's start: the run's duration is real
    start_ms = int(started.timestamp() * 1000) if started else None
    parent = client.create_run(exp_id, run_name=run.run_id, tags=tags, start_time=start_ms)
    pid = parent.info.run_id
    now = int(time.time() * 1000)
    params = run_params(
        config.settings_used(),
        {"dataset": run.dataset, "variants": ",".join(config.variants), "seeds": config.seed_list},
    )
    metrics = [Metric(k, v, now, 0) for k, v in run_metrics(_board(run)).items()]
    client.log_batch(pid, params=[Param(k, v) for k, v in params.items()])
    for i in range(0, len(metrics), BATCH):
        client.log_batch(pid, metrics=metrics[i : i + BATCH])
    for name, history in fit_histories([f.model_dump() for f in fits]):
        child = client.create_run(
            exp_id, run_name=name, tags={"mlflow.parentRunId": pid, "seqcast.fit": name}
        )
        points = [
            Metric(metric, float(v), now, step)
            for metric, values in history.items()
            for step, v in enumerate(values, start=1)
        ]
        for i in range(0, len(points), BATCH):
            client.log_batch(child.info.run_id, metrics=points[i : i + BATCH])
        client.set_terminated(child.info.run_id)
    client.log_artifacts(pid, run.dir)
    client.set_terminated(pid)
    url = f"{uri.rstrip('/')}/#/experiments/{exp_id}/runs/{pid}" if uri.startswith("http") else None
    _link(run, uri, exp_id, pid, url)
    tracked = TrackedRun(tracking_uri=uri, experiment_id=exp_id, run_id=pid, url=url)
    storage.write_json(Path(run.dir) / "mlflow.json", tracked.model_dump())
    return tracked


def _read_json(path: Path) -> dict:
    return storage.read_json(path)


def _board(run) -> list[dict]:
    return _read_json(Path(run.dir) / "metrics.json")["models"]


def _link(run, uri: str, exp_id: str, pid: str, url: str | None) -> None:
    key = f"{run.dataset}-mlflow"
    if url:
        create_link_artifact(key=key, link=url, link_text=f"MLflow run {pid}")
        return
    create_markdown_artifact(
        key=key,
        markdown=(
            f"MLflow run `{pid}` (experiment {exp_id}) in `{uri}`.\n\n"
            "Browse it with `make mlflow` (the MLflow UI on http://127.0.0.1:5000)."
        ),
        description="where this run is tracked",
    )
