"""Conformal prediction intervals from backtest residuals, and the scores of intervals. Pure.

Split conformal, per forecast step: the residuals ``actual - predicted`` of a candidate on the
backtest, (samples, steps), give for each step and level the lower and upper offsets added to
a point forecast. The offsets are quantiles of the signed residuals (so a skewed error, as of
counts near zero, gives an asymmetric interval), at the finite-sample level that guarantees at
least the nominal coverage for exchangeable errors. Intervals can be **conditioned on a group**
(for hourly data the hour of day of the target time): each (step, group) with enough residuals
gets its own offsets, the others fall back to the step's. A spec's ``min`` bounds every lower
bound (counts are never negative).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

DEFAULT_LEVELS = (0.8, 0.95)
MIN_GROUP_RESIDUALS = 30  # fewer in a (step, group) cell: that cell uses the step's offsets


def conformal_quantile(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` with the split-conformal finite-sample correction: the
    ``ceil(q * (n + 1))``-th smallest of the n values (the largest when that exceeds n), so a
    new exchangeable value falls at or below it with probability at least ``q``."""
    v = np.sort(np.asarray(values, dtype=np.float64).reshape(-1))
    if len(v) == 0:
        raise ValueError("no residuals to take a quantile of")
    k = min(math.ceil(q * (len(v) + 1)), len(v))
    return float(v[max(k, 1) - 1])


def _offsets(residuals: np.ndarray, level: float) -> tuple[float, float]:
    """(lower, upper) offsets of a central ``level`` interval from signed residuals: the lower
    tail's quantile is taken on the negated residuals so both tails get the correction."""
    tail = (1.0 - level) / 2.0
    lower = -conformal_quantile(-residuals, 1.0 - tail)
    upper = conformal_quantile(residuals, 1.0 - tail)
    return lower, upper


@dataclass(frozen=True)
class Intervals:
    """Offsets per level and step, and per (level, step, group) where a group had enough
    residuals. ``lower[level]``, ``upper[level]``: (steps,); ``by_group[level][step][g]``:
    (lower, upper)."""

    levels: tuple[float, ...]
    lower: dict[float, np.ndarray]
    upper: dict[float, np.ndarray]
    by_group: dict[float, list[dict[int, tuple[float, float]]]] = field(default_factory=dict)
    minimum: float | None = None

    def to_dict(self) -> dict:
        """JSON form (the champion bundle's ``intervals``), read back by :meth:`from_dict`."""
        return {
            "levels": list(self.levels),
            "minimum": self.minimum,
            "offsets": {
                str(level): {
                    "lower": self.lower[level].tolist(),
                    "upper": self.upper[level].tolist(),
                    "by_group": [
                        {str(g): list(v) for g, v in cells.items()}
                        for cells in self.by_group.get(level, [])
                    ],
                }
                for level in self.levels
            },
        }

    @classmethod
    def from_dict(cls, doc: dict) -> Intervals:
        levels = tuple(float(v) for v in doc["levels"])
        offsets = {float(k): v for k, v in doc["offsets"].items()}
        return cls(
            levels,
            {lv: np.asarray(offsets[lv]["lower"], np.float64) for lv in levels},
            {lv: np.asarray(offsets[lv]["upper"], np.float64) for lv in levels},
            {
                lv: [{int(g): (v[0], v[1]) for g, v in c.items()} for c in offsets[lv]["by_group"]]
                for lv in levels
                if offsets[lv]["by_group"]
            },
            doc.get("minimum"),
        )

    def bounds(
        self, predicted: np.ndarray, groups: np.ndarray | None = None
    ) -> dict[float, tuple[np.ndarray, np.ndarray]]:
        """``{level: (lower, upper)}`` around ``predicted`` (samples, steps), each
        (samples, steps); ``groups`` (samples, steps) picks each cell's group offsets."""
        pred = np.asarray(predicted, dtype=np.float64)
        out = {}
        for level in self.levels:
            lo = np.broadcast_to(self.lower[level], pred.shape).copy()  # (samples, steps)
            hi = np.broadcast_to(self.upper[level], pred.shape).copy()
            if groups is not None and self.by_group.get(level):
                g = np.asarray(groups)
                for step, cells in enumerate(self.by_group[level]):
                    for group, (glo, ghi) in cells.items():
                        hit = g[:, step] == group
                        lo[hit, step], hi[hit, step] = glo, ghi
            lower, upper = pred + lo, pred + hi
            if self.minimum is not None:
                lower = np.maximum(lower, self.minimum)
                upper = np.maximum(upper, self.minimum)
            out[level] = (lower, upper)
        return out


def fit_intervals(
    residuals: np.ndarray,
    levels: Sequence[float] = DEFAULT_LEVELS,
    groups: np.ndarray | None = None,
    minimum: float | None = None,
    min_group: int = MIN_GROUP_RESIDUALS,
) -> Intervals:
    """Offsets from backtest ``residuals`` (samples, steps) = actual - predicted. With
    ``groups`` (samples, steps) of ints (e.g. the target time's hour of day), every (step,
    group) holding at least ``min_group`` residuals gets offsets of its own."""
    res = np.asarray(residuals, dtype=np.float64)
    if res.ndim == 1:
        res = res[:, None]  # one step: (samples,) -> (samples, 1)
    if not all(0.0 < level < 1.0 for level in levels):
        raise ValueError(f"interval levels must lie strictly between 0 and 1, got {levels}")
    steps = res.shape[1]
    lower: dict[float, np.ndarray] = {}
    upper: dict[float, np.ndarray] = {}
    by_group: dict[float, list[dict[int, tuple[float, float]]]] = {}
    for level in levels:
        pairs = [_offsets(res[:, s], level) for s in range(steps)]
        lower[level] = np.array([p[0] for p in pairs])
        upper[level] = np.array([p[1] for p in pairs])
        if groups is not None:
            g = np.asarray(groups)
            by_group[level] = [
                {
                    int(v): _offsets(res[g[:, s] == v, s], level)
                    for v in np.unique(g[:, s])
                    if np.sum(g[:, s] == v) >= min_group
                }
                for s in range(steps)
            ]
    return Intervals(tuple(levels), lower, upper, by_group, minimum)


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Share of actuals inside [lower, upper], per step: (samples, steps) -> (steps,)."""
    a = np.asarray(actual, dtype=np.float64)
    inside = (a >= lower) & (a <= upper)
    return inside.reshape(len(a), -1).mean(axis=0)


def mean_width(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Mean interval width per step: (samples, steps) -> (steps,)."""
    width = np.asarray(upper, dtype=np.float64) - np.asarray(lower, dtype=np.float64)
    return width.reshape(len(width), -1).mean(axis=0)


def interval_score(
    actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float
) -> np.ndarray:
    """The interval (Winkler) score of a central ``level`` interval, mean per step (lower is
    better): its width, plus ``2 / alpha`` times how far each actual falls outside it
    (alpha = 1 - level; Gneiting and Raftery, 2007)."""
    a = np.asarray(actual, dtype=np.float64)
    alpha = 1.0 - level
    below = np.clip(lower - a, 0.0, None)
    above = np.clip(a - upper, 0.0, None)
    score = (upper - lower) + (2.0 / alpha) * (below + above)
    return score.reshape(len(a), -1).mean(axis=0)


def pinball_loss(actual: np.ndarray, quantile: np.ndarray, q: float) -> np.ndarray:
    """The pinball (quantile) loss of a ``q`` quantile forecast, mean per step."""
    diff = np.asarray(actual, dtype=np.float64) - np.asarray(quantile, dtype=np.float64)
    loss = np.maximum(q * diff, (q - 1.0) * diff)
    return loss.reshape(len(diff), -1).mean(axis=0)


def level_scores(
    actual: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    level: float,
    groups: np.ndarray | None = None,
) -> dict:
    """How one level's bounds did on ``actual`` (all (samples, steps)): the coverage (mean and
    per step), the mean width, the interval (Winkler) score and, with ``groups``, the
    coverage per group."""
    cov = coverage(actual, lower, upper)
    entry = {
        "coverage": float(cov.mean()),
        "coverage_by_step": cov.tolist(),
        "width": float(mean_width(lower, upper).mean()),
        "winkler": float(interval_score(actual, lower, upper, level).mean()),
    }
    if groups is not None:
        inside = (actual >= lower) & (actual <= upper)
        g = np.asarray(groups)
        entry["coverage_by_group"] = {
            str(int(v)): float(inside[g == v].mean()) for v in np.unique(g)
        }
    return entry


def interval_scores(
    actual: np.ndarray,
    predicted: np.ndarray,
    intervals: Intervals,
    groups: np.ndarray | None = None,
) -> dict:
    """How the intervals around ``predicted`` did on ``actual`` (both (samples, steps)): per
    level (``"80"``, ``"95"``) the coverage (mean over steps and per step), the mean width and
    the interval (Winkler) score; for the first level with ``groups``, the coverage per group;
    and ``pinball``, the mean pinball loss over every quantile the intervals give, with the
    point forecast as the median (80 % and 95 %: 0.025, 0.1, 0.5, 0.9, 0.975): a proper score
    for the whole quantile set (lower is better)."""
    a = np.asarray(actual, dtype=np.float64)
    a = a.reshape(len(a), -1)
    pred = np.asarray(predicted, dtype=np.float64).reshape(a.shape)
    bounds = intervals.bounds(pred, groups)
    out: dict = {}
    quantiles: dict[float, np.ndarray] = {0.5: pred}
    for i, (level, (lo, hi)) in enumerate(bounds.items()):
        out[level_key(level)] = level_scores(a, lo, hi, level, groups if i == 0 else None)
        tail = (1.0 - level) / 2.0
        quantiles[tail], quantiles[1.0 - tail] = lo, hi
    out["pinball"] = float(
        np.mean([pinball_loss(a, quantiles[q], q).mean() for q in sorted(quantiles)])
    )
    return out


def level_key(level: float) -> str:
    """A level as reports and columns name it: 0.8 -> ``"80"``, 0.975 -> ``"97.5"``."""
    return f"{100 * level:g}"
