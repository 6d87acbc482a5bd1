"""Scoring served forecasts once their actuals exist: what the forecast flow does first on
every run (``tasks/forecast.py``, ``score-served``). Pure: frames in, frames out.

A served forecast is one row of ``forecasts.parquet`` (one per origin time and step). Once
the source holds an observed value at its target time (observed: not interpolated by the
clean stage), it is scored into ``scored.parquet``: the forecast row with ``actual``,
``error`` (forecast minus actual, as everywhere in seqcast) and ``scored_at``.

Idempotent: a row already scored with the same actual and forecast is left as it is, so a
rerun adds nothing. A **revised actual** (the source now holds another value at a scored
target time) replaces the row's actual and error, keeps the old value in ``revised_from`` and
the time in ``revised_at``, and is returned so the run can log it: a data event, never a
silent rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

KEY = ["origin_time", "step"]
SCORED_EXTRA = ["actual", "error", "scored_at", "revised_from", "revised_at"]


@dataclass(frozen=True)
class Revision:
    """A scored target time whose actual changed in the source."""

    origin_time: pd.Timestamp
    step: int
    target_time: pd.Timestamp
    before: float
    after: float

    def line(self, units: str = "") -> str:
        unit = f" {units}" if units else ""
        return (
            f"revised actual at {self.target_time} (forecast from {self.origin_time}, step "
            f"{self.step}): {self.before:g}{unit} -> {self.after:g}{unit}; its score is "
            "recomputed and the old value kept in revised_from"
        )


@dataclass(frozen=True)
class Scoring:
    scored: pd.DataFrame  # every scored row, old and new, sorted by KEY
    added: int  # rows scored for the first time
    revisions: list[Revision] = field(default_factory=list)
    waiting: int = 0  # served rows whose target time has no observed actual yet


def observed_actuals(clean: pd.DataFrame, target: str, filled_times=()) -> pd.Series:
    """The target's observed values by time from a cleaned frame: missing values and the
    cells the clean stage interpolated (``filled_times``) are not actuals."""
    values = clean.set_index("time")[target].astype(np.float64)
    values = values[np.isfinite(values.to_numpy())]
    filled = pd.DatetimeIndex(pd.to_datetime(list(filled_times)))
    return values[~values.index.isin(filled)]


def score(
    forecasts: pd.DataFrame,
    actuals: pd.Series,
    scored: pd.DataFrame | None,
    now: pd.Timestamp,
) -> Scoring:
    """Score every served forecast whose target time has an actual (see the module
    docstring). ``actuals``: value by target time (:func:`observed_actuals`)."""
    due = forecasts[forecasts["target_time"].isin(actuals.index)].copy()
    waiting = int((~forecasts["target_time"].isin(actuals.index)).sum())
    due["actual"] = actuals.reindex(due["target_time"]).to_numpy()
    due["error"] = due["prediction"] - due["actual"]
    old = _empty_like(due) if scored is None or scored.empty else scored
    merged = due.merge(
        old[[*KEY, "actual", "prediction", "scored_at", "revised_from", "revised_at"]],
        on=KEY,
        how="left",
        suffixes=("", "_old"),
    )
    new = merged["actual_old"].isna()
    same = ~new & np.isclose(merged["actual"], merged["actual_old"], rtol=1e-12, atol=0.0)
    same &= np.isclose(merged["prediction"], merged["prediction_old"], rtol=1e-12, atol=0.0)
    revised = ~new & ~np.isclose(merged["actual"], merged["actual_old"], rtol=1e-12, atol=0.0)
    revisions = [
        Revision(r.origin_time, int(r.step), r.target_time, float(r.actual_old), float(r.actual))
        for r in merged[revised].itertuples()
    ]
    merged["scored_at"] = merged["scored_at"].where(~new, now)
    merged.loc[~new & ~same & ~revised, "scored_at"] = now  # the forecast was remade
    merged.loc[revised, "revised_from"] = merged.loc[revised, "actual_old"]
    merged.loc[revised, "revised_at"] = now
    changed = merged[~same].drop(columns=["actual_old", "prediction_old"])
    keep = old.set_index(KEY).index.isin(changed.set_index(KEY).index) if len(changed) else None
    untouched = old if keep is None else old[~keep]
    out = pd.concat([untouched, changed], ignore_index=True) if len(changed) else old
    out = out.sort_values(KEY).reset_index(drop=True)
    return Scoring(out[_columns(out)], int(new.sum()), revisions, waiting)


def _empty_like(due: pd.DataFrame) -> pd.DataFrame:
    out = due.iloc[0:0].copy()
    out["scored_at"] = pd.Series(dtype="datetime64[ns]")
    out["revised_from"] = pd.Series(dtype=np.float64)
    out["revised_at"] = pd.Series(dtype="datetime64[ns]")
    return out


def _columns(frame: pd.DataFrame) -> list[str]:
    """The forecast columns in their order, then the scoring columns."""
    first = [c for c in frame.columns if c not in SCORED_EXTRA]
    return first + [c for c in SCORED_EXTRA if c in frame.columns]
