"""Time indexes: raw key columns <-> a regular integer ``step`` <-> timestamps, and calendars.

``year-week``: 53 weeks every year as in the real file; week ``w`` of year ``y`` starts on
1 January + 7 (w - 1) days, and ``step = 53 y + (w - 1)``.
``date-hour``: ``Date`` dd/mm/yyyy plus ``Hour``; ``step`` = hours since 1970-01-01.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seqcast.config import DatasetSpec, TimeIndexKind
from seqcast.errors import DataError, Problem

WEEKS_PER_YEAR = 53
_EPOCH = pd.Timestamp("1970-01-01")


def steps_from_raw(frame: pd.DataFrame, spec: DatasetSpec, source: str) -> np.ndarray:
    """Integer step of every raw row. Raises DataError naming rows with unparseable dates."""
    if spec.time_index == "year-week":
        return (frame["year"].astype(np.int64) * WEEKS_PER_YEAR + frame["week"] - 1).to_numpy(
            np.int64
        )
    dates = pd.to_datetime(frame["Date"], format="%d/%m/%Y", errors="coerce")
    bad = dates.isna()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        examples = [f"line {r + 2}: value {frame['Date'].iloc[r]!r}" for r in rows[:5]]
        raise DataError(
            source, "clean", [Problem("Date", "not a dd/mm/yyyy date", len(rows), examples)]
        )
    times = dates + pd.to_timedelta(frame["Hour"].astype(np.int64), unit="h")
    return ((times - _EPOCH) // pd.Timedelta(hours=1)).to_numpy(np.int64)


def times_of(steps: np.ndarray, kind: TimeIndexKind) -> pd.DatetimeIndex:
    """Timestamp of each step (the week's start date, or the hour)."""
    steps = np.asarray(steps, dtype=np.int64)
    if kind == "year-week":
        years, weeks0 = np.divmod(steps, WEEKS_PER_YEAR)
        jan1 = pd.to_datetime({"year": years, "month": 1, "day": 1})
        return pd.DatetimeIndex(jan1 + pd.to_timedelta(7 * weeks0, unit="D"))
    return pd.DatetimeIndex(_EPOCH + pd.to_timedelta(steps, unit="h"))


def calendar(steps: np.ndarray, kind: TimeIndexKind, names: tuple[str, ...] | list[str]) -> dict:
    """Cyclic calendar features of each step, by name (``week_sin``, ``hour_cos``, ...)."""
    steps = np.asarray(steps, dtype=np.int64)
    phases: dict[str, np.ndarray] = {}
    if kind == "year-week":
        phases["week"] = (steps % WEEKS_PER_YEAR) / WEEKS_PER_YEAR
    else:
        times = times_of(steps, kind)
        phases["hour"] = times.hour.to_numpy() / 24.0
        phases["dow"] = times.dayofweek.to_numpy() / 7.0
    out = {}
    for name in names:
        base, fn = name.rsplit("_", 1)
        if base not in phases or fn not in ("sin", "cos"):
            raise ValueError(f"unknown calendar feature {name!r} for a {kind} index")
        angle = 2 * np.pi * phases[base]
        out[name] = np.sin(angle) if fn == "sin" else np.cos(angle)
    return out
