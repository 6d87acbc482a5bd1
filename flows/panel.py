"""The panel flows: train every series of a long-format file at once, and forecast every
series. The outer flow picks the task runner from the config (local worker processes, or an
existing Dask cluster through prefect-dask) and runs the inner flow on it."""

from __future__ import annotations

from prefect import flow
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from seqcast.panel.config import PanelRunConfig
from tasks.panel import (
    champion_spec,
    chunks,
    evaluation_names,
    fit_global,
    fit_references,
    forecast_all,
    publish,
    read_panel,
    run_dir,
)


def _runner(cfg: PanelRunConfig):
    if cfg.dask_address or cfg.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if cfg.dask_address:
            return DaskTaskRunner(address=cfg.dask_address)
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": cfg.workers, "threads_per_worker": 1, "processes": True}
        )
    if cfg.task_runner == "thread":
        return ThreadPoolTaskRunner(max_workers=cfg.workers)
    return ProcessPoolTaskRunner(max_workers=cfg.workers)


@flow(name="train-panel-tasks")
def _train(cfg: PanelRunConfig) -> str:
    spec = cfg.spec()
    evs = evaluation_names(spec)
    panel = read_panel(cfg, spec)
    folder = run_dir(cfg)
    parts = chunks(panel, spec.training.chunk_size)
    fits = []  # submitted first: a long deep fit starts while the references run
    for k in range(spec.training.seeds):
        for v in spec.training.variants:
            seed = cfg.seed + k
            path = folder / "models" / f"{v}-s{seed}.keras"
            fits.append(fit_global.submit(panel, spec, v, seed, evs, path))
            if cfg.task_runner == "thread" and not cfg.dask_address:
                fits[-1].wait()  # Keras's random state is per process: one fit at a time
    refs = [
        fit_references.submit(ids, values, spec, evs, first=i * spec.training.chunk_size)
        for i, (ids, values) in enumerate(parts)
    ]
    facts = {
        "seeds": [cfg.seed + k for k in range(spec.training.seeds)],
        "runner": _runner_name(cfg),
    }
    return publish(
        cfg, spec, panel, [r.result() for r in refs], [f.result() for f in fits], folder, facts
    )


def _runner_name(cfg: PanelRunConfig) -> str:
    if cfg.dask_address:
        return f"dask cluster {cfg.dask_address}"
    return f"{cfg.task_runner}: {cfg.workers} worker(s)"


@flow(name="train-panel", log_prints=True)
def train_panel(cfg: PanelRunConfig) -> str:
    """Train the global deep models and the local references on every series, choose the
    champion on the backtest, publish the report and serve the champion."""
    return _train.with_options(task_runner=_runner(cfg))(cfg)


@flow(name="forecast-panel")
def forecast_panel(cfg: PanelRunConfig) -> str:
    """Every series' next steps with intervals from the served panel champion."""
    spec = champion_spec(cfg)
    panel = read_panel(cfg, spec)
    return forecast_all(cfg, panel)


__all__ = ["forecast_panel", "train_panel"]
