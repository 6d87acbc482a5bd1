"""The features a forecaster builds for gradient boosting, per step, from the target's series
up to each origin: what ``lag-boosting`` learns from (``seqcast.models.references``). Pure.

For each window (origin row ``o`` of the series ``history``) and step ``s`` (target row
``t = o + s``):

- **lags at the origin**: ``history[o - k]`` for ``k = 0 .. season - 1``;
- **seasonal lags of the target**: the value one and two seasons before the target (and,
  for hourly data with its 24-hour season, one week before: 168 rows), moved back by whole
  seasons while that row lies after the origin, so nothing past the origin is read;
- **rolling means at the origin** over the last season and the last seven seasons;
- **the newest inputs**: the window's last row of every feature (weather, flags and the
  origin's calendar, in the fit's units);
- **the target time's calendar and known values** (the step's covariates).

Rows before the series starts are NaN, which histogram boosting handles natively. With a
``difference`` target every level feature is taken relative to the origin's value; with a
``normalize`` target also divided by the window's own spread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WEEK_OF_HOURS = 168


def seasonal_lags(season: int) -> list[int]:
    """Rows back from the target: one and two seasons, and a week for a 24-row season."""
    lags = [season, 2 * season]
    if season == 24:
        lags.append(WEEK_OF_HOURS)
    return lags


def _take(history: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``history[rows]``, NaN where a row falls before the series starts."""
    out = np.full(rows.shape, np.nan)
    ok = rows >= 0
    out[ok] = history[rows[ok]]
    return out


def _rolling_mean(history: np.ndarray, origins: np.ndarray, length: int) -> np.ndarray:
    """The mean of the ``length`` values up to each origin (missing values ignored)."""
    rows = origins[:, None] - np.arange(length)[None, :]  # (samples, length)
    values = _take(history, rows)
    counts = np.isfinite(values).sum(axis=1)
    sums = np.nansum(values, axis=1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def lag_features(
    history: np.ndarray,
    origins: np.ndarray,
    last_inputs: np.ndarray,
    covariates: np.ndarray,
    steps: Sequence[int],
    season: int,
    relative: bool = False,
    spread: np.ndarray | None = None,
) -> list[np.ndarray]:
    """One feature matrix per step, (samples, features) each (see the module docstring).

    ``history``: (rows,) the target in original units; ``origins``: (samples,) rows;
    ``last_inputs``: (samples, features) the window's last row; ``covariates``: (samples,
    steps, covariates); ``relative``: level features minus the origin's value, divided by
    ``spread`` (samples,) when given (a ``normalize`` target)."""
    history = np.asarray(history, dtype=np.float64)
    origins = np.asarray(origins, dtype=np.int64)
    season = max(1, int(season))
    level = history[origins][:, None] if relative else 0.0  # (samples, 1)
    size = 1.0 if spread is None else np.asarray(spread, dtype=np.float64)[:, None]
    own = _take(history, origins[:, None] - np.arange(season)[None, :])  # (samples, season)
    means = np.stack(
        [_rolling_mean(history, origins, season), _rolling_mean(history, origins, 7 * season)],
        axis=1,
    )  # (samples, 2)
    shared = [
        (own - level) / size,
        (means - level) / size,
        np.asarray(last_inputs, dtype=np.float64),
    ]
    out = []
    for j, s in enumerate(steps):
        back = []
        for lag in seasonal_lags(season):
            while lag < s:  # the row lies after the origin: a whole season further back
                lag += season
            back.append(_take(history, origins + s - lag))
        seasonal = (np.stack(back, axis=1) - level) / size  # (samples, lags)
        step_cov = np.asarray(covariates[:, j, :], dtype=np.float64)  # (samples, covariates)
        out.append(np.concatenate([*shared, seasonal, step_cov], axis=1))
    return out
