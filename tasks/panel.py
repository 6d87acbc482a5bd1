"""Tasks of the panel flows: read and check the long file, fit the local references per
chunk of series, fit each global deep variant and seed, publish the run; and serve a
forecast for every series. Each loads, calls ``seqcast.panel`` and saves."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext

from seqcast.errors import ConfigError, DataError, Problem
from seqcast.evaluation.live import DEGRADED_EVENT
from seqcast.io import storage
from seqcast.io.paths import run_name
from seqcast.panel import evaluate, live, local, serve
from seqcast.panel.config import PanelRunConfig
from seqcast.panel.data import Panel, read_long
from seqcast.panel.registry import log_panel_champion
from seqcast.panel.run import combine, summarise
from seqcast.panel.spec import PanelSpec
from seqcast.panel.train import GlobalFit, fit_windows, global_fit
from seqcast.panel.windows import evaluations
from tasks.logs import run_logger

BUNDLE = serve.BUNDLE


def read_file(path: Path) -> pd.DataFrame:
    """The long file as text cells (a number column with a stray word is reported, not
    coerced), CSV or parquet."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path).reset_index(drop=True)  # lines count from the first row
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as err:
        raise DataError(
            str(path), "read", [Problem("(file)", f"not a readable CSV: {err}")]
        ) from None


@task(name="read-panel", cache_policy=NO_CACHE)
def read_panel(cfg: PanelRunConfig, spec: PanelSpec) -> Panel:
    """Read the long file and check it series by series; a series that fails is left out."""
    path = cfg.source_path()
    panel = read_long(read_file(path), spec, str(path))
    log = run_logger("read-panel")
    log.info("%d series, %d rows from %s", len(panel), panel.rows(), path)
    for x in panel.left_out:
        log.warning("left out: %s", x.text())
    return panel


def evaluation_names(spec: PanelSpec) -> list[str]:
    """What a panel train scores: the backtest folds, then the test."""
    return evaluations(spec)


def chunks(panel: Panel, size: int) -> list[tuple[list[str], list[np.ndarray]]]:
    """The panel's series in chunks of ``size`` (the unit a reference task fits)."""
    return [
        (panel.ids[i : i + size], panel.values[i : i + size]) for i in range(0, len(panel), size)
    ]


@task(name="fit-references", task_run_name="fit-references-{first}", cache_policy=NO_CACHE)
def fit_references(
    ids: list[str], values: list[np.ndarray], spec: PanelSpec, evs: list[str], first: int = 0
) -> local.Chunk:
    """Every reference of the spec on a chunk of series, at every evaluation's blocks."""
    return local.chunk_forecasts(ids, values, spec, list(spec.training.references), evs)


@task(name="fit-global", task_run_name="fit-global-{variant}-s{seed}", cache_policy=NO_CACHE)
def fit_global(
    panel: Panel, spec: PanelSpec, variant: str, seed: int, evs: list[str], model_path: Path
) -> GlobalFit:
    """One deep variant and seed trained across every series, once per evaluation; the test
    fit (the one served) is saved to ``model_path``."""
    from seqcast.models.fitting import start_tensorflow

    start_tensorflow()
    fit = global_fit(panel, spec, variant, seed, evs)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    partial = model_path.with_name(f".{model_path.stem}.partial.keras")
    fit.served.save(partial)  # type: ignore[attr-defined]
    partial.replace(model_path)  # whole or absent, never half-written
    fit.served = None  # the file stands for it (a Keras model need not cross processes)
    run_logger("fit-global").info(
        "%s seed %d: %s",
        variant,
        seed,
        ", ".join(f"{f['evaluation']} {f['epochs']} epochs {f['seconds']} s" for f in fit.fits),
    )
    return fit


def run_dir(cfg: PanelRunConfig) -> Path:
    ctx = FlowRunContext.get()
    flow_run_id = ctx.flow_run.id if ctx and ctx.flow_run else None
    return cfg.layout().panel_run_dir(run_name(datetime.now(UTC), flow_run_id))


@task(name="publish-panel", cache_policy=NO_CACHE)
def publish(
    cfg: PanelRunConfig,
    spec: PanelSpec,
    panel: Panel,
    references: list[local.Chunk],
    fits: list[GlobalFit],
    folder: Path,
    facts: dict,
) -> str:
    """Score, choose, calibrate, write the run (metrics, scores, forecasts, report,
    champion) and make its champion the served one."""
    notes = [n for c in references for n in c.notes]
    forecasts = combine([c.frame for c in references], fits)
    summary = summarise(panel, spec, forecasts, fits, notes, facts)
    champion = summary.metrics["champion"]
    use = summary.members if champion == evaluate.ENSEMBLE else [champion]
    folder.mkdir(parents=True, exist_ok=True)
    storage.write_frame(folder / "scores.parquet", summary.scores)
    storage.write_frame(folder / "forecasts.parquet", summary.bounded)
    train, _ = fit_windows(panel, spec, "test")
    storage.write_frame(folder / "windows.parquet", windows_table(train, panel, spec))
    storage.write_text(folder / "report.html", summary.page)
    bundle = {
        "spec": spec.model_dump(mode="json"),
        "champion": champion,
        "members": use,
        "models": {
            v: sorted(p.name for p in (folder / "models").glob(f"{v}-s*.keras")) for v in use
        },
        "offsets": {str(k): v for k, v in summary.offsets.items()},
        "run": folder.name,
        "promise": summary.metrics["candidates"][champion]["backtest MASE"],
        "ids": list(panel.ids),  # a series-identity input's index is its place here
    }
    states = {
        r: {sid: st for c in references for sid, st in c.states.get(r, {}).items()}
        for r in use
        if r in local.STATEFUL
    }
    with storage.staged_dir(folder / "champion") as tmp:
        storage.write_json(tmp / BUNDLE, bundle)
        storage.write_json(tmp / serve.STATES, states)
        for names in bundle["models"].values():
            for n in names:
                shutil.copy2(folder / "models" / n, tmp / n)
    example = panel_example(panel, spec)
    summary.metrics["mlflow"] = log_panel_champion(
        cfg.layout().root, spec.name, folder / "champion", summary.metrics, example
    )
    storage.write_json(folder / "metrics.json", summary.metrics)
    served = cfg.layout().panel_champion
    with storage.staged_dir(served) as tmp:
        shutil.copytree(folder / "champion", tmp, dirs_exist_ok=True)
    run_logger("publish-panel").info(
        "champion %s: backtest MASE %.3f, test MASE %.3f",
        champion,
        summary.metrics["candidates"][champion]["backtest MASE"],
        summary.metrics["candidates"][champion]["test MASE"],
    )
    return str(folder)


def panel_example(panel: Panel, spec: PanelSpec) -> pd.DataFrame:
    """The pyfunc model's input example: the first two series' rows, as the file names
    them."""
    frame = panel.to_frame()
    frame = frame[frame["series"].isin(panel.ids[:2])]
    return frame.rename(
        columns={"series": spec.series, "time": spec.time.column, "value": spec.target}
    ).astype(str)


def windows_table(w, panel: Panel, spec: PanelSpec) -> pd.DataFrame:
    """The windows as a parquet table: series id, origin, scale, then x (value and observed
    per timestep) and y (the scaled targets)."""
    cols: dict[str, np.ndarray] = {
        "series": np.asarray(panel.ids, dtype=object)[w.series],
        "origin": w.origin,
        "scale": w.scale,
    }
    for t in range(spec.window):
        cols[f"x{t}"] = w.x[:, t, 0]
    for t in range(spec.window):
        cols[f"observed{t}"] = w.x[:, t, 1]
    for j in range(spec.horizon):
        cols[f"y{j + 1}"] = w.y[:, j]
    return pd.DataFrame(cols)


@task(name="champion-spec", cache_policy=NO_CACHE)
def champion_spec(cfg: PanelRunConfig) -> PanelSpec:
    """The spec the served champion was trained with (its file is read with it, as the
    MLflow model reads it); the spec file's when nothing is served yet."""
    folder = cfg.layout().panel_champion
    if (folder / serve.BUNDLE).is_file():
        bundle = serve.read_bundle(folder)
        try:
            return PanelSpec.model_validate(bundle["spec"])
        except (KeyError, ValueError):
            pass  # an unreadable champion: forecast-panel says so
    return cfg.spec()


@task(name="forecast-panel", cache_policy=NO_CACHE)
def forecast_all(cfg: PanelRunConfig, panel: Panel) -> str:
    """Every series' next ``horizon`` steps from its last row, with the champion's intervals
    (one row per series, origin and step); what was served before is scored first."""
    layout = cfg.layout()
    folder = layout.panel_champion
    if not (folder / serve.BUNDLE).is_file():
        raise ConfigError(
            f"no panel champion under {folder}: run seqcast train --dataset {cfg.dataset} first"
        )
    bundle = serve.read_bundle(folder)
    spec = PanelSpec.model_validate(bundle["spec"])
    frame = serve.forecast_frame(panel, bundle, folder)
    served = storage.read_frame(layout.panel_served) if layout.panel_served.is_file() else None
    if served is not None:
        score_served(cfg, spec, bundle, served, panel)
    storage.write_frame(layout.panel_served, live.append_served(served, frame))
    storage.write_frame(layout.panel_forecasts, frame)
    return str(layout.panel_forecasts)


def score_served(
    cfg: PanelRunConfig, spec: PanelSpec, bundle: dict, served: pd.DataFrame, panel: Panel
) -> live.LiveQuality:
    """Score what was served before against the new file's actuals; write the live quality
    per series and over series; emit ``seqcast.forecast.degraded`` when it broke the
    promise."""
    layout = cfg.layout()
    scored = live.score(served, panel)
    if layout.panel_scored.is_file():
        old = storage.read_frame(layout.panel_scored)
        scored = pd.concat([old, scored], ignore_index=True).drop_duplicates(live.KEY, keep="last")
    storage.write_frame(layout.panel_scored, scored)
    q = live.quality(scored, panel, spec.period, float(bundle.get("promise", float("nan"))))
    storage.write_json(
        layout.panel_status,
        {
            "scored_series": q.series,
            "live_mase": q.mase,
            "promised_mase": q.promised,
            "ratio": q.ratio,
            "degraded": q.degraded,
            "worst": q.worst,
            "per_series": q.per_series,
            "champion": bundle["champion"],
            "run": bundle["run"],
        },
    )
    log = run_logger("forecast-panel")
    log.info(
        "live: %d series scored, mean MASE %.3f against the promised %.3f",
        q.series,
        q.mase,
        q.promised,
    )
    if q.degraded:
        from prefect.events import emit_event

        name = layout.dataset
        emit_event(
            event=DEGRADED_EVENT,
            resource={"prefect.resource.id": f"seqcast.dataset.{name}", "dataset": name},
            payload={
                "dataset": name,
                "live_mase": q.mase,
                "promised_mase": q.promised,
                "ratio": q.ratio,
                "worst_series": q.worst,
            },
        )
        log.warning("degraded: live MASE %.3f is %.2f x the promise", q.mase, q.ratio)
    return q
