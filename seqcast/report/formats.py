"""Numbers and times as the report's tables show them: a row of statistics at one precision
(a rounding error reads as 0), a target time at the data's frequency (no midnight on weekly
and daily dates)."""

from __future__ import annotations

import math

import pandas as pd

SIGNIFICANT = 4  # digits kept of a row's largest value


def row_numbers(values: list[float]) -> list[str]:
    """Each value with the decimals that give the row's largest magnitude ``SIGNIFICANT``
    digits: ``[-4.83e-11, 0.7071, -1.0, 1.0]`` reads ``['0.000', '0.707', '-1.000', '1.000']``,
    ``[704.63, 645.2, 0.0, 3556.0]`` reads ``['705', '645', '0', '3556']``. Missing: '-'."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    largest = max(finite, default=0.0)
    decimals = 0 if largest == 0 else max(0, SIGNIFICANT - 1 - math.floor(math.log10(largest)))
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append("-")
            continue
        text = f"{v:.{decimals}f}"
        out.append(text[1:] if text.startswith("-") and float(text) == 0 else text)
    return out


def time_text(when: str, frequency: str) -> str:
    """A stored target time (``2019-01-07 00:00:00``) at the data's frequency: the date alone
    for daily, weekly and monthly data, date and minutes for hourly and finer. A text that
    is not a time is returned as it is."""
    try:
        t = pd.Timestamp(when)
    except (ValueError, TypeError):
        return when
    if pd.isna(t):
        return when
    if frequency.startswith(("daily", "weekly", "monthly")):
        return f"{t:%Y-%m-%d}"
    if frequency:
        return f"{t:%Y-%m-%d %H:%M}"
    return when
