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

from seqcast.numbers import figure

KEY = ["origin_time", "step"]
DEGRADED_EVENT = "seqcast.forecast.degraded"  # what the forecast flow emits when degraded
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


# The live window by frequency (periods): the last 7 days of hourly data, 8 weeks of weekly,
# a year of quarterly data.
LIVE_WINDOW = {
    "hourly": 7 * 24,
    "daily": 28,
    "weekly": 8,
    "monthly": 6,
    "quarterly": 4,
    "yearly": 3,
}


def live_window(frequency: str) -> int:
    """Periods of the rolling window live quality is measured over, for ``frequency``."""
    base = frequency.split("-")[0]
    if base in LIVE_WINDOW:
        return LIVE_WINDOW[base]
    if base.endswith("min"):
        return 7 * 24 * 60 // int(base[:-3])  # a week of N-minute periods
    return 28


@dataclass(frozen=True)
class Promise:
    """What the champion's backtest promised: its MAE per step and its intervals' coverage
    per level (a bundle's ``promise``)."""

    mae_by_step: list[float]
    coverage: dict[str, float] = field(default_factory=dict)  # level ("80") -> coverage

    @classmethod
    def from_dict(cls, doc: dict) -> Promise:
        return cls(list(doc["mae_by_step"]), dict(doc.get("coverage") or {}))

    def to_dict(self) -> dict:
        return {"mae_by_step": self.mae_by_step, "coverage": self.coverage}


@dataclass(frozen=True)
class LiveQuality:
    start: pd.Timestamp | None  # the window's first and last target time
    end: pd.Timestamp | None
    rows: int  # scored forecasts in the window
    by_step: pd.DataFrame  # step, scored, live_mae, promised_mae, ratio
    mae: float  # live MAE over the window's rows (nan when none)
    promised: float  # the promise for the same rows (each row's step)
    coverage: dict[str, float]  # level -> live coverage
    promised_coverage: dict[str, float]
    degraded: bool
    reasons: list[str]

    @property
    def ratio(self) -> float:
        return self.mae / self.promised if self.promised else float("nan")

    def lines(self, units: str = "") -> list[str]:
        """A few lines for the console and the artifact's description."""
        if not self.rows:
            return ["live quality: no scored forecast in the window yet"]
        cover = ", ".join(
            f"{lv} % interval covered {100 * v:.1f} % (promised "
            f"{100 * self.promised_coverage.get(lv, float('nan')):.1f} %)"
            for lv, v in self.coverage.items()
        )
        unit = f" {units}" if units else ""
        out = [
            f"live quality over {self.rows} scored forecast(s), target times {self.start} .. "
            f"{self.end}: MAE {figure(self.mae)}{unit} against the backtest's promise "
            f"{figure(self.promised)} ({self.ratio:.2f}x)" + (f"; {cover}" if cover else "")
        ]
        out.append(
            "DEGRADED: " + "; ".join(self.reasons) if self.degraded else "within the promise"
        )
        return out


def live_quality(
    scored: pd.DataFrame,
    promise: Promise,
    window: int,
    factor: float = 1.3,
    min_scored: int = 20,
    coverage_floor: float = 0.65,
) -> LiveQuality:
    """Live MAE (and coverage per level) of the scored forecasts whose target time is one of
    the newest ``window`` scored target times (the last ``window`` periods with an actual),
    by step and overall, against
    what the backtest promised for the same steps. Degraded when at least ``min_scored``
    forecasts are in the window and the live MAE exceeds ``factor`` times the promise, or
    the first level's coverage falls below ``coverage_floor``."""
    levels = sorted(
        (c.removeprefix("lower_") for c in scored.columns if c.startswith("lower_")), key=float
    )
    if scored.empty:
        empty = pd.DataFrame(columns=["step", "scored", "live_mae", "promised_mae", "ratio"])
        nan = float("nan")
        return LiveQuality(None, None, 0, empty, nan, nan, {}, promise.coverage, False, [])
    times = np.sort(scored["target_time"].unique())[-window:]  # the newest target times
    start, end = pd.Timestamp(times[0]), pd.Timestamp(times[-1])
    rows = scored[scored["target_time"] >= start]
    promised_of = {i + 1: v for i, v in enumerate(promise.mae_by_step)}
    abs_error = rows["error"].abs()
    by_step = (
        pd.DataFrame({"step": rows["step"], "abs_error": abs_error})
        .groupby("step")["abs_error"]
        .agg(scored="size", live_mae="mean")
        .reset_index()
    )
    by_step["promised_mae"] = by_step["step"].map(promised_of)
    by_step["ratio"] = by_step["live_mae"] / by_step["promised_mae"]
    mae = float(abs_error.mean())
    promised = float(rows["step"].map(promised_of).mean())
    coverage = {
        lv: float(
            (
                (rows["actual"] >= rows[f"lower_{lv}"]) & (rows["actual"] <= rows[f"upper_{lv}"])
            ).mean()
        )
        for lv in levels
    }
    reasons = []
    if len(rows) >= min_scored:
        if mae > factor * promised:
            reasons.append(
                f"live MAE {figure(mae)} is {mae / promised:.2f}x the promised {figure(promised)} "
                f"(limit {factor:g}x) over {len(rows)} scored forecasts"
            )
        if levels and coverage[levels[0]] < coverage_floor:
            reasons.append(
                f"the {levels[0]} % interval covered {100 * coverage[levels[0]]:.1f} % "
                f"(floor {100 * coverage_floor:.0f} %)"
            )
    return LiveQuality(
        start, end, len(rows), by_step, mae, promised, coverage, promise.coverage,
        bool(reasons), reasons,
    )  # fmt: skip
