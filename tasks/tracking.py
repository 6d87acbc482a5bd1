"""Task of the ``train`` flow that records the run in MLflow.

It runs in the flow's own process after every fit has returned, so one process writes the
tracking store at a time for a run (a local SQLite database is never written by pool workers).
What is logged is decided by :mod:`seqcast.io.tracking`.
"""

from __future__ import annotations

import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from seqcast.config import TrainConfig
from seqcast.io import storage
from seqcast.io.forecast_store import locked
from seqcast.io.paths import Layout
from seqcast.io.tracking import (
    artifact_root,
    experiment_name,
    fit_histories,
    run_metrics,
    run_params,
    tracking_uri,
)
from seqcast.report.settings import settings_used

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
    # Two runs starting together on a new root would both create and migrate DIR/mlflow.db
    # (the client's constructor does that) and the experiment: one at a time, the second
    # finds them made.
    with locked(layout.mlflow_lock):
        client = MlflowClient(tracking_uri=uri)
        exp_id = _experiment(client, experiment_name(run.dataset), layout.root, uri)
    manifest = storage.read_json(Path(run.dir) / "manifest.json")
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
        settings_used(config),
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


def _board(run) -> list[dict]:
    return storage.read_json(Path(run.dir) / "metrics.json")["models"]


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


REQUIREMENTS = [
    "mlflow",
    "seqcast",
    "keras",
    "tensorflow",
    "pandas",
    "pandera",
    "scikit-learn",
    "skops",
    "pyarrow",
]
PYFUNC_CODE = Path(__file__).resolve().parents[1] / "seqcast" / "serving" / "pyfunc_model.py"


class RegisteredVersion(BaseModel):
    name: str  # the registered model: seqcast-<dataset>
    version: str
    model_uri: str
    tracking_uri: str
    backtest_mae: float
    data_sha256: str


def _input_example(run, bundle: dict) -> pd.DataFrame:
    """The newest raw rows of the training file: enough for every member's window plus a
    day of slack."""
    summary = storage.read_json(
        Path(storage.read_json(Path(run.dir) / "manifest.json")["prepared"][0]) / "summary.json"
    )
    frame = storage.read_frame(Layout.frame_file(Path(summary["stage_dirs"]["ingest"])))
    rows = max(m["timesteps"] for m in bundle["members"]) + 24
    return frame.tail(rows).reset_index(drop=True)


@task(name="register-model", task_run_name="register-model", cache_policy=NO_CACHE)
def register_model(run, tracked: TrackedRun) -> RegisteredVersion | None:
    """Log the champion as a pyfunc model (models-from-code over the bundle folder, with a
    signature and an input example) in the run's MLflow run, and add it as a new version of
    ``seqcast-<dataset>``, tagged with its data, training period, figures and run. The
    ``champion`` alias is moved by ``promote-champion``, never here."""
    if run.champion is None or run.bundle is None:
        return None
    import mlflow
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types.schema import AnyType, ColSpec, Schema

    from seqcast.io.tracking import registered_model_name
    from seqcast.serving.predict import forecast_from_raw

    bundle = storage.read_json(Path(run.bundle))
    folder = Path(run.bundle).parent
    example = _input_example(run, bundle)
    params = {f"known_{c}": float("nan") for c in bundle["spec"].get("known_future", [])}
    known = {name.removeprefix("known_"): 0.0 for name in params}
    output = pd.DataFrame([forecast_from_raw(example, bundle, folder, "input example", known)])
    with warnings.catch_warnings():  # its integer-column hint is about the input schema,
        warnings.simplefilter("ignore", UserWarning)  # which is replaced just below
        inferred = infer_signature(example, output, params=params or None)
    # Raw rows as a file holds them: each declared column of any type (a whole-number column
    # may come as floats, a date as text); seqcast's own checks validate them.
    inputs = Schema(
        [ColSpec(AnyType(), c["name"], required=c["required"]) for c in bundle["spec"]["columns"]]
    )
    signature = ModelSignature(inputs=inputs, outputs=inferred.outputs, params=inferred.params)
    mlflow.set_tracking_uri(tracked.tracking_uri)
    mlflow.set_registry_uri(tracked.tracking_uri)
    with mlflow.start_run(run_id=tracked.run_id), warnings.catch_warnings():
        # "Any type ... not validated": on purpose, seqcast's own checks validate the rows
        warnings.filterwarnings("ignore", message=r".*Any type hint is inferred as AnyType")
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(PYFUNC_CODE),
            artifacts={"champion": str(folder)},
            signature=signature,
            input_example=example,
            pip_requirements=REQUIREMENTS,
        )
    trained = bundle.get("trained_on") or {}
    tags = {
        "seqcast.run_id": run.run_id,
        "seqcast.candidate": run.champion,
        "data_sha256": run.data_sha256,
        "backtest_mae": repr(run.champion_backtest_mae),
        "val_mae": repr(run.champion_val_mae),
        "test_mae": repr(run.champion_test_mae),
        "trained_from": str(trained.get("target_start", "")),
        "trained_to": str(trained.get("target_end", "")),
        "mlflow_run_id": tracked.run_id,
        **({"run_url": tracked.url} if tracked.url else {}),
    }
    version = mlflow.register_model(info.model_uri, registered_model_name(run.dataset), tags=tags)
    _describe(version.name, bundle["spec"].get("description", ""))
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


def _describe(name: str, description: str) -> None:
    """The registered model's description: the dataset spec's, set once."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    if description and not client.get_registered_model(name).description:
        client.update_registered_model(name, description=description)


def move_alias_if_better(registered: RegisteredVersion) -> dict:
    """Point ``models:/<name>@champion`` at ``registered`` when it replaces the version there
    (call it under the champion lock). Returns the decision and the version in force."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from seqcast.io.tracking import CHAMPION_ALIAS, replaces

    uri = registered.tracking_uri
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        current = client.get_model_version_by_alias(registered.name, CHAMPION_ALIAS)
    except MlflowException:
        current = None
    if not replaces(
        current.tags if current else None, registered.data_sha256, registered.backtest_mae
    ):
        assert current is not None  # with no champion yet, the new version always replaces
        return {"promoted": False, "champion": f"models:/{registered.name}/{current.version}"}
    # the alias's history: each version it moved to keeps when (version tags stay)
    stamp = datetime.now(UTC).isoformat(timespec="microseconds")
    client.set_model_version_tag(registered.name, registered.version, "promoted_at", stamp)
    client.set_registered_model_alias(registered.name, CHAMPION_ALIAS, registered.version)
    return {"promoted": True, "champion": registered.model_uri}
