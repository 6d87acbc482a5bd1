"""The ranking tasks of the ``train`` flow: check a sweep, shortlist variants for more seeds,
rank every candidate (``seqcast.evaluation.selection.rank_fits``)."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE

from seqcast.config import TrainConfig
from seqcast.config.folds import Folds
from seqcast.evaluation.backtest import fold_names, shared_truth
from seqcast.evaluation.calibration import calibrate, grouping_of
from seqcast.evaluation.leaderboard import shortlist
from seqcast.evaluation.online import clocks_of
from seqcast.evaluation.records import FitRef
from seqcast.evaluation.selection import Ranking, rank_fits
from seqcast.io.paths import RANKING as RANKING  # the name run-stage and rerun take
from seqcast.models import catalog
from tasks.windows import scored_of, truth_of


@task(name="check-sweep", task_run_name="check-sweep", cache_policy=NO_CACHE)
def check_sweep(prepared: list[str], folds: Folds) -> None:
    """Before any fit: the window lengths of a sweep score the same target times."""
    truth_of(prepared, folds)


def _ranking(
    config: TrainConfig, prepared: list[str], fits: list[FitRef], truth: dict[str, np.ndarray]
) -> Ranking:
    sel = config.resolved_selection
    return rank_fits(
        fits,
        truth,
        fold_names(config.backtest_folds),
        prepared[0],
        len(prepared) > 1,
        config.training.seed,
        sel.ensemble_size or 0,
        catalog.window_free(),
        catalog.outside_ensembles(),
        sel.require_deep,
        config.spec.column(config.spec.target).min,
    )


@task(name="shortlist", task_run_name="shortlist", cache_policy=NO_CACHE)
def shortlist_variants(config: TrainConfig, prepared: list[str], fits: list[FitRef]) -> list[str]:
    """The deep variants (labels) that get more seeds: the best on the backtest so far."""
    truth = truth_of(prepared, config.backtest_folds)
    board = _ranking(config, prepared, fits, truth).board
    return shortlist(board, config.resolved_selection.shortlist or 0)


@task(name="rank-candidates", task_run_name="rank-candidates", cache_policy=NO_CACHE)
def rank_candidates(
    config: TrainConfig, prepared: list[str], fits: list[FitRef], transform: dict | None = None
) -> Ranking:
    """Every candidate on the backtest, validation and test; the champion by the rule; the
    prediction intervals of every candidate from its backtest residuals. ``transform``: the
    target transform chosen on the backtest (``target_transform = "auto"``), recorded."""
    folds = config.backtest_folds
    blocks = scored_of(prepared, folds)  # each prepared dataset's windows read once
    truth = shared_truth(blocks)
    ranking = _ranking(config, prepared, fits, truth)
    spec = config.spec
    first = next(iter(blocks.values()))  # every window length scores the same target times
    times = {f: ws.target_time for f, ws in first.items()}
    if transform is not None:
        ranking = replace(ranking, transform_choice=transform)
    clocks = {f: clocks_of(ws.origin_row, len(ws), ws.steps) for f, ws in first.items()}
    return calibrate(
        ranking,
        truth,
        fold_names(folds),
        config.interval_levels,
        spec.column(spec.target).min,
        grouping_of(spec.time_index.frequency, times),
        clocks,
    )


@task(name="store-ranking", task_run_name="store-ranking", cache_policy=NO_CACHE)
def store_ranking(config: TrainConfig, ranking: Ranking, run_dir: str) -> str:
    """Write a rerun ranking (``ranking.json``: the train run it repeats, champion, reason,
    policy, the transform's choice, the leaderboard and each candidate's members;
    ``ranking.md``) under ``DIR/<dataset>/reruns/ranking/``, atomically, and print it.
    Returns the folder."""
    from seqcast.io import storage
    from seqcast.io.paths import Layout
    from seqcast.report.fit_view import ranking_markdown

    doc = {
        "train_run": Path(run_dir).name,
        "champion": ranking.champion,
        "reason": ranking.reason,
        "policy": ranking.policy,
        "transform_choice": ranking.transform_choice,
        "members": {c: [asdict(m) for m in ms] for c, ms in ranking.members.items()},
        "board": ranking.board,
    }
    text = ranking_markdown(doc)
    print(text)
    final = Layout.of(config.out, config.dataset_name).base / "reruns" / "ranking"
    with storage.staged_dir(final) as tmp:
        storage.write_json(tmp / "ranking.json", doc)
        storage.write_text(tmp / "ranking.md", text)
    return str(final)
