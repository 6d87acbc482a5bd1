"""Tasks of the ``forecast`` flow: load the champion, predict the next horizon, append."""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.exceptions import MissingContextError
from pydantic import BaseModel

from seqcast.config import DatasetSpec, ForecastConfig, GapPolicy, PrepareConfig, get_spec
from seqcast.data.stage_keys import StageRef
from seqcast.errors import SeqcastError
from seqcast.io import storage
from seqcast.io.forecast_store import FORECAST_COLUMNS, append_forecasts
from seqcast.io.paths import OUTPUT_ROOT_ENV, Layout
from seqcast.serving.forecast_input import why_no_champion
from seqcast.serving.predict import forecast_from_clean


class NoChampion(SeqcastError):
    pass


class ChampionRef(BaseModel):
    model: str  # the champion candidate's name
    bundle: str  # its bundle.json
    run_id: str
    members: list[dict]
    trained_with: PrepareConfig
    spec: DatasetSpec  # the spec the champion was trained with
    horizon: int

    @property
    def prepare(self) -> PrepareConfig:
        """The data settings of the champion's training, bound to its own spec."""
        return self.trained_with.with_spec(self.spec)


def _no_champion_hint(config: ForecastConfig, layout: Layout) -> str:
    """What the newest run under the output root says about why nothing is served."""
    runs = sorted(layout.base.glob("runs/*/metrics.json"))  # run ids start with their time
    # under a deployment, `out` is relative to the output root: name the folder itself
    deployed = bool(os.environ.get(OUTPUT_ROOT_ENV))
    out = str(layout.root) if deployed else config.out
    train = f"seqcast train --dataset {config.dataset} --out {out}"
    if not runs:
        deployment = (
            f"run the deployment train/train-{config.dataset_name}, or " if deployed else ""
        )
        return f"train one first: {deployment}{train}"
    metrics = storage.read_json(runs[-1])
    return why_no_champion(metrics, config.dataset, out) + (
        f"\nits report: {runs[-1].parent / 'report.html'}"
    )


def _logger() -> logging.Logger | logging.LoggerAdapter:
    """The run's logger inside a flow run; this module's logger when called as a plain
    function (``seqcast forecast`` without a server)."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


@task(name="load-champion", task_run_name="load-champion", cache_policy=NO_CACHE)
def load_champion(config: ForecastConfig) -> ChampionRef:
    """The registry's champion (``models:/seqcast-<dataset>@champion``), downloaded once per
    version under ``DIR/<dataset>/served/``, and the data settings it was trained with."""
    from mlflow.artifacts import download_artifacts
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from seqcast.io.tracking import CHAMPION_ALIAS, registered_model_name, tracking_uri

    layout = Layout.of(config.out, config.dataset_name)
    uri = tracking_uri(layout.root, config.mlflow_uri)
    name = registered_model_name(config.dataset_name)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        version = client.get_model_version_by_alias(name, CHAMPION_ALIAS)
    except MlflowException:
        raise NoChampion(
            f"no champion for {config.dataset_name}: the registry at {uri} has no "
            f"models:/{name}@{CHAMPION_ALIAS}\n" + _no_champion_hint(config, layout)
        ) from None
    folder = layout.served / str(version.version)
    if not list(folder.rglob("artifacts/champion/bundle.json")):
        with storage.staged_dir(folder) as tmp:
            # the version's own location: a models:/ URI would be resolved against MLflow's
            # default registry (./mlflow.db), not this one
            source = client.get_model_version_download_uri(name, str(version.version))
            download_artifacts(artifact_uri=source, dst_path=str(tmp), tracking_uri=uri)
    (bundle_file,) = folder.rglob("artifacts/champion/bundle.json")
    bundle = storage.read_json(bundle_file)
    spec = DatasetSpec.model_validate(bundle["spec"])
    with contextlib.suppress(SeqcastError):  # the file may be gone: the stored spec serves
        if get_spec(config.dataset) != spec:
            _logger().warning(
                "the spec file of %s changed since the champion (version %s) was trained; "
                "forecasting with the spec it was trained with (retrain to use the new one)",
                config.dataset,
                version.version,
            )
    prepare = PrepareConfig(
        dataset=config.dataset,
        source=config.source,
        out=config.out,
        gaps=GapPolicy(max_fill_steps=bundle["max_fill_steps"], on_long_gap=bundle["on_long_gap"]),
    )
    return ChampionRef(
        model=bundle["candidate"],
        bundle=str(bundle_file),
        run_id=version.tags.get("seqcast.run_id", ""),
        members=bundle["members"],
        trained_with=prepare,
        spec=spec,
        horizon=bundle["horizon"],
    )


@task(name="predict-next", task_run_name="predict-next", cache_policy=NO_CACHE)
def predict_next(
    champion: ChampionRef, cleaned: StageRef, known: dict[str, float] | None = None
) -> dict:
    """Predict the next horizon from the last window(s) of the cleaned newest data: the
    weighted mean of the champion's members, each fed as it was trained
    (``seqcast.serving.predict``)."""
    from seqcast.models.fitting import limit_threads

    limit_threads(1)
    cfg = champion.prepare
    frame = storage.read_frame(Path(cleaned.frame or ""))
    bundle = {"members": champion.members, "horizon": champion.horizon}
    got = forecast_from_clean(
        frame, cfg.spec, bundle, Path(champion.bundle).parent, cleaned.source, known
    )
    return {
        "dataset": cfg.dataset_name,
        "model": champion.model,
        "run_id": champion.run_id,
        **got,
        "horizon": champion.horizon,
        "created_at": pd.Timestamp(datetime.now(UTC)).tz_localize(None),
        "data_sha256": cleaned.meta["source"]["sha256"],
    }


@task(name="append-forecast", task_run_name="append-forecast", cache_policy=NO_CACHE)
def append_forecast(config: ForecastConfig, row: dict) -> str:
    """Add the forecast to forecasts.parquet; a rerun for the same target time and model
    replaces its row (``registry.append_forecasts``: locked, atomic)."""
    path = append_forecasts(
        Layout.of(config.out, config.dataset_name), pd.DataFrame([row], columns=FORECAST_COLUMNS)
    )
    if FlowRunContext.get() is None:  # called as a plain function: no API to publish to
        return str(path)
    create_table_artifact(
        key=f"{config.dataset_name}-forecast",
        table=[{k: str(v) for k, v in row.items()}],
        description=f"{config.dataset_name}: {row['model']} forecast for {row['target_time']}",
    )
    return str(path)
