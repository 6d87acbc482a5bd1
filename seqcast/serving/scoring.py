"""Scoring the served forecasts in place: ``scored.parquet`` updated under its lock, written
atomically (``seqcast.evaluation.live`` scores; this module reads and writes)."""

from __future__ import annotations

import pandas as pd

from seqcast.evaluation.live import Scoring, score
from seqcast.io import storage
from seqcast.io.forecast_store import locked
from seqcast.io.paths import Layout


def update_scored(layout: Layout, actuals: pd.Series, now: pd.Timestamp) -> Scoring | None:
    """Score the served forecasts whose actuals are in ``actuals`` into ``scored.parquet``
    (``seqcast.evaluation.live.score``): read, score and replace under the scored lock, the
    file written atomically, so concurrent runs never lose or duplicate a row and a run
    killed mid-write leaves the previous file whole. Returns the ``Scoring`` (None when
    nothing was ever served)."""
    if not layout.forecasts.exists():
        return None
    with locked(layout.scored_lock):
        forecasts = storage.read_frame(layout.forecasts)  # replaced atomically: a whole file
        before = storage.read_frame(layout.scored) if layout.scored.exists() else None
        result = score(forecasts, actuals, before, now)
        if result.added or result.revisions or before is None:
            storage.write_frame(layout.scored, result.scored)
    return result
