"""Does a series trend or wander? What ``init-spec`` reads before it proposes a target
transform. Pure: an array in, a finding with its evidence out.

The two standard tests, on the series with its seasonal profile removed (the median of each
position in the season): the augmented Dickey-Fuller test (null: a unit root, the level
wanders) and KPSS (null: the level is stationary), both from statsmodels. When ADF cannot
reject a unit root (p > 0.05) and KPSS rejects a stationary level (p < 0.05), the series
trends or wanders, and models should learn the change from the last value
(``target_transform = "difference"``). When, besides, the swing grows (or shrinks) with the
level (:func:`swing_follows_level`), the change is measured in units of each window's own
spread (``"normalize"``). Otherwise, nothing is proposed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

ALPHA = 0.05
MIN_ROWS = 24  # fewer observations: the tests say little, nothing is proposed


@dataclass(frozen=True)
class TrendFinding:
    transform: str  # "difference" or "normalize" when the series trends or wanders, else "none"
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
    if np.ptp(filled) <= 1e-12 * max(1.0, float(np.abs(filled).max())):
        what = "the seasonal profile explains every value" if season > 1 else "every value is"
        return TrendFinding("none", 0, [f"no trend: {what} the same"])
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
        swing = swing_follows_level(values, season)
        if swing:
            return TrendFinding(
                "normalize",
                int(np.sign(slope)),
                [
                    f"{evidence}; {swing}",
                    "the level trends and the swing follows it: models learn the change from "
                    "the last value in units of the window's own spread",
                ],
            )
        return TrendFinding(
            "difference",
            int(np.sign(slope)),
            [
                evidence,
                "the level trends or wanders: models learn the change from the last value",
            ],
        )
    return TrendFinding("none", 0, [evidence, "no trend or unit root: the level is modelled"])


SWING_RATIO = 1.5  # the newest third's typical swing against the oldest third's, or back
SWING_CORRELATION = 0.8  # of the blocks' swings with their levels
MIN_BLOCKS = 6


def swing_follows_level(values: np.ndarray, season: int) -> str:
    """Why the series' swing grows (or shrinks) with its level, or "" when it does not.

    The series is cut into blocks of one season (12 periods without one); each block's level
    is its mean and its swing its standard deviation. The swing follows the level when the
    two correlate above :data:`SWING_CORRELATION` and the median swing of the newest third
    of the blocks is :data:`SWING_RATIO` times that of the oldest third, or the reverse."""
    values = np.asarray(values, dtype=np.float64)
    block = season if season > 1 else 12
    blocks = len(values) // block
    if blocks < MIN_BLOCKS:
        return ""
    v = values[len(values) - blocks * block :].reshape(blocks, block)  # the newest whole blocks
    full = np.isfinite(v).sum(axis=1) >= max(2, block // 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        level, spread = np.nanmean(v, axis=1)[full], np.nanstd(v, axis=1)[full]
    if len(level) < MIN_BLOCKS or np.ptp(level) == 0 or np.ptp(spread) == 0:
        return ""
    third = len(level) // 3
    first, last = float(np.median(spread[:third])), float(np.median(spread[-third:]))
    r = float(np.corrcoef(level, spread)[0, 1])
    ratio = max(first, last) / max(min(first, last), 1e-12)
    if r < SWING_CORRELATION or ratio < SWING_RATIO:
        return ""
    return (
        f"the swing follows the level: the standard deviation within each {block}-period "
        f"block goes from {first:.3g} (oldest third) to {last:.3g} (newest third), "
        f"correlation {r:.2f} with the block's mean"
    )


def _p(p: float) -> str:
    """KPSS p-values are read off a table that stops at 0.01 and 0.1."""
    if p <= 0.01:
        return "<= 0.01"
    if p >= 0.1:
        return ">= 0.10"
    return f"= {p:.2f}"
