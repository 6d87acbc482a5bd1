"""Tasks of the ``train`` flow that record the run in MLflow and register its champion.

They run in the flow's own process after every fit has returned, so one process writes the
tracking store at a time for a run (a local SQLite database is never written by pool workers).
What is logged, and how, is decided by :mod:`seqcast.io.tracking` and
:mod:`seqcast.serving.pyfunc_logging`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from seqcast.config import TrainConfig
from seqcast.io import storage
from seqcast.io.forecast_store import locked
from seqcast.io.paths import Layout
from seqcast.io.tracking import (
    RegisteredVersion,
    TrackedRun,
    describe_registered_model,
    experiment_id,
    experiment_name,
    fit_histories,
    log_run_figures,
    registered_model_name,
    run_metrics,
    run_params,
    run_tags,
    run_url,
    tracking_uri,
    version_tags,
)
from seqcast.report.settings import settings_used


@task(name="track-run", task_run_name="track-run", cache_policy=NO_CACHE)
def track_run(config: TrainConfig, run, fits: list) -> TrackedRun:
    """One MLflow run for this training run (params, per-candidate metrics, the run
    directory as artifacts) and a nested run per deep fit with its loss per epoch."""
    from mlflow.tracking import MlflowClient
    from prefect.runtime import flow_run

    layout = Layout.of(config.out, config.dataset_name)
    uri = tracking_uri(layout.root, config.mlflow_uri)
    # Two runs starting together on a new root would both create and migrate DIR/mlflow.db
    # (the client's constructor does that) and the experiment: one at a time, the second
    # finds them made.
    with locked(layout.mlflow_lock):
        client = MlflowClient(tracking_uri=uri)
        exp_id = experiment_id(client, experiment_name(run.dataset), layout.root, uri)
    manifest = storage.read_json(Path(run.dir) / "manifest.json")
    tags = run_tags(run.model_dump(), manifest.get("versions", {}), flow_run.id)
    started = flow_run.scheduled_start_time  # the flow run's start: the run's duration is real
    start_ms = int(started.timestamp() * 1000) if started else None
    pid = client.create_run(exp_id, run_name=run.run_id, tags=tags, start_time=start_ms).info.run_id
    params = run_params(
        settings_used(config),
        {"dataset": run.dataset, "variants": ",".join(config.variants), "seeds": config.seed_list},
    )
    board = storage.read_json(Path(run.dir) / "metrics.json")["models"]
    histories = fit_histories([f.model_dump() for f in fits])
    log_run_figures(client, exp_id, pid, params, run_metrics(board), histories)
    client.log_artifacts(pid, run.dir)
    client.set_terminated(pid)
    url = run_url(uri, exp_id, pid)
    _link(run, uri, exp_id, pid, url)
    tracked = TrackedRun(tracking_uri=uri, experiment_id=exp_id, run_id=pid, url=url)
    storage.write_json(Path(run.dir) / "mlflow.json", tracked.model_dump())
    return tracked


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


def _ingested(run) -> pd.DataFrame:
    """The raw rows the run was trained on: its first prepared dataset's ingested frame."""
    manifest = storage.read_json(Path(run.dir) / "manifest.json")
    summary = storage.read_json(Path(manifest["prepared"][0]) / "summary.json")
    return storage.read_frame(Layout.frame_file(Path(summary["stage_dirs"]["ingest"])))


@task(name="register-model", task_run_name="register-model", cache_policy=NO_CACHE)
def register_model(run, tracked: TrackedRun) -> RegisteredVersion | None:
    """Log the champion as a pyfunc model (models-from-code over the bundle folder, with a
    signature and an input example) in the run's MLflow run, and add it as a new version of
    ``seqcast-<dataset>``, tagged with its data, training period, figures and run. The
    ``champion`` alias is moved by ``promote-champion``, never here."""
    if run.champion is None or run.bundle is None:
        return None
    from seqcast.serving.bundle import read_bundle
    from seqcast.serving.pyfunc_logging import (
        input_example,
        log_and_register_champion,
        model_signature,
    )

    bundle = read_bundle(Path(run.bundle))
    folder = Path(run.bundle).parent
    example = input_example(_ingested(run), bundle)
    signature = model_signature(example, bundle, folder)
    tags = version_tags(run.model_dump(), bundle.trained_on or {}, tracked)
    name = registered_model_name(run.dataset)
    version = log_and_register_champion(tracked, folder, signature, example, name, tags)
    describe_registered_model(tracked.tracking_uri, version.name, bundle.spec.description)
    uri = f"models:/{version.name}/{version.version}"
    tracked_file = Path(run.dir) / "mlflow.json"
    storage.write_json(tracked_file, {**storage.read_json(tracked_file), "registered_model": uri})
    return RegisteredVersion(
        name=version.name,
        version=str(version.version),
        model_uri=uri,
        tracking_uri=tracked.tracking_uri,
        backtest_mae=float(run.champion_backtest_mae),
        data_sha256=run.data_sha256,
    )
