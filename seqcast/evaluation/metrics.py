"""Forecast metrics in original units.

``wape`` is the percentage error chosen because it is defined where the true value is 0 (the
count data has zeros): 100 * sum|y - yhat| / sum|y|. ``mase`` divides the model's MAE by
the persistence forecast's MAE on the same rows.
"""

from __future__ import annotations

import numpy as np

METRICS = ("mae", "rmse", "r2", "mase", "wape")


def evaluate(y_true: np.ndarray, y_pred: np.ndarray, persistence_mae: float) -> dict[str, float]:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shape mismatch: {y_true.shape} vs {y_pred.shape}")
    if not np.isfinite(y_pred).all():
        raise ValueError("predictions contain NaN or infinity")
    err = y_pred - y_true
    mae = float(np.mean(np.abs(err)))
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    denom = float(np.sum(np.abs(y_true)))
    return {
        "mae": mae,
        "rmse": float(np.sqrt(np.mean(err**2))),
        "r2": 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan"),
        "mase": mae / persistence_mae if persistence_mae > 0 else float("nan"),
        "wape": 100.0 * float(np.sum(np.abs(err))) / denom if denom > 0 else float("nan"),
    }


def evaluate_path(
    y_true: np.ndarray, y_pred: np.ndarray, persistence_mae: np.ndarray | float
) -> dict:
    """Every metric per forecast step and averaged over the steps, for forecasts of a path:
    ``y_true``, ``y_pred`` (samples, steps); ``persistence_mae``: per step (steps,) or one
    value for all. Returns ``{metric: mean over steps, ..., "by_step": [{metric: value}, ...]}``;
    with one step the means are exactly :func:`evaluate`'s figures."""
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.ndim == 1:
        t, p = t[:, None], p.reshape(-1, 1)  # one step: (samples,) -> (samples, 1)
    if t.shape != p.shape:
        raise ValueError(f"shape mismatch: {t.shape} vs {p.shape}")
    naive = np.broadcast_to(np.asarray(persistence_mae, dtype=np.float64), (t.shape[1],))
    by_step = [evaluate(t[:, s], p[:, s], float(naive[s])) for s in range(t.shape[1])]
    means = {m: float(np.mean([step[m] for step in by_step])) for m in METRICS}
    return {**means, "by_step": by_step}
