"""Times as the report shows them: a target time at the data's frequency (no midnight on
weekly and daily dates). Numbers follow :mod:`seqcast.numbers`."""

from __future__ import annotations

import pandas as pd


def time_text(when: str, frequency: str) -> str:
    """A stored target time (``2019-01-07 00:00:00``) at the data's frequency: the date alone
    for daily data and longer, date and minutes for hourly and finer. A text that is not a
    time is returned as it is."""
    try:
        t = pd.Timestamp(when)
    except (ValueError, TypeError):
        return when
    if pd.isna(t):
        return when
    if frequency.startswith(("daily", "weekly", "monthly", "quarterly", "yearly")):
        return f"{t:%Y-%m-%d}"
    if frequency:
        return f"{t:%Y-%m-%d %H:%M}"
    return when
