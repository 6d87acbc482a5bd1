"""Tasks of the ``forecast`` flow: load the champion, predict the next horizon, append."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from seqcast import storage
from seqcast.config import DatasetSpec, ForecastConfig, PrepareConfig
from seqcast.errors import SeqcastError
from seqcast.forecast import FORECAST_COLUMNS
from seqcast.paths import Layout
from seqcast.refs import StageRef
from seqcast.registry import append_forecasts
from seqcast.serving import forecast_from_clean


class NoChampion(SeqcastError):
    pass


class ChampionRef(BaseModel):
    model: str  # the champion candidate's name
    bundle: str  # its bundle.json
    run_id: str
    members: list[dict]
    trained_with: PrepareConfig
    spec: DatasetSpec  # the spec the champion was trained with

    @property
    def prepare(self) -> PrepareConfig:
        """The data settings of the champion's training, bound to its own spec."""
        return self.trained_with.with_spec(self.spec)


@task(name="load-champion", task_run_name="load-champion", cache_policy=NO_CACHE)
def load_champion(config: ForecastConfig) -> ChampionRef:
    """The promoted model and the data settings it was trained with."""
    layout = Layout.of(config.out, config.dataset_name)
    hint = f"train one first: seqcast train --dataset {config.dataset} --out {config.out}"
    if not layout.champion.exists():
        raise NoChampion(
            f"no champion for {config.dataset_name} under {layout.root} ({layout.champion} is "
            f"missing); {hint}"
        )
    champ = storage.read_json(layout.champion)
    if not champ.get("bundle") or not Path(champ["bundle"]).exists():
        raise NoChampion(
            f"the champion in {layout.champion} has no served model bundle (promoted by an "
            f"older version, or its run directory was removed); {hint}"
        )
    bundle = storage.read_json(Path(champ["bundle"]))
    manifest = storage.read_json(Path(champ["run_dir"]) / "manifest.json")
    trained_with = {k: v for k, v in manifest["config"].items() if k in PrepareConfig.model_fields}
    prepare = PrepareConfig(
        **{**trained_with, "source": config.source, "out": config.out, "timesteps": None}
    )
    trained_spec = prepare.spec
    if "spec" in manifest:  # the spec the champion was trained with, whatever the file says now
        trained_spec = DatasetSpec.model_validate(manifest["spec"])
        if trained_spec != prepare.spec:
            get_run_logger().warning(
                "the spec file of %s changed since run %s trained the champion; forecasting "
                "with the spec it was trained with (retrain to use the new one)",
                config.dataset,
                champ["run_id"],
            )
    return ChampionRef(
        model=champ["model"],
        bundle=champ["bundle"],
        run_id=champ["run_id"],
        members=bundle["members"],
        trained_with=prepare,
        spec=trained_spec,
    )


@task(name="predict-next", task_run_name="predict-next", cache_policy=NO_CACHE)
def predict_next(
    champion: ChampionRef, cleaned: StageRef, known: dict[str, float] | None = None
) -> dict:
    """Predict the next horizon from the last window(s) of the cleaned newest data: the mean
    of the champion's members, each fed as it was trained (``seqcast.serving``)."""
    from seqcast.train import limit_threads

    limit_threads(1)
    cfg = champion.prepare
    frame = storage.read_frame(Path(cleaned.frame or ""))
    bundle = {"members": champion.members, "horizon": cfg.resolved_horizon}
    got = forecast_from_clean(
        frame, cfg.spec, bundle, Path(champion.bundle).parent, cleaned.source, known
    )
    return {
        "dataset": cfg.dataset_name,
        "model": champion.model,
        "run_id": champion.run_id,
        **got,
        "horizon": cfg.resolved_horizon,
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
    create_table_artifact(
        key=f"{config.dataset_name}-forecast",
        table=[{k: str(v) for k, v in row.items()}],
        description=f"{config.dataset_name}: {row['model']} forecast for {row['target_time']}",
    )
    return str(path)
