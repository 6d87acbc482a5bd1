"""Draft a dataset spec from a CSV (``seqcast init-spec``): pure, from the frame to TOML text.

Detects the time column(s) (one date/time column, a date plus an hour column, or a year plus
a week column) and the date format, the frequency from the spacing of the rows, each column's
kind, range (with a margin) and categories, the missing values (absent periods and empty
cells) with a gap policy that gets past the clean stage, and a seasonal period from the
frequency. What it cannot decide is listed for the user, and written as comments in the file.
It sits with the data stages because it applies their rules (the clean stage's gap runs, the
windows a gap removes) to propose a gap policy that the prepare run will accept.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqcast.data.clean import run_lengths
from seqcast.data.trend import detect_trend
from seqcast.data.windows import window_ends
from seqcast.spec.dataset import NAME_PATTERN, TimeIndexSpec, calendar_names
from seqcast.spec.timeindex import steps_of_times, times_of, year_week_steps

DATE_FORMATS = ("ISO8601", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y")
MAX_CATEGORIES = 20
MAX_ONE_HOT = 8  # a category of more values is left out (said so) rather than made into flags
SEASON = {"hourly": 24, "daily": 7, "weekly": 52, "monthly": 12, "quarterly": 4, "yearly": 1}
WINDOW = {"hourly": 24, "daily": 14, "weekly": 8, "monthly": 12, "quarterly": 8, "yearly": 4}
# The horizon drafted for each frequency: a day of hours, two weeks of days, a month of
# weeks, a year of months, two years of quarters, four years (the forecasting competitions'
# horizons for quarterly and yearly data are 8 and 4 to 6); N-minute data: a day, at most 96.
HORIZON = {"hourly": 24, "daily": 14, "weekly": 4, "monthly": 12, "quarterly": 8, "yearly": 4}
VAL_SHARE = TEST_SHARE = 0.2  # the drafted split


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
    if 89 * 60 * 24 <= step <= 92 * 60 * 24:
        return "quarterly"
    if 365 * 60 * 24 <= step <= 366 * 60 * 24:
        return "yearly"
    raise ValueError(f"rows are {step} minutes apart: not a frequency seqcast knows")


def drafted_horizon(frequency: str, periods: int) -> tuple[int, str]:
    """The horizon to draft for ``periods`` rows at ``frequency`` (:data:`HORIZON`), and why:
    shortened to what the drafted validation split can score, at least one horizon of
    origins after the ``horizon - 1`` rows purged before its boundary (``2 h - 1`` rows)."""
    base = frequency.split("-")[0]
    wanted = HORIZON.get(base) or min(96, 24 * 60 // int(base[:-3]))
    fits = max(1, (round(VAL_SHARE * periods) + 1) // 2)
    if wanted <= fits:
        return wanted, f"horizon {wanted} ({frequency} data; --horizon N to choose)"
    return fits, (
        f"horizon {fits}: the {periods} periods are too short for the usual {wanted} "
        f"({frequency} data), since the validation split ({round(VAL_SHARE * periods)} periods) "
        f"must score at least one horizon of origins; --horizon N to choose"
    )


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63] or "my-dataset"
    return slug if re.match(NAME_PATTERN, slug) else "my-dataset"


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


@dataclass(frozen=True)
class DraftedGaps:
    """The drafted gap settings and the missing values they were chosen from."""

    max_fill_steps: int
    on_long_gap: str  # "fail" or "drop-windows"
    longest: int  # the longest run of missing steps in any number column
    longest_column: str | None
    longest_start: str  # when that run starts
    long_runs: int  # runs longer than max_fill_steps, over all columns
    windows: int  # windows the file gives without any gap
    windows_dropped: int  # of those, the ones touching a long run
    other_fills: list[tuple[int, int]]  # larger max_fill_steps, and the windows each drops


def _steps(frame: pd.DataFrame, ti: TimeIndexSpec, times: pd.DatetimeIndex) -> np.ndarray:
    """Every row's step, as the clean stage counts them."""
    if ti.kind == "year-week":
        return year_week_steps(frame, ti)
    return steps_of_times(times, ti)[0]


def _when(step: int, ti: TimeIndexSpec) -> str:
    """A step as the user reads it: its date (and time for sub-daily steps)."""
    t = times_of(np.array([step]), ti)[0]
    if ti.kind == "year-week":
        year, week0 = divmod(step, ti.weeks_per_year)
        return f"{t.date()} (year {year}, week {week0 + 1})"
    daily_or_longer = ti.frequency.startswith(("daily", "weekly", "monthly", "quarterly", "yearly"))
    return str(t.date()) if daily_or_longer else str(t)


def _missing_values(
    frame: pd.DataFrame, columns: list[str], steps: np.ndarray
) -> dict[str, np.ndarray]:
    """Per column, the missing mask over the regular index from the first to the last step:
    an absent period or an empty cell."""
    first = int(steps.min())
    out = {}
    for col in columns:
        missing = np.ones(int(steps.max()) - first + 1, dtype=bool)  # (steps,)
        missing[steps[frame[col].notna().to_numpy()] - first] = False
        out[col] = missing
    return out


def _cost(runs: list[np.ndarray], fill: int, timesteps: int, horizon: int) -> tuple[int, int]:
    """(runs longer than ``fill``, windows touching one) under drop-windows."""
    n = len(runs[0])
    long = np.zeros(n, dtype=bool)  # (steps,) a step of a run longer than fill, any column
    count = 0
    for r in runs:
        too_long = r > fill
        long |= too_long
        count += int((too_long & ~np.r_[False, too_long[:-1]]).sum())
    no_target = np.arange(n) >= n - horizon  # the last steps have no target in the file
    every = window_ends(n, timesteps, np.zeros(n, dtype=bool), no_target)
    kept = window_ends(n, timesteps, long, np.r_[long[horizon:], no_target[-horizon:]])
    return count, int(every.sum() - kept.sum())


def propose_gap_policy(
    missing: dict[str, np.ndarray], ti: TimeIndexSpec, first: int, timesteps: int, horizon: int
) -> DraftedGaps:
    """Gap settings for the missing masks of :func:`_missing_values` (index from ``first``).

    Runs of missing values are interpolated up to a quarter of the input window, raised up to
    half of it while the longer runs would drop over a quarter of the windows (and never
    beyond the longest run); longer runs stay missing and the windows touching them are
    dropped (``on_long_gap = "drop-windows"``): interpolating across more would have the model
    learn invented values. What larger fills would keep is listed for the user to weigh.
    """
    runs = {col: run_lengths(mask) for col, mask in missing.items()}
    longest, column, start = 0, None, first
    for col, r in runs.items():
        if r.max() > longest:  # the first run of the longest length, first column first
            longest, column, start = int(r.max()), col, first + int(np.argmax(r))
    n = len(next(iter(runs.values())))
    windows = max(0, n - timesteps - horizon + 1)  # every window the file gives, no gap
    lengths = sorted({int(x) for r in runs.values() for x in np.unique(r) if x})
    quarter, half = max(1, timesteps // 4), max(1, timesteps // 2)
    fills = [min(quarter, longest), *(x for x in lengths if quarter < x <= half)]
    for fill in fills:  # the cost only changes at a run length
        count, dropped = _cost(list(runs.values()), fill, timesteps, horizon)
        if 4 * dropped <= windows:
            break
    longer = [x for x in lengths if x > fill]
    others = [(x, _cost(list(runs.values()), x, timesteps, horizon)[1]) for x in longer[:3]]
    others += [(longest, 0)] if len(longer) > 3 else []
    return DraftedGaps(
        max_fill_steps=fill,
        on_long_gap="drop-windows" if count else "fail",
        longest=longest,
        longest_column=column,
        longest_start=_when(start, ti),
        long_runs=count,
        windows=windows,
        windows_dropped=dropped,
        other_fills=others,
    )


def draft_spec(
    frame: pd.DataFrame, name: str, target: str | None = None, horizon: int | None = None
) -> Draft:
    """A commented spec for ``frame`` (the CSV as read, every column as it came); the horizon
    drafted from the frequency (:func:`drafted_horizon`) unless given."""
    undecided: list[str] = []
    notes: list[str] = []
    ti, times = _time_index(frame, undecided)
    base = ti["frequency"].split("-")[0]
    freq = ti["frequency"]
    minutes = int(freq[:-3]) if freq.endswith("min") else None
    season = SEASON.get(base) or (24 * 60 // minutes if minutes else 1)
    window = WINDOW.get(base) or season
    ti_spec = TimeIndexSpec(**ti)
    steps = _steps(frame, ti_spec, times)
    present = np.unique(steps)
    drafted = None
    if horizon is None:
        horizon, drafted = drafted_horizon(freq, int(present[-1] - present[0] + 1))
    missing_runs = np.diff(present) - 1
    longest = int(missing_runs.max()) if len(missing_runs) else 0
    notes.append(
        f"time index: {ti['kind']} on {', '.join(ti['columns'])}, {freq}; "
        f"{int(missing_runs.sum())} missing period(s), the longest gap {longest} period(s)"
    )
    if drafted:
        notes.append(drafted)

    columns: list[dict] = []
    numeric: list[str] = []
    categories: dict[str, pd.Series] = {}  # text column -> its values' counts
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
                categories[col] = s.dropna().astype(str).value_counts()
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
    regular = np.full(int(steps.max()) - int(steps.min()) + 1, np.nan)  # (periods,)
    has = frame[target].notna().to_numpy()
    regular[steps[has] - int(steps.min())] = frame[target].to_numpy(np.float64)[has]
    trend = detect_trend(regular, season)
    transform = trend.transform if trend.transform != "none" else ("log1p" if counts else "none")
    notes.append(f"trend test: {trend.reason[0]}; proposed target_transform = {transform!r}")
    trends = trend.transform in ("difference", "normalize")
    if trends and _open_bound(columns, target, trend.direction, y):
        notes.append(f"{target!r} trends: the bound it heads for is left open")
    flags, said = propose_flags(categories)
    notes += said
    scale_target = bool(y.abs().max() > 100)
    calendar = calendar_names(ti_spec)
    features = [target, *(c for c in numeric if c != target)]
    notes.append(f"target {target!r}; {len(features) - 1} other number column(s) as features")
    missing = _missing_values(frame, features, steps)
    gaps = propose_gap_policy(missing, ti_spec, int(present[0]), window, horizon)
    empty = {c: int(frame[c].isna().sum()) for c in features if frame[c].isna().any()}
    notes.append(
        "empty cells: "
        + (", ".join(f"{c!r} {k}" for c, k in empty.items()) or "none in the number columns")
        + (
            f"; the longest run of missing steps (absent periods included) {gaps.longest}, "
            f"in {gaps.longest_column!r} from {gaps.longest_start}"
            if gaps.longest
            else ""
        )
    )
    if gaps.long_runs:
        undecided.append(
            f"on_long_gap: {gaps.long_runs} run(s) of missing values longer than "
            f"max_fill_steps = {gaps.max_fill_steps} stay missing and drop "
            f"{gaps.windows_dropped} of {gaps.windows} windows; {_others(gaps)}"
        )

    lines = [
        f"# Drafted by seqcast init-spec from a file of {len(frame)} rows: check every field.",
        f"name = {json.dumps(_slug(name))}",
        f"description = {json.dumps(f'{target} from {name}; forecast the next {horizon} step(s)')}",
        f"target = {json.dumps(target)}",
        '# every step 1..horizon from each origin; "last": only the horizon-th step',
        f"horizon = {horizon}",
        'steps = "all"',
        f"value_features = {json.dumps(features)}",
        f"calendar_features = {json.dumps(calendar)}",
        f"covariates = {json.dumps(calendar)}",
        f"timesteps = {window}",
        f"scale_target = {'true' if scale_target else 'false'}",
        *_gap_comment(gaps, window),
        f"max_fill_steps = {gaps.max_fill_steps}",
        f"on_long_gap = {json.dumps(gaps.on_long_gap)}",
        f"seasonal_period = {season}",
        "",
        "[time_index]",
        *(f"{k} = {json.dumps(v)}" for k, v in ti.items()),
        "",
        "[split]",
        'unit = "fraction"',
        f"val = {VAL_SHARE}",
        f"test = {TEST_SHARE}",
        "",
        "[training]",
        "learning_rate = 0.003",
        "max_epochs = 100",
        "patience = 12",
        "batch_size = 64",
        f"loss = {json.dumps('mae' if counts else 'mse')}",
        *_comment(f"target_transform: {'; '.join(trend.reason)}."),
        f"target_transform = {json.dumps(transform)}",
    ]
    for flag in flags:
        lines += ["", "[[flags]]", *(f"{k} = {json.dumps(v)}" for k, v in flag.items())]
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


def propose_flags(categories: dict[str, pd.Series]) -> tuple[list[dict], list[str]]:
    """0/1 features for the text columns (each given as its values' counts), and what was
    decided for each: two values give one flag, 1 for the rarer value; three to
    :data:`MAX_ONE_HOT` values give one flag per value but the most common (one-hot, that
    value the baseline); one value or more than that are left out, with the reason."""
    flags: list[dict] = []
    notes: list[str] = []
    for col, counts in categories.items():
        values = list(counts.index)  # most common first
        if len(values) < 2:
            notes.append(f"{col!r} holds one value ({values[0]!r}): left out of the features")
            continue
        if len(values) > MAX_ONE_HOT:
            notes.append(
                f"{col!r} is a category of {len(values)} values, more than {MAX_ONE_HOT} for "
                "one flag each: left out of the features (add [[flags]] for the values that "
                "matter)"
            )
            continue
        chosen = values[-1:] if len(values) == 2 else values[1:]
        names = []
        for value in chosen:
            name = f"{_slug(col).replace('-', '_')}_{_slug(value).replace('-', '_')}"
            flags.append({"name": name, "column": col, "true_value": value})
            names.append(name)
        shape = "a flag" if len(chosen) == 1 else f"{len(chosen)} flags (one-hot)"
        notes.append(
            f"{col!r} ({len(values)} values) as {shape}: {', '.join(names)}, 1 where "
            f"{col} is {' / '.join(repr(v) for v in chosen)}; the baseline "
            f"{', '.join(repr(v) for v in values if v not in chosen)}"
        )
    return flags, notes


def _open_bound(columns: list[dict], target: str, direction: int, y: pd.Series) -> bool:
    """A trending target will leave the range the file shows: drop the bound it is heading
    for (a falling count keeps its floor of 0), so validation does not refuse next year's
    rows. Whether a bound changed."""
    entry = next(e for e in columns if e["name"] == target)
    if direction > 0:
        return entry.pop("max", None) is not None
    if direction < 0 and not (y >= 0).all():
        return entry.pop("min", None) is not None
    if direction < 0:
        entry["min"] = 0.0
        return True
    return False


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, 94, initial_indent="# ", subsequent_indent="# ")


def _gap_comment(gaps: DraftedGaps, timesteps: int) -> list[str]:
    """The comment above the gap settings: what is missing and why these settings."""
    if not gaps.longest:
        text = (
            "No missing values (absent periods or empty cells); a gap in a later file fails "
            "the run (raise max_fill_steps to interpolate short ones)."
        )
    else:
        text = (
            f"Missing values (absent periods and empty cells): the longest run is "
            f"{gaps.longest} step(s), in {gaps.longest_column!r} from {gaps.longest_start}. "
        )
        if gaps.long_runs:
            text += (
                f"Runs of up to {gaps.max_fill_steps} step(s) are interpolated (a quarter of "
                f"the {timesteps}-step input window, raised up to half of it while the longer "
                f"runs would drop over a quarter of the windows); the {gaps.long_runs} longer "
                f"run(s) stay missing and the {gaps.windows_dropped} of {gaps.windows} windows "
                "touching them are dropped, rather than trained on invented values. "
                f"Interpolating more keeps more windows: {_others(gaps)}."
            )
        else:
            text += "Every run is interpolated; a longer run in a later file fails the run."
    return textwrap.wrap(text, 94, initial_indent="# ", subsequent_indent="# ")


def _others(gaps: DraftedGaps) -> str:
    return ", ".join(f"max_fill_steps = {f} drops {d or 'none'}" for f, d in gaps.other_fills)
