"""Clean: a sorted frame on a regular time index, with one explicit missing-value policy.

Missing timestamps are inserted as empty rows. Every run of missing values of at most
``max_fill_steps`` steps is filled (numbers by time interpolation, categories by the previous
value); a longer run either fails (``on_long_gap="fail"``) or is kept as missing and flagged in
the ``gap`` column, so that later every window whose inputs or target touch it is removed.
Every filled cell is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seqcast.errors import DataError, Problem
from seqcast.spec.choices import LongGapAction
from seqcast.spec.dataset import DatasetSpec
from seqcast.spec.timeindex import calendar, steps_from_raw, times_of


@dataclass(frozen=True)
class Cleaned:
    frame: pd.DataFrame  # time, step, gap, value features, flags, calendar features
    filled_cells: pd.DataFrame  # time, column, value: one row per filled cell
    report: dict


def run_lengths(mask: np.ndarray) -> np.ndarray:
    """Length of the run of True each position belongs to (0 where False)."""
    mask = np.asarray(mask, dtype=bool)
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    starts, ends = edges[::2], edges[1::2]
    lengths = np.zeros(len(mask), dtype=np.int64)
    run_of = np.repeat(np.arange(len(starts)), ends - starts)
    lengths[mask] = (ends - starts)[run_of]
    return lengths


def clean(
    frame: pd.DataFrame,
    spec: DatasetSpec,
    *,
    max_fill_steps: int,
    on_long_gap: LongGapAction,
    source: str,
) -> Cleaned:
    """Return the cleaned frame; ``frame`` (the validated raw frame) is not modified."""
    steps = steps_from_raw(frame, spec, source)
    order = np.argsort(steps, kind="stable")
    reordered = int((order != np.arange(len(order))).sum())
    value_cols = list(spec.value_features)
    category_cols = list(dict.fromkeys(f.column for f in spec.flags))  # one column, many flags
    body = frame[value_cols + category_cols].iloc[order].reset_index(drop=True)
    body = body.astype({c: "float64" for c in value_cols})
    steps = steps[order]

    full = np.arange(steps[0], steps[-1] + 1, dtype=np.int64)  # regular index
    body.index = pd.Index(steps, name="step")
    body = body.reindex(full)
    times = times_of(full, spec.time_index)
    inserted = int(len(full) - len(steps))
    when = _labels(times)

    filled_records = []
    long_gaps: list[Problem] = []
    longest: tuple[int, str, int] | None = None  # its steps, column and first position
    gap = np.zeros(len(full), dtype=bool)
    for col in value_cols + category_cols:
        missing = body[col].isna().to_numpy()
        if not missing.any():
            continue
        runs = run_lengths(missing)
        fillable = missing & (runs <= max_fill_steps)
        too_long = missing & (runs > max_fill_steps)
        if fillable.any():
            series = body[col].copy()
            if col in category_cols:
                filler = series.ffill().bfill()
            else:
                filler = (
                    pd.Series(series.to_numpy(), index=times)
                    .interpolate(method="time")
                    .ffill()
                    .bfill()
                )
                if spec.column(col).kind == "int":
                    filler = filler.round()
            values = filler.to_numpy()
            series.iloc[np.flatnonzero(fillable)] = values[fillable]
            body[col] = series
            filled_records.append(
                pd.DataFrame(
                    {"time": times[fillable], "column": col, "value": values[fillable].astype(str)}
                )
            )
        if too_long.any():
            gap |= too_long
            long_gaps.append(_describe_long_gaps(col, too_long, runs, when, max_fill_steps))
            first = int(np.argmax(np.where(too_long, runs, 0)))  # the first longest run
            if longest is None or runs[first] > longest[0]:
                longest = (int(runs[first]), col, first)

    if longest is not None and on_long_gap == "fail":
        size, col, first = longest
        raise DataError(
            source,
            "clean",
            long_gaps,
            hint=f"gaps longer than {max_fill_steps} step(s) are not filled; the longest is "
            f"{col!r} from {when(first)} to {when(first + size - 1)} "
            f"({size} steps): --max-fill-steps {size} (max_fill_steps = {size} in the dataset "
            "spec) fills every gap by interpolation, or --on-long-gap drop-windows keeps the "
            "long gaps missing and drops every window touching them",
        )

    out = pd.DataFrame({"time": times, "step": full, "gap": gap})
    for col in value_cols:
        out[col] = body[col].to_numpy(dtype="float64")
    for flag in spec.flags:
        raw = body[flag.column]
        out[flag.name] = np.where(raw.isna(), np.nan, (raw == flag.true_value).astype(float))
    for name, values in calendar(full, spec.time_index, spec.calendar_features).items():
        out[name] = values

    filled = (
        pd.concat(filled_records, ignore_index=True)
        if filled_records
        else pd.DataFrame({"time": pd.Series(dtype="datetime64[ns]"), "column": [], "value": []})
    )
    report = {
        "rows_in": len(frame),
        "rows_out": len(out),
        "rows_reordered": reordered,
        "was_sorted": reordered == 0,
        "timestamps_inserted": inserted,
        "filled_cells": len(filled),
        "filled_cells_by_column": {
            str(k): int(v) for k, v in filled["column"].value_counts().items()
        },
        "long_gap_rows": int(gap.sum()),
        "max_fill_steps": max_fill_steps,
        "on_long_gap": on_long_gap,
        "start": str(times[0]),
        "end": str(times[-1]),
    }
    return Cleaned(out, filled, report)


def _labels(times: pd.DatetimeIndex) -> Callable[[int], str]:
    """The i-th time as text: a date alone when every time is a midnight (daily and longer)."""
    if (times == times.normalize()).all():
        return lambda i: str(times[i].date())
    return lambda i: str(times[i])


def _describe_long_gaps(
    col: str, too_long: np.ndarray, runs: np.ndarray, when: Callable[[int], str], limit: int
) -> Problem:
    starts = np.flatnonzero(too_long & ~np.r_[False, too_long[:-1]])

    def run(s: int) -> str:
        return f"{runs[s]} missing step(s) from {when(s)} to {when(s + runs[s] - 1)}"

    check = f"gap longer than {limit} step(s): {len(starts)} such gap(s), the longest "
    check += run(int(starts[np.argmax(runs[starts])]))  # the first of the longest
    return Problem(col, check, int(too_long.sum()), [run(s) for s in starts.tolist()])
