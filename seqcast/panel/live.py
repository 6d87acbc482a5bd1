"""Live quality of served panel forecasts: each forecast run scores the forecasts served
before it against the actuals the new file brings, per series and over series, and compares
the mean live MASE with the champion's promise (its mean backtest MASE).

A series' live MASE divides its scored forecasts' mean absolute error by its in-sample
seasonal-naive MAE over the rows known before its first scored forecast, the scale the
backtest used. The run is *degraded* when at least ``min_series`` series are scored and the
mean over them exceeds ``tolerance`` times the promise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqcast.panel.data import Panel
from seqcast.panel.metrics import mase_scale

KEY = ["series", "origin", "step"]


def append_served(history: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """Every forecast served so far: a repeated (series, origin, step) keeps the newest run's."""
    if history is None or history.empty:
        return new.reset_index(drop=True)
    both = pd.concat([history, new], ignore_index=True)
    return both.drop_duplicates(KEY, keep="last").reset_index(drop=True)


def score(served: pd.DataFrame, panel: Panel) -> pd.DataFrame:
    """The served rows whose target time the panel now holds, with ``actual`` and
    ``abs_error``."""
    actual = pd.DataFrame(
        {
            "series": np.repeat(panel.ids, [len(t) for t in panel.times]),
            "time": np.concatenate(panel.times),
            "actual": np.concatenate(panel.values),
        }
    )
    s = served.copy()
    if np.issubdtype(actual["time"].dtype, np.datetime64):
        s["time"] = pd.to_datetime(s["time"])
        actual["time"] = pd.to_datetime(actual["time"])
    out = s.merge(actual, on=["series", "time"], how="inner")
    out["abs_error"] = (out["actual"] - out["forecast"]).abs()
    return out


@dataclass
class LiveQuality:
    series: int  # series with a scored forecast
    mase: float  # the mean over them (NaN with none)
    promised: float
    ratio: float
    degraded: bool
    worst: list[tuple[str, float]] = field(default_factory=list)  # the five worst series
    per_series: dict[str, float] = field(default_factory=dict)


def quality(
    scored: pd.DataFrame,
    panel: Panel,
    period: int,
    promised: float,
    tolerance: float = 1.5,
    min_series: int = 1,
) -> LiveQuality:
    """Per-series live MASE and their mean against the promise (see the module)."""
    if scored.empty:
        return LiveQuality(0, float("nan"), promised, float("nan"), False)
    index = {sid: i for i, sid in enumerate(panel.ids)}
    per: dict[str, float] = {}
    for sid, g in scored.groupby("series"):
        if sid not in index:
            continue
        y, times = panel.values[index[sid]], panel.times[index[sid]]
        first = np.searchsorted(times, np.asarray(g["time"].min(), dtype=times.dtype))
        per[str(sid)] = float(g["abs_error"].mean() / mase_scale(y[: max(int(first), 1)], period))
    mean = float(np.mean(list(per.values()))) if per else float("nan")
    ratio = mean / promised if promised > 0 else float("nan")
    worst = sorted(per.items(), key=lambda kv: -kv[1])[:5]
    degraded = len(per) >= min_series and bool(np.isfinite(ratio) and ratio > tolerance)
    return LiveQuality(len(per), mean, promised, ratio, degraded, worst, per)
