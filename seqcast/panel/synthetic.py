"""Synthetic long-format panels: the quick start's sample and the scale benchmark's input.

Each series has its own level (10 to 10^6), trend, seasonal shape, noise, length and start,
so a global model must handle scales that differ by orders of magnitude.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def panel_frame(
    n_series: int,
    rows: int | tuple[int, int],
    period: int,
    seed: int = 0,
    frequency: str | None = None,
    start: str = "2020-01-01",
) -> pd.DataFrame:
    """``n_series`` series (ids ``s00001`` ...) of ``rows`` rows (or a length drawn from the
    range): columns series, time (a step index, or dates on the pandas ``frequency``), value
    (positive, rounded to 3 decimals)."""
    rng = np.random.default_rng(seed)
    lo, hi = (rows, rows) if isinstance(rows, int) else rows
    lengths = rng.integers(lo, hi + 1, n_series)
    offsets = rng.integers(0, period, n_series)
    parts = []
    for i in range(n_series):
        n = int(lengths[i])
        t = np.arange(n) + offsets[i]
        level = 10 ** rng.uniform(1, 6)
        trend = rng.normal(0, 0.002) * level
        phase = rng.uniform(0, 2 * np.pi)
        amp = rng.uniform(0.1, 0.4)
        season = amp * np.sin(2 * np.pi * t / period + phase) + 0.5 * amp * np.sin(
            4 * np.pi * t / period + phase
        )
        noise = rng.normal(0, rng.uniform(0.03, 0.12), n)
        y = np.maximum(level * (1 + season + noise) + trend * np.arange(n), 0.01 * level)
        if frequency:
            time = pd.date_range(start, periods=n + offsets[i], freq=frequency)[offsets[i] :]
        else:
            time = np.arange(n)
        parts.append(pd.DataFrame({"series": f"s{i + 1:05d}", "time": time, "value": y.round(3)}))
    return pd.concat(parts, ignore_index=True)
