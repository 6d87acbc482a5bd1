"""Time indexes: raw key columns <-> a regular integer ``step`` <-> timestamps, and calendars.

One step is one period of the spec's frequency, counted from 1970-01-01:

- ``<N>min``: N minutes; ``hourly``: hours; ``daily``: days;
- ``weekly`` / ``weekly-<day>``: weeks starting on that day (``weekly``: Monday);
- ``monthly``: months (a row may carry any day of its month; its time is the month's start);
  ``quarterly`` and ``yearly`` likewise, in 3 and 12 months from January;
- a ``year-week`` index: ``weeks_per_year`` weeks every year, week ``w`` of year ``y`` starts
  on 1 January + 7 (w - 1) days and ``step = weeks_per_year * y + (w - 1)``.

A row whose time is not on the frequency's grid (an hourly row at 10:30, a weekly row on the
wrong weekday) is a failed check, reported with its file line like any other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seqcast.errors import DataError, Problem
from seqcast.spec.dataset import DatasetSpec, TimeIndexSpec, calendar_names, step_unit

_EPOCH = pd.Timestamp("1970-01-01")  # a Thursday
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NS_PER_MIN = 60 * 10**9


def _week_offset(ti: TimeIndexSpec) -> int:
    """Days from 1970-01-01 to the first week start on or after it."""
    day = ti.frequency.partition("-")[2] or "mon"
    return (_DAYS.index(day) - 3) % 7


def _parse(values: pd.Series, fmt: str | None) -> pd.Series:
    text = values.astype("string").str.strip()
    if fmt:
        return pd.to_datetime(text, format=fmt, errors="coerce")
    return pd.to_datetime(text, format="ISO8601", errors="coerce")


def _fail(
    spec: DatasetSpec, column: str, check: str, frame: pd.DataFrame, bad: np.ndarray, cols, source
):
    rows = np.flatnonzero(bad)
    examples = [
        f"line {r + 2}: " + ", ".join(f"{c}={frame[c].iloc[r]!r}" for c in cols) for r in rows[:5]
    ]
    ti = spec.time_index
    declared = f"the dataset spec {spec.name!r} declares time_index.frequency = {ti.frequency!r}"
    if ti.format:
        declared += f" and time_index.format = {ti.format!r}"
    raise DataError(source, "clean", [Problem(column, check, len(rows), examples)], hint=declared)


def year_week_steps(frame: pd.DataFrame, ti: TimeIndexSpec) -> np.ndarray:
    """Integer step of every row of a ``year-week`` file: ``year * weeks_per_year + week - 1``."""
    year, week = (frame[c].astype(np.int64) for c in ti.columns)
    return (year * ti.weeks_per_year + week - 1).to_numpy(np.int64)


def steps_from_raw(frame: pd.DataFrame, spec: DatasetSpec, source: str) -> np.ndarray:
    """Integer step of every raw row. Raises DataError naming the file lines whose time does
    not parse, lies off the frequency's grid, or repeats another row's step."""
    ti = spec.time_index
    cols = list(ti.columns)
    if ti.kind == "year-week":
        steps = year_week_steps(frame, ti)
    else:
        times = _parse(frame[cols[0]], ti.format)
        bad = times.isna().to_numpy()
        if bad.any():
            fmt = ti.format or "ISO 8601"
            _fail(spec, cols[0], f"not a date/time in {fmt}", frame, bad, cols[:1], source)
        if ti.kind == "date-hour":
            if (times != times.dt.normalize()).any():
                bad = (times != times.dt.normalize()).to_numpy()
                _fail(spec, cols[0], "a date with a time of day", frame, bad, cols[:1], source)
            times = times + pd.to_timedelta(frame[cols[1]].astype(np.int64), unit="h")
        steps, off = steps_of_times(pd.DatetimeIndex(times), ti)
        if off.any():
            _fail(spec, cols[0], f"off the {ti.frequency} grid", frame, off, cols, source)
    dup = pd.Series(steps).duplicated(keep=False).to_numpy()
    if dup.any():
        _fail(
            spec, "+".join(cols), f"two rows in one {ti.frequency} period", frame, dup, cols, source
        )
    return steps


def steps_of_times(times: pd.DatetimeIndex, ti: TimeIndexSpec) -> tuple[np.ndarray, np.ndarray]:
    """(step of each time, whether it is off the grid)."""
    base, size = step_unit(ti)
    if base == "month":
        months = ((times.year - 1970) * 12 + times.month - 1).to_numpy(np.int64)
        return months // size, np.asarray(times != times.normalize())
    ns = (times - _EPOCH).to_numpy().astype("timedelta64[ns]").astype(np.int64)
    if base == "min":
        per, offset = size * _NS_PER_MIN, 0
    elif base == "day":
        per, offset = 24 * 60 * _NS_PER_MIN, 0
    else:
        per, offset = 7 * 24 * 60 * _NS_PER_MIN, _week_offset(ti) * 24 * 60 * _NS_PER_MIN
    steps, rest = np.divmod(ns - offset, per)
    return steps.astype(np.int64), rest != 0


def times_of(steps: np.ndarray, ti: TimeIndexSpec) -> pd.DatetimeIndex:
    """Timestamp of each step (the start of its period)."""
    steps = np.asarray(steps, dtype=np.int64)
    if ti.kind == "year-week":
        years, weeks0 = np.divmod(steps, ti.weeks_per_year)
        jan1 = pd.to_datetime({"year": years, "month": 1, "day": 1})
        return pd.DatetimeIndex(jan1 + pd.to_timedelta(7 * weeks0, unit="D"))
    base, size = step_unit(ti)
    if base == "month":
        years, months0 = np.divmod(steps * size, 12)
        return pd.DatetimeIndex(
            pd.to_datetime({"year": years + 1970, "month": months0 + 1, "day": 1})
        )
    if base == "min":
        return pd.DatetimeIndex(_EPOCH + pd.to_timedelta(steps * size, unit="min"))
    if base == "day":
        return pd.DatetimeIndex(_EPOCH + pd.to_timedelta(steps, unit="D"))
    return pd.DatetimeIndex(_EPOCH + pd.to_timedelta(steps * 7 + _week_offset(ti), unit="D"))


def period_label(step: int, ti: TimeIndexSpec) -> str:
    """A period as a person names it, at the data's frequency: ``2019 week 1, starting
    2019-01-01`` (year-week), ``week starting 2019-01-07`` (weekly), ``2019-01`` (monthly),
    ``2019 Q3`` (quarterly), ``2019`` (yearly), ``2019-01-07`` (daily), ``2019-01-07 13:00``
    (hourly and finer)."""
    time = times_of(np.array([step]), ti)[0]
    if ti.kind == "year-week":
        year, week0 = divmod(int(step), ti.weeks_per_year)
        return f"{year} week {week0 + 1}, starting {time:%Y-%m-%d}"
    base, size = step_unit(ti)
    if base == "month":
        return {3: f"{time.year} Q{(time.month - 1) // 3 + 1}", 12: f"{time.year}"}.get(
            size, f"{time:%Y-%m}"
        )
    if base == "week":
        return f"week starting {time:%Y-%m-%d}"
    if base == "day":
        return f"{time:%Y-%m-%d}"
    return f"{time:%Y-%m-%d %H:%M}"


def _phases(steps: np.ndarray, ti: TimeIndexSpec) -> dict[str, np.ndarray]:
    """Where in its cycle each step lies, 0..1, for every meaningful calendar."""
    if ti.kind == "year-week":
        return {"week": (steps % ti.weeks_per_year) / ti.weeks_per_year}
    times = times_of(steps, ti)
    doy = (times.dayofyear.to_numpy() - 1) / 365.25
    return {
        "hour": (times.hour.to_numpy() + times.minute.to_numpy() / 60.0) / 24.0,
        "dow": times.dayofweek.to_numpy() / 7.0,
        "doy": doy,
        "week": doy,
        "month": (times.month.to_numpy() - 1) / 12.0,
        "quarter": ((times.month.to_numpy() - 1) // 3) / 4.0,
    }


def calendar(steps: np.ndarray, ti: TimeIndexSpec, names: tuple[str, ...] | list[str]) -> dict:
    """Cyclic calendar features of each step, by name (``week_sin``, ``hour_cos``, ...; a
    trailing 2 or 3 is that harmonic: ``week_cos2`` is ``cos(2 * 2 pi * phase)``)."""
    steps = np.asarray(steps, dtype=np.int64)
    possible = calendar_names(ti, harmonics=True)
    unknown = [n for n in names if n not in possible]
    if unknown:
        raise ValueError(f"calendar features {unknown} not meaningful here; choose from {possible}")
    phases = _phases(steps, ti) if names else {}
    out = {}
    for name in names:
        base, fn = name.rsplit("_", 1)
        order = int(fn[3:] or 1)
        angle = 2 * np.pi * order * phases[base]
        out[name] = np.sin(angle) if fn.startswith("sin") else np.cos(angle)
    return out
