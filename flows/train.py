"""The ``train`` flow: prepare, fit every variant and the references in parallel, publish."""

from __future__ import annotations

from prefect import flow

from flows.prepare import prepare
from seqcast.config import TrainConfig
from tasks import train as t
from tasks.runners import task_runner_for, threads_per_worker


@flow(name="fit-models")
def fit_models(
    config: TrainConfig, prepared: list[str]
) -> tuple[list[t.TrainedRef], list[t.ReferenceRef]]:
    """Fan out one task per (window length, variant), plus the references per window length."""
    threads = threads_per_worker(config)
    sweep = len(prepared) > 1
    lengths = [c.resolved_timesteps for c in config.prepare_configs()]
    models = [
        t.variant_task(d, v, config.resolved_variant, config.resolved_training).submit(
            d,
            ts,
            v,
            config.resolved_variant,
            config.resolved_training,
            t.label_of(v, ts, sweep),
            threads,
        )
        for d, ts in zip(prepared, lengths, strict=True)
        for v in config.variants
    ]
    refs = [
        t.fit_references.submit(d, ts, config.resolved_training.seed, threads)
        for d, ts in zip(prepared, lengths, strict=True)
    ]
    return [f.result() for f in models], [f.result() for f in refs]


@flow(name="train", log_prints=True)
def train(config: TrainConfig) -> str:
    """Prepare the data, train and compare every variant, publish the run; returns its dir."""
    prepared = [prepare(c) for c in config.prepare_configs()]
    runner = task_runner_for(config)
    trained, references = fit_models.with_options(task_runner=runner)(config, prepared)
    run = t.publish_run(config, prepared, trained, references)
    t.promote_champion(config, run)
    return run.dir
