"""Does a series trend or wander? What ``init-spec`` reads before it proposes a target
transform. Pure: an array in, a finding with its evidence out.

The two standard tests, on the series with its seasonal profile removed (the median of each
position in the season): the augmented Dickey-Fuller test (null: a unit root, the level
wanders) and KPSS (null: the level is stationary), both from statsmodels. When ADF cannot
reject a unit root (p > 0.05) and KPSS rejects a stationary level (p < 0.05), the series
trends or wanders, and models should learn the change from the last value
(``target_transform = "difference"``). Otherwise, nothing is proposed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

ALPHA = 0.05
MIN_ROWS = 24  # fewer observations: the tests say little, nothing is proposed


@dataclass(frozen=True)
class TrendFinding:
    transform: str  # "difference" when the series trends or wanders, else "none"
    direction: int  # +1 rising, -1 falling, 0 neither (the least-squares slope's sign)
    reason: list[str] = field(default_factory=list)  # the evidence, for the spec's comment


def deseasonalised(values: np.ndarray, season: int) -> np.ndarray:
    """``values`` minus the median of its position in the season (when the series holds at
    least three seasons; else unchanged). Missing values (NaN) stay missing."""
    values = np.asarray(values, dtype=np.float64)
    if season <= 1 or len(values) < 3 * season:
        return values
    position = np.arange(len(values)) % season
    profile = np.array([np.nanmedian(values[position == p]) for p in range(season)])
    return values - profile[position]


def detect_trend(values: np.ndarray, season: int) -> TrendFinding:
    """The finding for ``values`` (one per period on a regular index, NaN where missing) with
    a season of ``season`` periods (see the module docstring)."""
    from statsmodels.tsa.stattools import adfuller, kpss

    series = deseasonalised(values, season)
    t = np.arange(len(series))
    ok = np.isfinite(series)
    if ok.sum() < MIN_ROWS:
        return TrendFinding("none", 0, [f"too few values ({int(ok.sum())}) to test for a trend"])
    filled = np.interp(t, t[ok], series[ok])  # the tests need no gaps: linear in between
    slope = float(np.polyfit(t[ok], series[ok], 1)[0])
    with warnings.catch_warnings():  # KPSS warns when its p-value is beyond its table
        warnings.simplefilter("ignore")
        adf_p = float(adfuller(filled, autolag="AIC")[1])
        kpss_p = float(kpss(filled, regression="c", nlags="auto")[1])
    removed = f"after removing the {season}-period seasonal profile, " if season > 1 else ""
    evidence = (
        f"{removed}ADF p = {adf_p:.2f} (null: a unit root) and KPSS p {_p(kpss_p)} "
        f"(null: a stationary level) over {int(ok.sum())} values; least-squares slope "
        f"{slope:+.3g} per period"
    )
    if adf_p > ALPHA and kpss_p < ALPHA:
        return TrendFinding(
            "difference",
            int(np.sign(slope)),
            [
                evidence,
                "the level trends or wanders: models learn the change from the last value",
            ],
        )
    return TrendFinding("none", 0, [evidence, "no trend or unit root: the level is modelled"])


def _p(p: float) -> str:
    """KPSS p-values are read off a table that stops at 0.01 and 0.1."""
    if p <= 0.01:
        return "<= 0.01"
    if p >= 0.1:
        return ">= 0.10"
    return f"= {p:.2f}"
