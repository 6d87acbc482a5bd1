"""Draft a dataset spec from a CSV (``seqcast init-spec``): pure, from the frame to TOML text.

Detects the time column(s) (one date/time column, a date plus an hour column, or a year plus
a week column) and the date format, the frequency from the spacing of the rows, each column's
kind, range (with a margin) and categories, the longest gap, and a seasonal period from the
frequency. What it cannot decide is listed for the user, and written as comments in the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqcast.spec import NAME_PATTERN, TimeIndexSpec
from seqcast.timeindex import calendar_names, steps_of_times

DATE_FORMATS = ("ISO8601", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y")
MAX_CATEGORIES = 20
SEASON = {"hourly": 24, "daily": 7, "weekly": 52, "monthly": 12}
WINDOW = {"hourly": 24, "daily": 14, "weekly": 8, "monthly": 12}


@dataclass
class Draft:
    text: str  # the spec file, commented
    undecided: list[str] = field(default_factory=list)  # what the user must check
    notes: list[str] = field(default_factory=list)  # what was detected


def _parses(values: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(values.astype("string").str.strip(), format=fmt, errors="coerce")


def _date_format(values: pd.Series) -> tuple[str | None, list[str]]:
    """The first format every value parses in, and the other formats that fit as well."""
    fits = [f for f in DATE_FORMATS if _parses(values, f).notna().all()]
    return (fits[0], fits[1:]) if fits else (None, [])


def _time_index(frame: pd.DataFrame, undecided: list[str]) -> tuple[dict, pd.DatetimeIndex]:
    """The time index as spec fields, and every row's timestamp."""
    lower = {c.lower(): c for c in frame.columns}
    text_cols = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if {"year", "week"} <= set(lower):
        y, w = lower["year"], lower["week"]
        ti: dict[str, object] = {"kind": "year-week", "columns": [y, w], "frequency": "weekly"}
        wpy = 53 if frame[w].max() == 53 else 52
        ti["weeks_per_year"] = wpy
        jan1 = pd.to_datetime({"year": frame[y], "month": 1, "day": 1})
        return ti, pd.DatetimeIndex(jan1 + pd.to_timedelta(7 * (frame[w] - 1), unit="D"))
    for col in text_cols:
        fmt, others = _date_format(frame[col])
        if fmt is None:
            continue
        times = pd.DatetimeIndex(_parses(frame[col], fmt))
        if others:
            undecided.append(
                f"time_index.format: {col!r} reads as {fmt} but also as {', '.join(others)}; "
                "check which one the file uses"
            )
        spec_fmt = None if fmt == "ISO8601" else fmt
        hour = next((lower[h] for h in ("hour", "hr", "hh") if h in lower), None)
        midnight = bool((times == times.normalize()).all())
        if midnight and hour is not None and frame[hour].between(0, 23).all():
            ti = {"kind": "date-hour", "columns": [col, hour], "frequency": "hourly"}
            if spec_fmt:
                ti["format"] = spec_fmt
            return ti, times + pd.to_timedelta(frame[hour].astype(np.int64), unit="h")
        ti = {"kind": "datetime", "columns": [col], "frequency": _frequency(times)}
        if spec_fmt:
            ti["format"] = spec_fmt
        return ti, times
    raise ValueError(
        "no time column found: expected a date/time column (ISO 8601 or dd/mm/yyyy, ...), "
        "a date plus an hour column, or year and week columns"
    )


def _frequency(times: pd.DatetimeIndex) -> str:
    diffs = pd.Series(times.unique()).sort_values().diff().dropna() / pd.Timedelta(minutes=1)
    step = round(float(diffs.median())) if len(diffs) else 60 * 24
    if step == 60:
        return "hourly"
    if step < 60 * 24 and 60 * 24 % step == 0:
        return f"{step}min"
    if step == 60 * 24:
        return "daily"
    if step == 7 * 60 * 24:
        return "weekly-" + times[0].day_name()[:3].lower()
    if 28 * 60 * 24 <= step <= 31 * 60 * 24:
        return "monthly"
    raise ValueError(f"rows are {step} minutes apart: not a frequency seqcast knows")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63] or "my-dataset"
    return slug if re.match(NAME_PATTERN, slug) else "my-dataset"


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


def draft_spec(
    frame: pd.DataFrame, name: str, target: str | None = None, horizon: int = 1
) -> Draft:
    """A commented spec for ``frame`` (the CSV as read, every column as it came)."""
    undecided: list[str] = []
    notes: list[str] = []
    ti, times = _time_index(frame, undecided)
    base = ti["frequency"].split("-")[0]
    freq = ti["frequency"]
    minutes = int(freq[:-3]) if freq.endswith("min") else None
    season = SEASON.get(base) or (24 * 60 // minutes if minutes else 1)
    window = WINDOW.get(base) or season
    ti_spec = TimeIndexSpec(**ti)
    steps, _ = steps_of_times(times, ti_spec)
    present = np.unique(steps)
    missing_runs = np.diff(present) - 1
    longest = int(missing_runs.max()) if len(missing_runs) else 0
    notes.append(
        f"time index: {ti['kind']} on {', '.join(ti['columns'])}, {freq}; "
        f"{int(missing_runs.sum())} missing period(s), the longest gap {longest} period(s)"
    )

    columns: list[dict] = []
    numeric: list[str] = []
    for col in frame.columns:
        s = frame[col]
        entry: dict = {"name": col}
        if col in ti["columns"]:
            if pd.api.types.is_numeric_dtype(s):
                entry.update(kind="int", min=float(s.min()), max=float(s.max()), integral=True)
            else:
                entry["kind"] = "datetime" if ti["kind"] == "datetime" else "date"
            columns.append(entry)
            continue
        if pd.api.types.is_numeric_dtype(s):
            v = s.dropna().astype(float)
            if v.empty:
                undecided.append(f"columns: {col!r} is empty; left out")
                continue
            whole = bool((v == v.round()).all())
            counter = len(v) == len(frame) and bool((np.diff(v.to_numpy()) == 1).all())
            if (
                whole
                and counter
                and re.fullmatch(r"(row)?(id|index|instant|no|n)|.*_id", col.lower())
            ):
                notes.append(f"{col!r} counts rows (a row id): left out of the features")
                continue
            lo, hi = float(v.min()), float(v.max())
            margin = max((hi - lo) * 0.1, 1.0 if whole else abs(hi) * 0.1 or 1.0)
            low, high = (lo - margin if lo < 0 else max(0.0, lo - margin)), hi + margin
            if whole:
                low, high = float(np.floor(low)), float(np.ceil(high))
            entry.update(kind="int" if whole else "float", min=low, max=high)
            if whole:
                entry["integral"] = True
            columns.append(entry)
            numeric.append(col)
        else:
            values = sorted(str(x) for x in s.dropna().unique())
            if len(values) <= MAX_CATEGORIES:
                entry.update(kind="category", allowed=values)
                columns.append(entry)
            else:
                undecided.append(
                    f"columns: {col!r} is text with {len(values)} distinct values; left out"
                )
    if target is None:
        guess = next((c for c in numeric if c.lower() in ("cnt", "count", "target", "y")), None)
        target = guess or (numeric[-1] if numeric else None)
        undecided.append(f"target: guessed {target!r}; give --target COLUMN to choose")
    if target not in numeric:
        raise ValueError(f"target {target!r} is not a number column of the file")
    y = frame[target].dropna().astype(float)
    counts = bool((y >= 0).all() and (y == y.round()).all())
    scale_target = bool(y.abs().max() > 100)
    calendar = calendar_names(ti_spec)
    fill = min(longest, window)
    if longest > fill:
        undecided.append(
            f"max_fill_steps: the longest gap is {longest} periods; gaps longer than {fill} "
            "fail the run unless you raise max_fill_steps or set on_long_gap = "
            '"drop-windows"'
        )
    features = [target, *(c for c in numeric if c != target)]
    notes.append(f"target {target!r}; {len(features) - 1} other number column(s) as features")

    lines = [
        f"# Drafted by seqcast init-spec from a file of {len(frame)} rows: check every field.",
        f"name = {json.dumps(_slug(name))}",
        f"description = {json.dumps(f'{target} from {name}; forecast {horizon} step(s) ahead')}",
        f"target = {json.dumps(target)}",
        f"horizon = {horizon}",
        f"value_features = {json.dumps(features)}",
        f"calendar_features = {json.dumps(calendar)}",
        f"covariates = {json.dumps(calendar)}",
        f"timesteps = {window}",
        f"scale_target = {'true' if scale_target else 'false'}",
        f"# The longest gap in the file is {longest} period(s).",
        f"max_fill_steps = {fill}",
        f"seasonal_period = {season}",
        "",
        "[time_index]",
        *(f"{k} = {json.dumps(v)}" for k, v in ti.items()),
        "",
        "[split]",
        'unit = "fraction"',
        "val = 0.2",
        "test = 0.2",
        "",
        "[training]",
        "learning_rate = 0.003",
        "max_epochs = 100",
        "patience = 12",
        "batch_size = 64",
        f"loss = {json.dumps('mae' if counts else 'mse')}",
        f"target_transform = {json.dumps('log1p' if counts else 'none')}",
    ]
    for entry in columns:
        lines += ["", "[[columns]]"]
        for k, v in entry.items():
            if isinstance(v, float):
                v = _number(v)
            elif isinstance(v, bool):
                v = "true" if v else "false"
            else:
                v = json.dumps(v)
            lines.append(f"{k} = {v}")
    if undecided:
        lines += ["", "# Not decided, check these:", *(f"#   {u}" for u in undecided)]
    return Draft("\n".join(lines) + "\n", undecided, notes)
