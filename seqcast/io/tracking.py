"""What a training run records in MLflow, and the MLflow client calls that record it.

One MLflow run per ``train`` run, in the experiment ``seqcast-<dataset>``: the settings used
as params, every candidate's figures per split as metrics (``<candidate>/<split>/<metric>``),
and one nested run per deep fit holding its loss per epoch as metric history. A champion is a
version of the registered model ``seqcast-<dataset>``, tagged with its data and figures; the
``champion`` alias points at the one served.

The names, tags and numbers are pure functions (documents in); the functions that take an
``MlflowClient`` make the calls, importing MLflow only when called. ``tasks/tracking.py``
decides when.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
SCORED_ON = ("backtest", "val", "test")  # the figures a run logs, per model
METRICS = ("mae", "rmse", "r2", "mase", "wape")
BATCH = 1000  # MLflow's most metrics per log_batch call


class TrackedRun(BaseModel):
    """The MLflow run a training run is tracked in."""

    tracking_uri: str
    experiment_id: str
    run_id: str
    url: str | None  # the run's page, where the store is a server


class RegisteredVersion(BaseModel):
    """A champion's version of the registered model."""

    name: str  # the registered model: seqcast-<dataset>
    version: str
    model_uri: str
    tracking_uri: str
    backtest_mae: float
    data_sha256: str


def tracking_uri(out_root: Path, given: str | None = None) -> str:
    """Where runs and models are recorded: the run's option, else ``MLFLOW_TRACKING_URI``,
    else a SQLite database under the output root (``DIR/mlflow.db``)."""
    uri = given or os.environ.get(TRACKING_URI_ENV)
    return uri or f"sqlite:///{Path(out_root).resolve() / 'mlflow.db'}"


def artifact_root(out_root: Path) -> str:
    """Where a local store keeps run artifacts: ``DIR/mlartifacts``."""
    return (Path(out_root).resolve() / "mlartifacts").as_uri()


def experiment_name(dataset: str) -> str:
    return f"seqcast-{dataset}"


def registered_model_name(dataset: str) -> str:
    """The registered model every run's chosen model is a version of."""
    return f"seqcast-{dataset}"


CHAMPION_ALIAS = "champion"


def run_url(uri: str, experiment_id: str, run_id: str) -> str | None:
    """The run's page where the store is a server (an http(s) URI); None for a local store."""
    if not uri.startswith("http"):
        return None
    return f"{uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def run_tags(run: dict, versions: dict, flow_run_id: object) -> dict[str, str]:
    """The tags of a training run's MLflow run: the seqcast run (``run``: its ``RunRef`` as a
    dict), its data, the code that made it (``versions``: its manifest's) and the flow run."""
    return {
        "seqcast.run_id": run["run_id"],
        "seqcast.dataset": run["dataset"],
        "seqcast.champion": run["champion"] or "",
        "seqcast.champion_policy": run.get("champion_policy") or "deep",
        "seqcast.data_sha256": run["data_sha256"],
        "seqcast.code_version": str(versions.get("seqcast", "")),
        "seqcast.git_commit": str(versions.get("git_commit", "")),
        "prefect.flow_run_id": str(flow_run_id or ""),
    }


def version_tags(run: dict, trained_on: dict, tracked: TrackedRun) -> dict[str, str]:
    """The tags of a champion's registered version: its run and candidate, its data and
    figures (what :func:`replaces` compares), the period it was trained on (``trained_on``:
    its bundle's) and the MLflow run it was logged in."""
    return {
        "seqcast.run_id": run["run_id"],
        "seqcast.candidate": run["champion"],
        # "fallback": no deep candidate beat every reference, the best candidate of all served
        "seqcast.champion_policy": run.get("champion_policy") or "deep",
        "seqcast.champion_reason": str(run.get("champion_reason", ""))[:5000],
        "data_sha256": run["data_sha256"],
        "backtest_mae": repr(run["champion_backtest_mae"]),
        "val_mae": repr(run["champion_val_mae"]),
        "test_mae": repr(run["champion_test_mae"]),
        "trained_from": str(trained_on.get("target_start", "")),
        "trained_to": str(trained_on.get("target_end", "")),
        "mlflow_run_id": tracked.run_id,
        **({"run_url": tracked.url} if tracked.url else {}),
    }


def run_params(settings: list[tuple[str, str, str]], extra: dict[str, object]) -> dict[str, str]:
    """The settings a run used (``seqcast.report.settings.settings_used``) plus ``extra``, as
    strings (MLflow keeps at most 6000 characters per value)."""
    params = {name: value for name, value, _ in settings}
    params.update({k: str(v) for k, v in extra.items()})
    return {k: v[:6000] for k, v in params.items()}


def run_metrics(board: list[dict]) -> dict[str, float]:
    """Every candidate's figures on every split it was scored on:
    ``{"gru/backtest/mae": 123.4, ...}`` (a split without figures is left out)."""
    out: dict[str, float] = {}
    for entry in board:
        for split in SCORED_ON:
            figures = entry.get(split)
            if not figures:
                continue
            for m in METRICS:
                value = figures.get(m)
                if value is not None:
                    out[f"{entry['name']}/{split}/{m}"] = float(value)
            for step, value in enumerate(figures.get("mae_by_step") or [], start=1):
                out[f"{entry['name']}/{split}/mae_step_{step}"] = float(value)
        out.update(interval_metrics(entry))
    return out


def interval_metrics(entry: dict) -> dict[str, float]:
    """A leaderboard entry's interval scores (``seqcast.evaluation.calibration``), on the
    backtest and test: ``gru/test/coverage_80``, ``width_80``, ``winkler_80``, ``pinball``."""
    out: dict[str, float] = {}
    for split in ("backtest", "test"):
        scores = (entry.get("intervals") or {}).get(split) or {}
        for level, figures in scores.items():
            if level == "pinball":
                out[f"{entry['name']}/{split}/pinball"] = float(figures)
                continue
            for what in ("coverage", "width", "winkler"):
                out[f"{entry['name']}/{split}/{what}_{level}"] = float(figures[what])
    return out


def fit_histories(fits: list[dict]) -> list[tuple[str, dict[str, list[float]]]]:
    """(nested run name, {metric: value per epoch}) for every deep fit that has a history,
    e.g. ``("gru-s42-fold-1", {"loss": [...], "val_loss": [...]})``."""
    out = []
    for f in fits:
        history = f.get("history") or {}
        if f.get("kind") != "deep" or not history:
            continue
        out.append((f"{f['label']}-s{f['seed']}-{f['fit']}", history))
    return out


def replaces(current_tags: dict[str, str] | None, data_sha256: str, backtest_mae: float) -> bool:
    """The promotion rule: a candidate replaces the champion (the version at the alias,
    described by its tags) unless that champion was trained on the same data and has a
    mean backtest MAE at least as low. No champion yet, or one on other data: replaced."""
    if not current_tags:
        return True
    same_data = current_tags.get("data_sha256") == data_sha256
    mae = current_tags.get("backtest_mae")
    return not (same_data and mae is not None and float(mae) <= backtest_mae)


def experiment_id(client, name: str, out_root: Path, uri: str) -> str:
    """The id of the experiment ``name``, created when missing; a local (SQLite) store keeps
    its artifacts under ``DIR/mlartifacts/<name>``."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = f"{artifact_root(out_root)}/{name}" if uri.startswith("sqlite:") else None
    return client.create_experiment(name, artifact_location=location)


def log_in_batches(client, run_id: str, metrics: list) -> None:
    """Log MLflow ``Metric`` points in calls of at most :data:`BATCH`."""
    for i in range(0, len(metrics), BATCH):
        client.log_batch(run_id, metrics=metrics[i : i + BATCH])


def log_run_figures(
    client,
    experiment: str,
    run_id: str,
    params: dict[str, str],
    figures: dict[str, float],
    histories: list[tuple[str, dict[str, list[float]]]],
) -> None:
    """Log a run's params (:func:`run_params`) and figures (:func:`run_metrics`), and one
    finished nested run per fit history (:func:`fit_histories`), a point per epoch."""
    from mlflow.entities import Metric, Param

    now = int(time.time() * 1000)
    client.log_batch(run_id, params=[Param(k, v) for k, v in params.items()])
    log_in_batches(client, run_id, [Metric(k, v, now, 0) for k, v in figures.items()])
    for name, history in histories:
        child = client.create_run(
            experiment, run_name=name, tags={"mlflow.parentRunId": run_id, "seqcast.fit": name}
        )
        points = [
            Metric(metric, float(v), now, step)
            for metric, values in history.items()
            for step, v in enumerate(values, start=1)
        ]
        log_in_batches(client, child.info.run_id, points)
        client.set_terminated(child.info.run_id)


def describe_registered_model(uri: str, name: str, description: str) -> None:
    """Set the registered model's description (the dataset spec's) once: where it has none."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    if description and not client.get_registered_model(name).description:
        client.update_registered_model(name, description=description)


def champion_version(client, name: str):
    """The version of the registered model ``name`` at the champion alias; None when there is
    none (no such model, or no alias yet)."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, CHAMPION_ALIAS)
    except MlflowException:
        return None


def move_alias_if_better(registered: RegisteredVersion) -> dict:
    """Point ``models:/<name>@champion`` at ``registered`` when it replaces the version there
    (call it under the champion lock). Returns the decision and the version in force."""
    from mlflow.tracking import MlflowClient

    uri = registered.tracking_uri
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    current = champion_version(client, registered.name)
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
