"""The field's measures for many series: MASE (scale-free), sMAPE and interval coverage per
series, and their aggregates over series.

MASE (Hyndman and Koehler, 2006, as the tourism competition uses it): a forecast's mean
absolute error over its steps divided by the in-sample mean absolute error of the seasonal
naive forecast (lag ``period``) over the rows known at the origin. A series whose in-sample
seasonal differences are all zero is scaled by its lag-1 differences, and by 1 where those
are zero too (said in the report as a constant series).
"""

from __future__ import annotations

import numpy as np


def mase_scale(history: np.ndarray, period: int) -> float:
    """The in-sample seasonal-naive MAE of ``history`` (the rows known at the origin)."""
    for lag in (period, 1):
        if len(history) > lag:
            d = np.abs(history[lag:] - history[:-lag])
            if d.mean() > 0:
                return float(d.mean())
    return 1.0


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    return float(np.mean(np.abs(actual - forecast)) / scale)


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent (0 to 200); a step where both are 0 counts 0."""
    den = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(
        np.abs(actual - forecast), den, out=np.zeros_like(den, dtype=np.float64), where=den > 0
    )
    return float(200.0 * ratio.mean())


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """The share (percent) of actuals inside [lower, upper]."""
    return float(100.0 * np.mean((actual >= lower) & (actual <= upper)))
