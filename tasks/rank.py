"""The ranking tasks of the ``train`` flow: check a sweep, shortlist variants for more seeds,
rank every candidate (``seqcast.evaluation.selection.rank_fits``)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from seqcast.config import TrainConfig
from seqcast.evaluation.backtest import fold_names
from seqcast.evaluation.calibration import Grouping, calendar_groups, calibrate, group_name
from seqcast.evaluation.leaderboard import shortlist
from seqcast.evaluation.records import FitRef
from seqcast.evaluation.selection import Ranking, rank_fits
from seqcast.models import catalog
from tasks.windows import scored_times, truth_of


@task(name="check-sweep", task_run_name="check-sweep", cache_policy=NO_CACHE)
def check_sweep(prepared: list[str], folds: int) -> None:
    """Before any fit: the window lengths of a sweep score the same target times."""
    truth_of(prepared, folds)


def _ranking(config: TrainConfig, prepared: list[str], fits: list[FitRef]) -> Ranking:
    sel = config.resolved_selection
    folds = sel.folds or 1
    return rank_fits(
        fits,
        truth_of(prepared, folds),
        fold_names(folds),
        prepared[0],
        len(prepared) > 1,
        config.training.seed,
        sel.ensemble_size or 0,
        catalog.window_free(),
        catalog.outside_ensembles(),
    )


@task(name="shortlist", task_run_name="shortlist", cache_policy=NO_CACHE)
def shortlist_variants(config: TrainConfig, prepared: list[str], fits: list[FitRef]) -> list[str]:
    """The deep variants (labels) that get more seeds: the best on the backtest so far."""
    board = _ranking(config, prepared, fits).board
    return shortlist(board, config.resolved_selection.shortlist or 0)


@task(name="rank-candidates", task_run_name="rank-candidates", cache_policy=NO_CACHE)
def rank_candidates(config: TrainConfig, prepared: list[str], fits: list[FitRef]) -> Ranking:
    """Every candidate on the backtest, validation and test; the champion by the rule; the
    prediction intervals of every candidate from its backtest residuals."""
    ranking = _ranking(config, prepared, fits)
    folds = config.resolved_selection.folds or 1
    spec = config.spec
    frequency = spec.time_index.frequency
    name = group_name(frequency)
    grouping = None
    if name is not None:
        times = scored_times(prepared[0], folds)
        of_fit = {f: calendar_groups(t, frequency) for f, t in times.items()}
        grouping = Grouping(name, of_fit)  # type: ignore[arg-type]
    return calibrate(
        ranking,
        truth_of(prepared, folds),
        fold_names(folds),
        config.interval_levels,
        spec.column(spec.target).min,
        grouping,
    )
