"""Tasks of the ``forecast`` flow: load the champion, predict the next steps with their
intervals, append them and publish them (a table and a fan chart)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext

from seqcast.config import ForecastConfig, get_spec
from seqcast.data.stage_keys import StageRef
from seqcast.errors import SeqcastError
from seqcast.evaluation.live import DEGRADED_EVENT, observed_actuals
from seqcast.io import storage
from seqcast.io.forecast_store import append_forecasts
from seqcast.io.paths import Layout
from seqcast.serving.bundle import read_bundle
from seqcast.serving.champion import (
    ChampionRef,
    NoChampion,
    champion_ref,
    forecast_rows,
    no_champion_hint,
    served_bundle,
)
from seqcast.serving.predict import forecast_from_clean
from seqcast.serving.scoring import update_scored
from seqcast.serving.status import version_quality
from tasks.logs import run_logger


def _no_champion_hint(config: ForecastConfig, layout: Layout) -> str:
    """What the newest run under the output root says about why nothing is served."""
    runs = sorted(layout.base.glob("runs/*/metrics.json"))  # run ids start with their time
    last = (runs[-1].parent, storage.read_json(runs[-1])) if runs else None
    return no_champion_hint(config, layout.root, last)


@task(name="load-champion", task_run_name="load-champion", cache_policy=NO_CACHE)
def load_champion(config: ForecastConfig) -> ChampionRef:
    """The registry's champion (``models:/seqcast-<dataset>@champion``), downloaded once per
    version under ``DIR/<dataset>/served/``, and the data settings it was trained with."""
    from mlflow.tracking import MlflowClient

    from seqcast.io.tracking import (
        CHAMPION_ALIAS,
        champion_version,
        registered_model_name,
        tracking_uri,
    )

    layout = Layout.of(config.out, config.dataset_name)
    uri = tracking_uri(layout.root, config.mlflow_uri)
    name = registered_model_name(config.dataset_name)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    version = champion_version(client, name)
    if version is None:
        raise NoChampion(
            f"no champion for {config.dataset_name}: the registry at {uri} has no "
            f"models:/{name}@{CHAMPION_ALIAS}\n" + _no_champion_hint(config, layout)
        )
    folder = layout.served / str(version.version)
    bundle_file = served_bundle(client, name, str(version.version), folder, uri)
    champion = champion_ref(
        config,
        read_bundle(bundle_file),
        bundle_file,
        version.tags.get("seqcast.run_id", ""),
        str(version.version),
        version.tags.get("mlflow_run_id", ""),
    )
    with contextlib.suppress(SeqcastError):  # the file may be gone: the stored spec serves
        if get_spec(config.dataset) != champion.spec:
            run_logger(__name__).warning(
                "the spec file of %s changed since the champion (version %s) was trained; "
                "forecasting with the spec it was trained with (retrain to use the new one)",
                config.dataset,
                version.version,
            )
    return champion


@task(name="score-served", task_run_name="score-served", cache_policy=NO_CACHE)
def score_served(config: ForecastConfig, champion: ChampionRef, cleaned: StageRef) -> dict:
    """Score every earlier served forecast whose actual is now in the source into
    ``scored.parquet`` (``seqcast.evaluation.live``): locked, replaced atomically, idempotent.
    A revised actual is logged as a warning. Returns what it did, for the console."""
    layout = Layout.of(config.out, config.dataset_name)
    target = champion.prepare.spec.target
    frame = storage.read_frame(Path(cleaned.frame or ""))
    filled_file = Path(cleaned.dir) / "filled_cells.csv"
    filled = pd.read_csv(filled_file) if filled_file.exists() else pd.DataFrame()
    filled_times = filled.loc[filled["column"] == target, "time"] if len(filled) else []
    actuals = observed_actuals(frame, target, filled_times)
    now = pd.Timestamp(datetime.now(UTC)).tz_localize(None)
    result = update_scored(layout, actuals, now)
    if result is None:  # nothing served yet
        return {"added": 0, "revised": 0, "waiting": 0, "scored": 0}
    log = run_logger(__name__)
    for revision in result.revisions:
        log.warning("%s", revision.line(target))
    log.info(
        "scored %d served forecast(s) against their actuals (%d revised); %d wait for theirs",
        result.added,
        len(result.revisions),
        result.waiting,
    )
    summary = {
        "added": result.added,
        "revised": len(result.revisions),
        "waiting": result.waiting,
        "scored": len(result.scored),
        "file": str(layout.scored),  # what predict-next adapts the intervals on
    }
    if champion.promise is None or result.scored.empty:
        return summary
    _, quality = version_quality(
        result.scored,
        champion.version,
        champion.promise,
        champion.prepare.spec.time_index.frequency,
        config.live,
    )
    for line in quality.lines(target):
        (log.warning if quality.degraded else log.info)("%s", line)
    publish_quality(config, champion, quality)
    return {**summary, "degraded": quality.degraded, "live_mae": quality.mae}


def publish_quality(config: ForecastConfig, champion: ChampionRef, quality) -> None:
    """In a flow run: the live quality as a table artifact, the degradation event when it is
    degraded, and the figures as MLflow metrics of the version's run."""
    if FlowRunContext.get() is None or not quality.rows:
        return
    name = config.dataset_name
    create_table_artifact(
        key=f"{name}-live-quality",
        table=[
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
            for row in quality.by_step.to_dict("records")
        ],
        description=" ".join(quality.lines(champion.prepare.spec.target)),
    )
    if quality.degraded:
        layout = Layout.of(config.out, name)
        now = datetime.now(UTC)
        last = storage.read_json(layout.degraded) if layout.degraded.exists() else {}
        since = now - datetime.fromisoformat(last["emitted_at"]) if last else None
        if since is not None and since.total_seconds() < 3600 * config.live.cooldown_hours:
            run_logger(__name__).warning(
                "degraded, but the last seqcast.forecast.degraded event was %s ago (cooldown "
                "%g h): not emitted again",
                str(since).split(".")[0],
                config.live.cooldown_hours,
            )
        else:
            emit_degraded(name, champion, quality)
            storage.write_json(
                layout.degraded,
                {
                    "emitted_at": now.isoformat(),
                    "version": champion.version,
                    "reasons": quality.reasons,
                },
            )
    if champion.mlflow_run_id:
        with contextlib.suppress(Exception):  # tracking is a record, never a reason to fail
            log_live_metrics(config, champion, quality)


def emit_degraded(dataset: str, champion: ChampionRef, quality) -> None:
    """The ``seqcast.forecast.degraded`` event: what an automation retrains on."""
    from prefect.events import emit_event

    emit_event(
        event=DEGRADED_EVENT,
        resource={"prefect.resource.id": f"seqcast.dataset.{dataset}", "dataset": dataset},
        related=[
            {
                "prefect.resource.id": f"seqcast.model.{dataset}.{champion.version}",
                "prefect.resource.role": "model-version",
            }
        ],
        payload={
            "dataset": dataset,
            "model": champion.model,
            "model_version": champion.version,
            "live_mae": quality.mae,
            "promised_mae": quality.promised,
            "ratio": quality.ratio,
            "coverage": quality.coverage,
            "scored": quality.rows,
            "reasons": quality.reasons,
        },
    )


def log_live_metrics(config: ForecastConfig, champion: ChampionRef, quality) -> None:
    from mlflow.tracking import MlflowClient

    from seqcast.io.tracking import tracking_uri

    layout = Layout.of(config.out, config.dataset_name)
    uri = tracking_uri(layout.root, config.mlflow_uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    stamp = int(datetime.now(UTC).timestamp() * 1000)
    values = {"live_mae": quality.mae, "live_mae_ratio": quality.ratio}
    values |= {f"live_coverage_{lv}": v for lv, v in quality.coverage.items()}
    for key, value in values.items():
        client.log_metric(champion.mlflow_run_id, key, float(value), timestamp=stamp)


def served_history(champion: ChampionRef, scored_file: str | None) -> pd.DataFrame | None:
    """This champion's scored forecasts (its run and registry version), None when there are
    none to adapt on."""
    if not scored_file or not Path(scored_file).exists():
        return None
    rows = storage.read_frame(Path(scored_file))
    mine = rows[(rows["run_id"] == champion.run_id) & (rows["model_version"] == champion.version)]
    return mine if len(mine) else None


@task(name="predict-next", task_run_name="predict-next", cache_policy=NO_CACHE)
def predict_next(
    champion: ChampionRef,
    cleaned: StageRef,
    known: dict[str, float] | None = None,
    scored: dict | None = None,
) -> dict:
    """Predict the next steps from the last window(s) of the cleaned newest data: the
    weighted mean of the champion's members, each fed as it was trained, with the champion's
    conformal intervals (``seqcast.serving.predict``), adapted on this champion's forecasts
    already scored (``scored``: what ``score-served`` returned) where it has an online rate.
    Returns the store's ``rows`` and the ``recent`` actuals (time, value) the fan chart
    starts from."""
    from seqcast.models.fitting import thread_env

    thread_env(1)  # deep members predict in numpy: TensorFlow starts only for a Keras fallback
    frame = storage.read_frame(Path(cleaned.frame or ""))
    spec = champion.prepare.spec
    history = served_history(champion, (scored or {}).get("file"))
    got = forecast_from_clean(
        frame, spec, champion.bundle, champion.folder, cleaned.source, known, history
    )
    created_at = pd.Timestamp(datetime.now(UTC)).tz_localize(None)
    recent = frame.tail(max(3 * len(got), 12))
    return {
        "rows": forecast_rows(champion, got, cleaned.meta["source"]["sha256"], created_at),
        "recent": [
            [str(t), float(v)] for t, v in zip(recent["time"], recent[spec.target], strict=True)
        ],
        "units": spec.target_label,
        "whole": spec.whole_target,
    }


@task(name="append-forecast", task_run_name="append-forecast", cache_policy=NO_CACHE)
def append_forecast(config: ForecastConfig, forecast: dict) -> str:
    """Add the forecast path to forecasts.parquet; a rerun for the same origin replaces its
    rows (``forecast_store.append_forecasts``: locked, atomic). Writes the fan chart beside it
    (``forecast_fan.png``) and, in a flow run, publishes the path as a table artifact and
    the fan chart as a Markdown artifact."""
    from seqcast.report.forecast_view import fan_chart, forecast_markdown, forecast_table

    layout = Layout.of(config.out, config.dataset_name)
    rows = pd.DataFrame(forecast["rows"])
    path = append_forecasts(layout, rows)
    png = fan_chart(rows, forecast["recent"], forecast["units"])
    storage.write_bytes(layout.forecast_fan, png)
    if FlowRunContext.get() is None:  # called as a plain function: no API to publish to
        return str(path)
    first = rows.iloc[0]
    create_table_artifact(
        key=f"{config.dataset_name}-forecast",
        table=forecast_table(rows, forecast["units"], forecast["whole"]),
        description=f"{config.dataset_name}: {first['model']} forecast from data up to "
        f"{first['origin_time']}",
    )
    create_markdown_artifact(
        key=f"{config.dataset_name}-forecast-chart",
        markdown=forecast_markdown(rows, png, forecast["units"], forecast["whole"]),
        description=f"{config.dataset_name}: forecast path with its intervals",
    )
    return str(path)
