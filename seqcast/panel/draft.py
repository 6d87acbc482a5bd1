"""``seqcast init-spec`` on a long-format file: recognise the series column and draft a panel
spec (:mod:`seqcast.panel.spec`).

A file is long format when a text column repeats its values over many rows (the series id)
and a time column's values repeat across ids but never within one. The time column is the
first that parses as dates (its frequency read from the longest series) or else whole numbers
(a plain step index); the target is ``target`` or the first other number column.
"""

from __future__ import annotations

import re

import pandas as pd

from seqcast.data.draft import Draft
from seqcast.panel.spec import PANDAS_FREQUENCY

PERIODS = {"hourly": 24, "daily": 7, "weekly": 52, "monthly": 12, "quarterly": 4, "yearly": 1}
HORIZONS = {"hourly": 24, "daily": 14, "weekly": 4, "monthly": 12, "quarterly": 8, "yearly": 4}
_FREQ_NAMES = {v: k for k, v in PANDAS_FREQUENCY.items()}


def _numbers(col: pd.Series) -> pd.Series:
    return pd.to_numeric(col.astype("string").str.strip(), errors="coerce")


def find_layout(frame: pd.DataFrame) -> tuple[str, str, str] | None:
    """(series column, time column, time kind) when ``frame`` is long format, else None."""
    n = len(frame)
    if n < 4:
        return None
    for sid in frame.columns:
        ids = frame[sid].astype("string")
        if _numbers(ids).notna().mean() > 0.9 or not 2 <= ids.nunique() <= n // 3:
            continue
        for tcol in frame.columns:
            if tcol == sid:
                continue
            t = frame[tcol]
            if not t.duplicated().any() or frame.duplicated([sid, tcol]).any():
                continue
            parsed = pd.to_datetime(t, errors="coerce", format="mixed")
            if parsed.notna().all() and _numbers(t).isna().all():
                return sid, tcol, "datetime"
            steps = _numbers(t)
            if steps.notna().all() and (steps == steps.round()).all():
                return sid, tcol, "step"
    return None


def draft_panel_spec(
    frame: pd.DataFrame, name: str, target: str | None, horizon: int | None
) -> Draft | None:
    """A panel spec for ``frame`` when it is long format (else None, for the single-series
    draft)."""
    layout = find_layout(frame)
    if layout is None:
        return None
    sid, tcol, kind = layout
    name = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63] or "panel"
    notes = [f"long format: series column {sid!r} ({frame[sid].nunique()} series), time {tcol!r}"]
    undecided = []
    numbers = [
        c for c in frame.columns if c not in (sid, tcol) and _numbers(frame[c]).notna().mean() > 0.5
    ]
    if target is None:
        if not numbers:
            raise ValueError("no number column to forecast; give --target")
        target = numbers[0]
        undecided.append(f"target {target!r} was guessed (the first number column)")
    elif target not in frame.columns:
        raise ValueError(f"--target {target!r} is not a column: {list(frame.columns)}")
    frequency = "step"
    if kind == "datetime":
        longest = frame[sid].value_counts().index[0]
        times = pd.to_datetime(frame.loc[frame[sid] == longest, tcol], format="mixed")
        inferred = pd.infer_freq(times.sort_values()) if len(times) >= 3 else None
        code = (inferred or "").split("-")[0]
        frequency = _FREQ_NAMES.get(
            code, {"ME": "monthly", "QE": "quarterly", "YE": "yearly", "W": "weekly"}.get(code, "")
        )
        if not frequency:
            raise ValueError(f"the frequency of {tcol!r} could not be read (pandas: {inferred})")
    period = PERIODS.get(frequency, 1)
    if frequency == "step":
        undecided.append("a step index has no calendar: set `period` to the seasonal period")
    h = horizon or HORIZONS.get(frequency, 4)
    window = max(2 * period, 2 * h)
    time_lines = f'column = "{tcol}"\nkind = "{kind}"'
    if kind == "datetime":
        time_lines += f'\nfrequency = "{frequency}"'
    others = [c for c in frame.columns if c not in (sid, tcol, target)]
    if others:
        notes.append(f"columns read past (the global models use the target only): {others}")
    text = f"""# Drafted by seqcast init-spec from a long-format file: check every line.
name = "{name}"
series = "{sid}"
target = "{target}"
period = {period}
horizon = {h}
test = {h}
folds = 2
window = {window}

[time]
{time_lines}

[training]
variants = ["gru"]
seeds = 1
references = ["naive", "seasonal-naive", "ets", "theta"]
"""
    notes.append(f"frequency {frequency}, period {period}, horizon {h}, window {window}")
    return Draft(text=text, undecided=undecided, notes=notes)
