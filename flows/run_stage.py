"""Rerun one piece of a run while debugging: a stage of ``prepare`` from the stored output of
the stage before it, one fit of a train run, or the ranking from the stored fits."""

from __future__ import annotations

from prefect import flow
from prefect.utilities.annotations import quote

from flows.prepare import prepare
from flows.train import backtest_fits
from seqcast.config import PrepareConfig, StageName, TrainConfig
from seqcast.errors import ConfigError
from seqcast.evaluation.plan import FitJob, epochs_after, start_after
from seqcast.evaluation.records import FitRef
from seqcast.evaluation.transforms import AUTO
from tasks import fit
from tasks import prepare as t
from tasks.rank import RANKING, rank_candidates, store_ranking
from tasks.runners import task_runner_for, threads_per_worker


@flow(name="run-stage")
def run_stage(stage: StageName, config: PrepareConfig) -> str:
    """Recompute one stage (ignoring its cache) from the stored output of the stage before it."""
    source = t.fetch_source(config)
    upstream = source if stage == "ingest" else t.stored_upstream(stage, config, source)
    ref = t.STAGE_TASKS[stage].with_options(refresh_cache=True)(upstream, config)
    return ref.dir


@flow(name="rerun-fit", log_prints=True)
def rerun_fit(name: str, config: TrainConfig) -> str:
    """Refit one fit of a train run by the name its console printed (gru-s42-fold-1,
    references-t24-pretest), from the stored prepared data and the stored fits before it
    (a refit reads its folds' best epochs, a served fit its refit's epochs, from their
    cached results), its own cache ignored and overwritten. Writes its record and learning
    curve under DIR/<dataset>/reruns/<name>/; returns that folder."""
    plan = fit.run_plan(config)
    job = plan.job(name)
    run_dir = fit.match_train_run(config)
    prepared = {c.resolved_timesteps: prepare(c) for c in config.prepare_configs()}
    d = prepared[job.timesteps]
    threads = threads_per_worker(config)
    vcfg, tcfg = config.resolved_variant, config.resolved_training
    if tcfg.target_transform == AUTO:  # as the train run chose it (cached)
        first = prepared[plan.lengths[0]]
        chosen = fit.choose_transform(first, plan.folds, plan.base_seed, threads)
        tcfg = tcfg.model_copy(update={"target_transform": chosen["chosen"]})
    if job.kind == "reference":
        refs = fit.fit_references.with_options(refresh_cache=True)
        got = refs(job, d, plan.folds, threads, tcfg.target_transform)
        return fit.store_rerun(config, job, got, run_dir)

    warm = tcfg.warm_refit or 0.0

    def deep(one: FitJob, done: dict[str, FitRef], refresh: bool = False) -> FitRef:
        epochs, start = epochs_after(one, done, warm), start_after(one, done, warm)
        task = fit.deep_task(one, d, vcfg, tcfg, plan.folds, epochs, start)
        return task.with_options(refresh_cache=refresh)(
            one, d, vcfg, tcfg, plan.folds, epochs, threads, start
        )

    # the fits before it, each from its cache: a refit reads its folds' best epochs (and its
    # last fold's weights when warm-started), a served fit its refit's
    done: dict[str, FitRef] = {}
    for before in plan.before(job):
        done[before.name] = deep(before, done)
    return fit.store_rerun(config, job, [deep(job, done, True)], run_dir)


@flow(name="rerun-ranking", log_prints=True)
def rerun_ranking(config: TrainConfig) -> str:
    """Rank every candidate again from the stored fits of a train run with these settings
    (every fit from its cache; a fit not stored yet is trained), with nothing refitted for
    serving, published, registered or promoted. Writes ranking.json and ranking.md under
    DIR/<dataset>/reruns/ranking/; returns that folder."""
    run_dir = fit.match_train_run(config)
    prepared = [prepare(c) for c in config.prepare_configs()]
    runner = task_runner_for(config)  # a fit not stored yet runs as the train run's would
    fits, choice = stored_fits.with_options(task_runner=runner)(config, prepared).unquote()
    ranking = rank_candidates(config, prepared, quote(fits), choice)
    return store_ranking(config, ranking, run_dir)


@flow(name="stored-fits")
def stored_fits(config: TrainConfig, prepared: list[str]) -> quote[tuple[list, dict | None]]:
    """Every fit the ranking reads, as the train run made them (from their caches), on the
    train run's task runner; quoted, as the train flow passes its fits (``flows.train``)."""
    return quote(backtest_fits(config, prepared))


@flow(name="rerun", log_prints=True)
def rerun(name: str, config: TrainConfig) -> str:
    """Rerun one piece of a train run with these settings while debugging, by name; what
    the run-stage command does, as one deployment the UI can run. Returns the folder it
    wrote.

    Args:
        name: What to rerun. A prepare stage (ingest, validate, clean, target, split, scale,
            temporalize), one fit by the name the train run's task run carries
            (gru-s42-fold-1, references-t24-pretest, lstm-s43-all), or ranking (every
            candidate ranked again from the stored fits).
        config: The settings of the train run whose stage, fit or ranking is rerun.
    """
    if name == RANKING:
        return rerun_ranking(config)
    if name in t.STAGE_TASKS:
        prepare_configs = config.prepare_configs()
        if len(prepare_configs) > 1:
            raise ConfigError(f"{name}: a prepare stage is rerun for one window length")
        return run_stage(name, prepare_configs[0])  # type: ignore[arg-type,call-overload]
    fit.run_plan(config).job(name)  # a misspelt name fails here, listing the valid ones
    return rerun_fit(name, config)
