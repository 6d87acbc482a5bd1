"""The ``train`` flow: prepare, backtest every candidate in parallel, add seeds to the best,
refit before the test period, rank, refit the champion on all data, publish, promote."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prefect import flow
from prefect.futures import PrefectFuture, as_completed

from flows.prepare import prepare
from seqcast.config import TrainConfig
from seqcast.evaluation.backtest import SERVE_FIT, TEST_FIT, fold_names, refit_epochs
from seqcast.evaluation.plan import (
    MemberLike,
    label_of,
    reference_source,
    seeded_members,
    served_references,
)
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
) -> tuple[list[FitRef], list[FitRef], Ranking]:
    """Fan out one task per (window length, variant, seed, fit) and per (window length, fit)
    for the references: every backtest fold first, then the refits before the test period
    (for the epochs the folds early-stopped at), more seeds for the shortlisted variants,
    the ranking, and the champion's members refitted on every window. Returns the fits, the
    served fits (the champion's members, in order) and the ranking."""
    fits, choice = backtest_fits(config, prepared)
    transform = choice["chosen"] if choice else config.resolved_training.target_transform
    ranking = rank_candidates(config, prepared, fits, choice)
    # a per-seed member is refitted for the epochs of its refit before the test period
    epochs = {(f.label, f.seed): f.epochs for f in fits if f.fit == TEST_FIT and f.epochs}
    served = serve(config, prepared, ranking.champion_members, epochs, transform)
    return fits, served, ranking


def backtest_fits(config: TrainConfig, prepared: list[str]) -> tuple[list[FitRef], dict | None]:
    """Every fit the ranking reads: the target transform chosen first when it is ``auto``,
    every candidate on every backtest fold, the refits before the test period, more seeds for
    the shortlisted variants. Returns the fits and the transform's choice (None unless
    ``auto``). Call inside a flow: the fits are submitted to its task runner."""
    threads = threads_per_worker(config)
    sel = config.resolved_selection
    folds = sel.folds or 1
    fold_list = fold_names(folds)
    lengths = [c.resolved_timesteps for c in config.prepare_configs()]
    vcfg, tcfg = config.resolved_variant, config.resolved_training
    base, *extra_seeds = config.seed_list
    choice = None
    if tcfg.target_transform == AUTO:  # chosen on the backtest before any other fit
        choice = t.choose_transform(prepared[0], folds, base, threads)
        tcfg = tcfg.model_copy(update={"target_transform": choice["chosen"]})
    transform = tcfg.target_transform
    variants = variant_sources(config, prepared)

    def deep(label: str, seed: int, fit: str, epochs: int | None = None):
        d, ts, v = variants[label]
        task = t.deep_task(d, v, vcfg, tcfg.model_copy(update={"seed": seed}), fit, folds, epochs)
        return task.submit(d, ts, v, label, seed, vcfg, tcfg, fit, folds, epochs, threads)

    def backtest(labels: list[str], seeds: list[int]) -> tuple[list[FitRef], list]:
        """Fold fits, and each (label, seed)'s refit before the test period submitted as soon
        as its own folds are done (for their mean best epoch): no worker waits for a slower
        variant. Returns the fold fits and the refits' futures."""
        keys = [(lb, s, f) for lb in labels for s in seeds for f in fold_list]
        futures = [deep(*key) for key in keys]
        key_of = {id(f): key for f, key in zip(futures, keys, strict=True)}
        done: dict[tuple[str, int, str], FitRef] = {}
        refits = []
        for future in as_completed(futures):
            lb, s, _ = key = key_of[id(future)]
            done[key] = future.result()
            if all((lb, s, f) in done for f in fold_list):
                best = [done[(lb, s, f)].best_epoch or 1 for f in fold_list]
                refits.append(deep(lb, s, TEST_FIT, refit_epochs(best)))
        return [done[key] for key in keys], refits

    ref_futures = [
        t.fit_references.submit(d, ts, fit, folds, base, threads, names, transform)
        for d, ts, names in zip(prepared, lengths, t.reference_plan(config), strict=True)
        if names
        for fit in [*fold_list, TEST_FIT]
    ]
    fits, refits = backtest(list(variants), [base])
    fits += [r for f in ref_futures for r in f.result()]
    if extra_seeds:
        chosen = shortlist_variants(config, prepared, fits)
        more, more_refits = backtest(chosen, extra_seeds)
        fits += more
        refits += more_refits
    fits += [f.result() for f in refits]
    return fits, choice


def variant_sources(config: TrainConfig, prepared: list[str]) -> dict[str, tuple[str, int, str]]:
    """Each deep candidate label (``gru``; ``gru-t24`` in a sweep) -> its prepared windows,
    window length and variant."""
    lengths = [c.resolved_timesteps for c in config.prepare_configs()]
    sweep = len(lengths) > 1
    return {
        label_of(v, ts, sweep): (d, ts, v)
        for d, ts in zip(prepared, lengths, strict=True)
        for v in config.variants
    }


def serve(
    config: TrainConfig,
    prepared: list[str],
    members: Sequence[MemberLike],
    epochs: Mapping[tuple[str, int | None], int | None],
    transform: str | None,
) -> list[FitRef]:
    """Fit the champion's ``members`` on every window of ``prepared`` (one directory per
    window length of ``config``, in order), each member fitted per seed for its ``epochs``
    and the references by one task per window length. Returns the fits in the members'
    order. Call inside a flow: the fits are submitted to its task runner."""
    threads = threads_per_worker(config)
    folds = config.resolved_selection.folds or 1
    base = config.seed_list[0]
    lengths = [c.resolved_timesteps for c in config.prepare_configs()]
    sweep = len(lengths) > 1
    vcfg, tcfg = config.resolved_variant, config.resolved_training
    tcfg = tcfg.model_copy(update={"target_transform": transform})
    variant_of = variant_sources(config, prepared)
    served_refs = {
        (d, ts): t.fit_references.submit(d, ts, SERVE_FIT, folds, base, threads, names, transform)
        for (d, ts), names in served_references(members, prepared, lengths, sweep).items()
    }
    served_seeded: dict[tuple[str, int | None], PrefectFuture] = {}
    for lb, s in seeded_members(members):
        d, ts, v = variant_of[lb]
        seeded = tcfg.model_copy(update={"seed": s})
        task = t.deep_task(d, v, vcfg, seeded, SERVE_FIT, folds, epochs[(lb, s)])
        served_seeded[(lb, s)] = task.submit(
            d, ts, v, lb, s, vcfg, tcfg, SERVE_FIT, folds, epochs[(lb, s)], threads
        )
    served: list[FitRef] = []
    for m in members:  # the members' order
        if (m.label, m.seed) in served_seeded:
            served.append(served_seeded[(m.label, m.seed)].result())
        else:
            d, ts, name = reference_source(m.label, prepared, lengths, sweep)
            served.append(next(f for f in served_refs[(d, ts)].result() if f.label == name))
    return served


@flow(name="refit-members")
def refit_members(config: TrainConfig, prepared: list[str], plan: rf.RefreshPlan) -> list[FitRef]:
    """The refresh's fits: the champion's members on every window, as the train flow's."""
    epochs: dict[tuple[str, int | None], int | None] = {
        (m.label, m.seed): m.epochs for m in plan.members if m.seed is not None
    }
    return serve(config, prepared, plan.members, epochs, config.resolved_training.target_transform)


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
        check_sweep(prepared, config.resolved_selection.folds or 1)
    runner = task_runner_for(config)
    fits, served, ranking = fit_models.with_options(task_runner=runner)(config, prepared)
    run = publish_run(config, prepared, fits, served, ranking)
    tracked = track_run(config, run, fits)
    registered = register_model(run, tracked)
    promote_champion(config, run, registered)
    return run.dir
