"""Synthetic raw rows for any dataset spec: the file a spec describes, on its own grid.

Each number column follows a seasonal cycle of the spec's seasonal period plus persistent
(AR(1)) noise, inside the column's declared range and rounded where it must be whole; category
columns cycle through their allowed values. Used by the contract test that runs every shipped
spec through the pipeline, and handy for trying a new spec before the real file exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seqcast.spec.dataset import DatasetSpec
from seqcast.spec.timeindex import steps_of_times, times_of

START = pd.Timestamp("2020-01-06")  # a Monday, so every weekly anchor starts near it


def rows_from_spec(spec: DatasetSpec, periods: int, seed: int = 0) -> pd.DataFrame:
    """``periods`` consecutive raw rows in the spec's columns and formats."""
    rng = np.random.default_rng(seed)
    ti = spec.time_index
    if ti.kind == "year-week":
        first = 2015 * ti.weeks_per_year
    else:
        first = int(steps_of_times(pd.DatetimeIndex([START]), ti)[0][0])
    steps = np.arange(first, first + periods, dtype=np.int64)
    times = times_of(steps, ti)
    phase = 2 * np.pi * (steps % spec.seasonal_period) / spec.seasonal_period
    out: dict[str, object] = {}
    for i, col in enumerate(spec.columns):
        if col.name in ti.columns:
            continue
        if col.kind in ("int", "float"):
            lo = col.min if col.min is not None else 0.0
            hi = col.max if col.max is not None else lo + 100.0
            mid, amp = (lo + hi) / 2, (hi - lo) / 4
            noise = np.zeros(periods)
            shocks = rng.normal(0, 0.3, periods)
            for t in range(1, periods):
                noise[t] = 0.6 * noise[t - 1] + shocks[t]
            values = np.clip(mid + amp * (np.sin(phase + i) + 0.3 * noise), lo, hi)
            out[col.name] = np.round(values) if col.integral else np.round(values, 3)
        elif col.kind == "category":
            choices = list(col.allowed) or ["a", "b"]
            out[col.name] = [choices[j % len(choices)] for j in rng.integers(0, 7, periods)]
    return pd.DataFrame({**_time_columns(spec, steps, times), **out})


def _time_columns(spec: DatasetSpec, steps: np.ndarray, times: pd.DatetimeIndex) -> dict:
    ti = spec.time_index
    if ti.kind == "year-week":
        years, weeks0 = np.divmod(steps, ti.weeks_per_year)
        return {ti.columns[0]: years, ti.columns[1]: weeks0 + 1}
    if ti.kind == "date-hour":
        return {
            ti.columns[0]: times.strftime(ti.format or "%Y-%m-%d"),
            ti.columns[1]: times.hour,
        }
    if ti.format:
        fmt = ti.format
    elif ti.frequency == "hourly" or ti.frequency.endswith("min"):
        fmt = "%Y-%m-%d %H:%M:%S"
    else:
        fmt = "%Y-%m-%d"
    return {ti.columns[0]: times.strftime(fmt)}
