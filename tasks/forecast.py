"""Tasks of the ``forecast`` flow: load the champion, predict the next horizon, append."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from seqcast import storage
from seqcast.config import ForecastConfig, PrepareConfig
from seqcast.errors import SeqcastError
from seqcast.forecast import FORECAST_COLUMNS, last_window
from seqcast.paths import Layout
from seqcast.refs import StageRef
from seqcast.registry import append_forecasts
from seqcast.scale import AffineScaler, to_original_units


class NoChampion(SeqcastError):
    pass


class ChampionRef(BaseModel):
    model: str
    variant: str
    model_path: str
    run_id: str
    timesteps: int
    scaler: dict
    prepare: PrepareConfig


@task(name="load-champion", task_run_name="load-champion", cache_policy=NO_CACHE)
def load_champion(config: ForecastConfig) -> ChampionRef:
    """The promoted model and the data settings it was trained with."""
    layout = Layout.of(config.out, config.dataset)
    if not layout.champion.exists():
        raise NoChampion(
            f"no champion for {config.dataset} under {layout.root} ({layout.champion} is "
            f"missing); train one first: seqcast train --dataset {config.dataset} "
            f"--out {config.out}"
        )
    champ = storage.read_json(layout.champion)
    manifest = storage.read_json(Path(champ["run_dir"]) / "manifest.json")
    trained_with = {k: v for k, v in manifest["config"].items() if k in PrepareConfig.model_fields}
    prepare = PrepareConfig(
        **{
            **trained_with,
            "source": config.source,
            "out": config.out,
            "timesteps": champ["timesteps"],
        }
    )
    return ChampionRef(
        model=champ["model"],
        variant=champ["variant"],
        model_path=champ["model_path"],
        run_id=champ["run_id"],
        timesteps=champ["timesteps"],
        scaler=storage.read_json(Path(champ["scaler_path"])),
        prepare=prepare,
    )


@task(name="predict-next", task_run_name="predict-next", cache_policy=NO_CACHE)
def predict_next(champion: ChampionRef, cleaned: StageRef) -> dict:
    """Predict the next horizon from the last window of the cleaned newest data."""
    import keras

    from seqcast.models import model_inputs
    from seqcast.train import limit_threads

    limit_threads(1)
    cfg = champion.prepare
    frame = storage.read_frame(Path(cleaned.frame or ""))
    scaler = AffineScaler.from_dict(champion.scaler["features"])
    window = last_window(
        frame, cfg.spec, champion.timesteps, cfg.resolved_horizon, scaler, cleaned.source
    )
    model = keras.models.load_model(champion.model_path, safe_mode=True)
    each_step = model.inputs[0].shape[-1] != window.x.shape[-1]  # trained with the calendar
    inputs = model_inputs(champion.variant, window.x, window.covariates, each_step)
    raw = model(inputs, training=False)  # (1, 1); a direct call traces no graph function
    value = float(to_original_units(raw, champion.scaler)[0])  # (1, 1) -> original units
    return {
        "dataset": cfg.dataset,
        "model": champion.model,
        "run_id": champion.run_id,
        "origin_time": window.origin_time,
        "target_time": window.target_time,
        "horizon": cfg.resolved_horizon,
        "prediction": value,
        "created_at": pd.Timestamp(datetime.now(UTC)).tz_localize(None),
        "data_sha256": cleaned.meta["source"]["sha256"],
    }


@task(name="append-forecast", task_run_name="append-forecast", cache_policy=NO_CACHE)
def append_forecast(config: ForecastConfig, row: dict) -> str:
    """Add the forecast to forecasts.parquet; a rerun for the same target time and model
    replaces its row (``registry.append_forecasts``: locked, atomic)."""
    path = append_forecasts(
        Layout.of(config.out, config.dataset), pd.DataFrame([row], columns=FORECAST_COLUMNS)
    )
    create_table_artifact(
        key=f"{config.dataset}-forecast",
        table=[{k: str(v) for k, v in row.items()}],
        description=f"{config.dataset}: {row['model']} forecast for {row['target_time']}",
    )
    return str(path)
