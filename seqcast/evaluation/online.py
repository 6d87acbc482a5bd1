"""Prediction intervals that adapt as actuals arrive: online quantile tracking of the conformal
offsets (conformal PID control's quantile tracker, Angelopoulos, Candès and Tibshirani 2023;
adaptive conformal inference, Gibbs and Candès 2021, moves the level instead of the offset).
Pure.

Every (level, step, calendar group) cell keeps a lower and an upper offset, starting from the
static conformal offsets (``seqcast.evaluation.intervals``). When the actual of a forecast in
that cell arrives, with ``r = actual - predicted`` and ``tail = (1 - level) / 2``::

    upper += eta * (1[r > upper] - tail)
    lower -= eta * (1[r < lower] - tail)

so a cell that misses more often than its tail widens, one that never misses narrows, and each
side settles where ``tail`` of the residuals fall beyond it. ``eta`` is ``rate`` times the
cell's starting width, so one ``rate`` suits every scale; ``rate`` 0 keeps the static offsets.

**No look-ahead.** A forecast's offsets come only from the actuals known at its origin: a
pair (window ``j``, step ``s``) is known at origin ``i`` when its clock (its target row or
time) is at or before origin ``i``'s clock (its origin row or time). :func:`walk` replays a
stream origin by origin: first every pair that became known, then the offsets of that origin.
The train run scores the test period so (starting from the backtest's offsets), the rate is
chosen on the backtest (each fold's stream starting from the earlier folds' offsets), and the
forecast deployment continues the tracker over the served forecasts already scored.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqcast.evaluation.intervals import Intervals, level_key, level_scores

# the rates a run chooses from on the backtest (0: the static offsets). Up to 0.05 first: every
# bench run (both datasets, 3 seeds) chose 0.05, the top; with 0.1 .. 0.5 the backtest finds its
# optimum inside (bikes 0.2, weekly 0.1: scripts/online_rate_study.py, docs/accuracy.md)
RATES = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


@dataclass
class Tracker:
    """The offsets of every (level, step, group) cell: ``lower[level]`` and ``upper[level]``
    (steps, groups); ``eta[level]`` (steps, groups) the size of one update."""

    levels: tuple[float, ...]
    lower: dict[float, np.ndarray]
    upper: dict[float, np.ndarray]
    eta: dict[float, np.ndarray]

    @classmethod
    def start(cls, intervals: Intervals, groups: int, rate: float) -> Tracker:
        """Every cell at its static offsets (a group without offsets of its own at its step's);
        ``groups``: how many group values there are (0 .. groups - 1; 1 without groups)."""
        lower, upper, eta = {}, {}, {}
        for level in intervals.levels:
            lo = np.repeat(np.asarray(intervals.lower[level], np.float64)[:, None], groups, 1)
            hi = np.repeat(np.asarray(intervals.upper[level], np.float64)[:, None], groups, 1)
            for step, cells in enumerate(intervals.by_group.get(level, [])):
                for g, (glo, ghi) in cells.items():
                    if 0 <= g < groups:
                        lo[step, g], hi[step, g] = glo, ghi
            lower[level], upper[level] = lo, hi  # (steps, groups)
            eta[level] = rate * np.maximum(hi - lo, 0.0)
        return cls(tuple(intervals.levels), lower, upper, eta)

    def offsets(self, step: np.ndarray, group: np.ndarray) -> dict[float, tuple]:
        """The offsets of the cells at ``step`` and ``group`` (equal-shaped int arrays)."""
        return {
            lv: (self.lower[lv][step, group], self.upper[lv][step, group]) for lv in self.levels
        }

    def update(self, step: np.ndarray, group: np.ndarray, residual: np.ndarray) -> None:
        """One batch of arrived actuals (1-D arrays): every cell moved from its offsets
        before the batch (a cell hit twice in one batch takes both moves)."""
        for level in self.levels:
            tail = (1.0 - level) / 2.0
            lo, hi = self.lower[level], self.upper[level]
            eta = self.eta[level][step, group]
            above = (residual > hi[step, group]).astype(np.float64)
            below = (residual < lo[step, group]).astype(np.float64)
            np.add.at(hi, (step, group), eta * (above - tail))
            np.add.at(lo, (step, group), -eta * (below - tail))


def _pairs(known_clock: np.ndarray, residual: np.ndarray, groups: np.ndarray | None):
    """Every pair with an actual, in clock order (stable): clock, step, group, residual."""
    n, steps = residual.shape
    g = np.zeros((n, steps), np.int64) if groups is None else np.asarray(groups, np.int64)
    step = np.broadcast_to(np.arange(steps), (n, steps))
    known = np.asarray(known_clock).reshape(n, steps)
    has = np.isfinite(residual).reshape(-1)  # pairs with an actual
    order = np.argsort(known.reshape(-1)[has], kind="stable")

    def flat(a: np.ndarray) -> np.ndarray:
        return a.reshape(-1)[has][order]

    return flat(known), flat(step), flat(g), flat(residual), step, g


def walk(
    tracker: Tracker,
    origin_clock: np.ndarray,
    known_clock: np.ndarray,
    residual: np.ndarray,
    groups: np.ndarray | None = None,
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """The offsets each origin is served with, origin by origin (see the module docstring).

    ``origin_clock`` (n,): each origin's clock, non-decreasing; ``known_clock`` (n, steps):
    when each pair's actual is known (its target's clock); ``residual`` (n, steps): actual -
    predicted (NaN: no actual, never learnt from); ``groups`` (n, steps) ints or None.
    Returns ``{level: (lower, upper)}`` offsets, each (n, steps). The tracker is left at
    the state after every pair known by the last origin."""
    n, steps = residual.shape
    clock, p_step, p_group, p_res, step, g = _pairs(known_clock, residual, groups)
    cut = np.searchsorted(clock, np.asarray(origin_clock), side="right")  # (n,)
    out = {lv: (np.empty((n, steps)), np.empty((n, steps))) for lv in tracker.levels}
    done = 0
    for i in range(n):
        if cut[i] > done:  # the pairs that became known by origin i
            _learn(tracker, p_step, p_group, p_res, clock, done, int(cut[i]))
            done = int(cut[i])
        for level, (lo, hi) in tracker.offsets(step[i], g[i]).items():
            out[level][0][i], out[level][1][i] = lo, hi
    return out


def _learn(tracker: Tracker, step, group, res, clock, start: int, stop: int) -> None:
    """Learn pairs ``start .. stop`` (clock order), one batch per clock value, in order."""
    bounds = np.flatnonzero(np.diff(clock[start:stop])) + 1 + start
    edges = [start, *bounds.tolist(), stop]
    for a, b in itertools.pairwise(edges):
        tracker.update(step[a:b], group[a:b], res[a:b])


def catch_up(
    tracker: Tracker,
    clock: np.ndarray,
    step: np.ndarray,
    group: np.ndarray | None,
    residual: np.ndarray,
) -> Tracker:
    """The tracker after learning every pair given, in clock order (1-D arrays: when each
    actual arrived, its step's index, its group or None, actual - predicted; NaN residuals
    skipped): what a forecast run does with the served forecasts already scored before it
    serves the next origin."""
    clock, step, res = np.asarray(clock), np.asarray(step, np.int64), np.asarray(residual, float)
    g = np.zeros(len(step), np.int64) if group is None else np.asarray(group, np.int64)
    has = np.isfinite(res)
    order = np.argsort(clock[has], kind="stable")
    clock, step, g, res = clock[has][order], step[has][order], g[has][order], res[has][order]
    _learn(tracker, step, g, res, clock, 0, len(clock))
    return tracker


def clocks_of(origin_row: np.ndarray | None, n: int, steps: Sequence[int]):
    """A block's clocks in rows: each origin's row (its ``origin_row``; positions when the
    windows carry none) and each pair's target row (origin row + step): (n,), (n, steps)."""
    rows = np.arange(n) if origin_row is None else np.asarray(origin_row, np.int64)
    return rows, rows[:, None] + np.asarray(steps, np.int64)[None, :]


def group_count(*groups: np.ndarray | None) -> int:
    """How many group values the cells need (1 without groups)."""
    found = [int(np.max(g)) + 1 for g in groups if g is not None and np.size(g)]
    return max(found, default=1)


def bounds_of(
    predicted: np.ndarray, offsets: dict[float, tuple[np.ndarray, np.ndarray]], minimum
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Bounds around ``predicted`` (n, steps) from per-origin offsets, raised to ``minimum``."""
    out = {}
    for level, (lo, hi) in offsets.items():
        lower, upper = predicted + lo, predicted + hi
        if minimum is not None:
            lower, upper = np.maximum(lower, minimum), np.maximum(upper, minimum)
        out[level] = (lower, upper)
    return out


def stream_scores(
    actual: np.ndarray,
    predicted: np.ndarray,
    start: Intervals,
    rate: float,
    origin_clock: np.ndarray,
    known_clock: np.ndarray,
    groups: np.ndarray | None,
) -> dict:
    """A block scored as serving would run it: each origin's intervals from ``start`` adapted
    on the actuals known at that origin. Per level (``"80"``): coverage (mean, per step,
    per group), mean width and interval score, as :func:`intervals.interval_scores` gives them."""
    a = np.asarray(actual, np.float64).reshape(len(actual), -1)
    pred = np.asarray(predicted, np.float64).reshape(a.shape)
    tracker = Tracker.start(start, group_count(groups), rate)
    offsets = walk(tracker, origin_clock, known_clock, a - pred, groups)
    return {
        level_key(level): level_scores(a, lo, hi, level, groups)
        for level, (lo, hi) in bounds_of(pred, offsets, start.minimum).items()
    }


def mean_winkler(scores: Sequence[dict], levels: Sequence[float]) -> float:
    """The interval score averaged over levels and over blocks (streams)."""
    return float(np.mean([[s[level_key(lv)]["winkler"] for lv in levels] for s in scores]))
