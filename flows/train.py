"""The ``train`` flow: prepare, backtest every candidate in parallel, add seeds to the best,
refit before the test period, rank, refit the champion on all data, publish, promote.

The fits (every fit's predictions: about 1.6 million numbers on the bike file) are passed to
tasks and out of subflows wrapped in Prefect's ``quote``: Prefect would otherwise walk every
number of them looking for futures, at each call (measured: 11 s a task call for 45 bike-sized
fits, 5.8 s a subflow's return). They are plain values, never futures; what quoting gives up
is the Prefect UI's dependency arrows from the fit tasks to the tasks that read the fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prefect import flow
from prefect.futures import PrefectFuture, as_completed
from prefect.utilities.annotations import quote

from flows.prepare import prepare
from seqcast.config import TrainConfig
from seqcast.evaluation.backtest import TEST_FIT
from seqcast.evaluation.plan import FitJob, MemberLike, epochs_after, start_after, start_of
from seqcast.evaluation.records import FitRef
from seqcast.evaluation.transforms import AUTO
from tasks import fit as t
from tasks import refresh as rf
from tasks.publish import promote_champion, publish_run
from tasks.rank import Ranking, check_sweep, rank_candidates, shortlist_variants
from tasks.runners import task_runner_for, threads_per_worker
from tasks.tracking import register_model, track_run


@flow(name="fit-models")
def fit_models(
    config: TrainConfig, prepared: list[str]
) -> quote[tuple[list[FitRef], list[FitRef], Ranking]]:
    """Fan out one task per (window length, variant, seed, fit) and per (window length, fit)
    for the references: every backtest fold first, then the refits before the test period
    (for the epochs the folds early-stopped at), more seeds for the shortlisted variants,
    the ranking, and the champion's members refitted on every window. Returns the fits, the
    served fits (the champion's members, in order) and the ranking, quoted (``.unquote()``)."""
    fits, choice = backtest_fits(config, prepared)
    transform = choice["chosen"] if choice else config.resolved_training.target_transform
    ranking = rank_candidates(config, prepared, quote(fits), choice)
    # a per-seed member is refitted for the epochs of its refit before the test period (and,
    # with warm-started refits, from that refit's weights)
    refits = {(f.label, f.seed): f for f in fits if f.fit == TEST_FIT and f.epochs}
    epochs = {key: f.epochs for key, f in refits.items()}
    starts = {key: start_of(f) for key, f in refits.items() if f.weights}  # warm refits only
    served = serve(config, prepared, ranking.champion_members, epochs, transform, starts)
    return quote((fits, served, ranking))


def backtest_fits(config: TrainConfig, prepared: list[str]) -> tuple[list[FitRef], dict | None]:
    """Every fit the ranking reads, a walk over the run's plan: the target transform chosen
    first when it is ``auto``, every candidate on every backtest fold, each refit before the
    test period, more seeds for the shortlisted variants. Returns the fits and the transform's
    choice (None unless ``auto``). Call inside a flow: the fits are submitted to its task
    runner."""
    plan = t.run_plan(config)
    threads = threads_per_worker(config)
    source = dict(zip(plan.lengths, prepared, strict=True))
    vcfg, tcfg = config.resolved_variant, config.resolved_training
    warm = tcfg.warm_refit or 0.0
    choice = None
    if tcfg.target_transform == AUTO:  # chosen on the backtest before any other fit
        choice = t.choose_transform(prepared[0], plan.folds, plan.base_seed, threads)
        tcfg = tcfg.model_copy(update={"target_transform": choice["chosen"]})
    transform = tcfg.target_transform

    def deep(job: FitJob, epochs: int | None = None, start: dict | None = None):
        d = source[job.timesteps]
        task = t.deep_task(job, d, vcfg, tcfg, plan.folds, epochs, start)
        return task.submit(job, d, vcfg, tcfg, plan.folds, epochs, threads, start)

    def backtest(labels: list[str], seeds: list[int]) -> tuple[list[FitRef], list]:
        """Fold fits, and each (label, seed)'s refit before the test period submitted as soon
        as its own folds are done (for their mean best epoch): no worker waits for a slower
        variant. Returns the fold fits and the refits' futures."""
        jobs = plan.folds_of(labels, seeds)
        futures = [deep(job) for job in jobs]
        job_of = {id(f): job for f, job in zip(futures, jobs, strict=True)}
        done: dict[str, FitRef] = {}
        refits = []
        for future in as_completed(futures):
            job = job_of[id(future)]
            done[job.name] = future.result()
            refit = plan.deep(job.label, job.seed, TEST_FIT)
            if all(name in done for name in refit.after):
                refits.append(
                    deep(refit, epochs_after(refit, done, warm), start_after(refit, done, warm))
                )
        return [done[job.name] for job in jobs], refits

    ref_futures = [
        t.fit_references.submit(job, source[job.timesteps], plan.folds, threads, transform)
        for job in plan.reference_fits()
    ]
    fits, refits = backtest(list(plan.candidates), [plan.base_seed])
    fits += [r for f in ref_futures for r in f.result()]
    if plan.extra_seeds:
        chosen = shortlist_variants(config, prepared, quote(fits))
        more, more_refits = backtest(chosen, list(plan.extra_seeds))
        fits += more
        refits += more_refits
    fits += [f.result() for f in refits]
    return fits, choice


def serve(
    config: TrainConfig,
    prepared: list[str],
    members: Sequence[MemberLike],
    epochs: Mapping[tuple[str, int | None], int | None],
    transform: str | None,
    starts: Mapping[tuple[str, int | None], dict] | None = None,
) -> list[FitRef]:
    """Fit the champion's ``members`` on every window of ``prepared`` (one directory per
    window length of ``config``, in order): the plan's served jobs, each per-seed member for
    its ``epochs`` (from the weights ``starts`` gives it, else its seeded start), the
    references by one job per window length. Returns the fits in the members' order. Call
    inside a flow: the fits are submitted to its task runner."""
    plan = t.run_plan(config)
    threads = threads_per_worker(config)
    source = dict(zip(plan.lengths, prepared, strict=True))
    vcfg = config.resolved_variant
    tcfg = config.resolved_training.model_copy(update={"target_transform": transform})
    deep: dict[tuple[str, int | None], PrefectFuture] = {}
    references: dict[int, PrefectFuture] = {}  # window length -> its references' fits
    for job in plan.served(members):
        d = source[job.timesteps]
        if job.kind == "deep":
            n = epochs[(job.label, job.seed)]
            s = (starts or {}).get((job.label, job.seed))
            task = t.deep_task(job, d, vcfg, tcfg, plan.folds, n, s)
            deep[(job.label, job.seed)] = task.submit(job, d, vcfg, tcfg, plan.folds, n, threads, s)
        else:
            references[job.timesteps] = t.fit_references.submit(
                job, d, plan.folds, threads, transform
            )
    served: list[FitRef] = []
    for m in members:  # the members' order
        if (m.label, m.seed) in deep:
            served.append(deep[(m.label, m.seed)].result())
        else:
            ts, name = plan.reference_of(m.label)
            served.append(next(f for f in references[ts].result() if f.label == name))
    return served


@flow(name="refit-members")
def refit_members(config: TrainConfig, prepared: list[str], plan: rf.RefreshPlan) -> list[FitRef]:
    """The refresh's fits: the champion's members on every window, as the train flow's."""
    epochs: dict[tuple[str, int | None], int | None] = {
        (m.label, m.seed): m.epochs for m in plan.members if m.seed is not None
    }
    # a member served with its weights continues from them (a warm-started refresh)
    starts = {(m.label, m.seed): m.start for m in plan.members if m.start is not None}
    transform = config.resolved_training.target_transform
    return serve(config, prepared, plan.members, epochs, transform, starts)


@flow(name="refresh", log_prints=True)
def refresh(config: TrainConfig, run_dir: str | None = None) -> str:
    """Refit the champion (of the run in run_dir; by default the registry's champion) on
    every row of the source for the epochs its members were trained for, publish it as a run
    of its own, register and promote it; no backtest. Returns the run's directory."""
    plan = rf.plan_refresh(config, run_dir)
    champ = rf.champion_config(config, plan)
    print(
        f"refreshing {plan.bundle.candidate} of run {plan.run_id} with that run's settings "
        f"({len(plan.members)} member(s)); this run's other settings are not used"
    )
    prepared = [prepare(c) for c in champ.prepare_configs()]
    runner = task_runner_for(champ)
    served = refit_members.with_options(task_runner=runner)(champ, prepared, plan)
    run = rf.publish_refresh(champ, plan, prepared, served)
    tracked = track_run(champ, run, served)
    registered = register_model(run, tracked)
    promote_champion(champ, run, registered)
    return run.dir


@flow(name="train", log_prints=True)
def train(config: TrainConfig) -> str:
    """Prepare the data, backtest and compare every candidate, publish the run; returns its
    directory. In mode "refresh" the served champion is refitted instead (the refresh flow)."""
    if config.mode == "refresh":
        return refresh(config)
    prepared = [prepare(c) for c in config.prepare_configs()]
    if len(prepared) > 1:
        check_sweep(prepared, config.backtest_folds)
    runner = task_runner_for(config)
    fits, served, ranking = fit_models.with_options(task_runner=runner)(config, prepared).unquote()
    run = publish_run(config, prepared, quote(fits), served, quote(ranking))
    tracked = track_run(config, run, quote(fits))
    registered = register_model(run, tracked)
    promote_champion(config, run, registered)
    return run.dir
