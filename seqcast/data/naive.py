"""The naive references' forecasts, read off the target's own history up to each origin: one
set of functions for the prepared windows (``temporalize``) and the served forecast, so the
two can never disagree. Pure; every array in original units.

``origins``: the row of each window's last observation (its forecast origin) in a series on a
regular index, which starts at row 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def persistence(target: np.ndarray, origins: np.ndarray) -> np.ndarray:
    """The value at each origin: (samples,)."""
    return np.asarray(target, dtype=np.float64)[np.asarray(origins)]


def seasonal_naive(
    target: np.ndarray, origins: np.ndarray, steps: Sequence[int], season: int
) -> np.ndarray:
    """The newest observed value at or before the origin a whole number of seasons before
    each step's target: ``origin + s - season * k`` for the smallest ``k >= ceil(s /
    season)`` whose value is not missing (a long gap a season ago reaches back one more
    season); NaN when every such row is missing or before the series starts.
    Returns (samples, steps)."""
    target = np.asarray(target, dtype=np.float64)
    origins = np.asarray(origins)
    cols = []
    for s in steps:
        rows = origins + s - season * -(-s // season)  # (samples,) the newest candidate rows
        values = _lookup(target, rows)
        while np.isnan(values).any() and (rows >= 0).any():
            rows = rows - season
            values = np.where(np.isnan(values), _lookup(target, rows), values)
        cols.append(values)
    return np.stack(cols, axis=1)


def drift(target: np.ndarray, origins: np.ndarray, steps: Sequence[int]) -> np.ndarray:
    """The random walk with drift: the origin's value plus ``s`` times the mean change per row
    from the series' first observed value to the origin, ``y_t + s (y_t - y_0) / (t - 0)``
    (the origin's value itself where the origin is the first observation). Only rows up to
    the origin are read. Returns (samples, steps)."""
    target = np.asarray(target, dtype=np.float64)
    origins = np.asarray(origins, dtype=np.int64)
    observed = np.flatnonzero(np.isfinite(target))
    if len(observed) == 0:
        return np.full((len(origins), len(steps)), np.nan)
    first = int(observed[0])
    span = origins - first  # (samples,) rows from the first observation to the origin
    last = target[origins]  # (samples,)
    slope = np.where(span > 0, (last - target[first]) / np.maximum(span, 1), 0.0)
    return last[:, None] + slope[:, None] * np.asarray(steps, dtype=np.float64)[None, :]


def _lookup(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]``, NaN where a row falls before the start of the series."""
    out = np.full(len(rows), np.nan)
    ok = rows >= 0
    out[ok] = values[rows[ok]]
    return out
