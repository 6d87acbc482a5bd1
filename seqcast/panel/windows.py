"""Where each series is cut, and the windows a global model learns from and forecasts with.

Blocks, per series of ``n`` rows (indices 0 .. n-1): the test is the last ``test`` rows, in
blocks of ``horizon`` forecast each from the row before it; backtest fold ``k`` (1 the newest)
is the block of ``horizon`` rows that starts ``k * horizon`` rows before the test. A block that
starts at row ``s`` is forecast from origin ``s - 1`` with rows ``0 .. s - 1`` known.

A fit for a block learns from the windows whose targets all lie before the block's start
(no row of the block, nor anything after it, is ever read), across every series.

Windows: origin ``o`` reads rows ``o - window + 1 .. o`` (rows before the series' first are
padded: value 0, observed 0) and forecasts rows ``o + 1 .. o + horizon``. Each window is
divided by its scale, the mean absolute value of its observed rows (1 where that is 0), so a
series of 10 and one of 10^6 give windows of the same size; its targets are divided by the
same scale, and a forecast is multiplied back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from seqcast.panel.spec import PanelSpec

FEATURES = 2  # per timestep: the scaled value, and 1 where the row exists (0: padding)


def test_starts(n: int, spec: PanelSpec) -> list[int]:
    """The starts of a series' test blocks (each ``horizon`` rows)."""
    first = n - spec.test_rows
    return list(range(first, n - spec.horizon + 1, spec.horizon))


def fold_start(n: int, spec: PanelSpec, k: int) -> int:
    """The start of backtest fold ``k`` (1: the newest, just before the test)."""
    return n - spec.test_rows - k * spec.horizon


def evaluations(spec: PanelSpec) -> list[str]:
    """The names of what a train scores: ``fold-1`` .. ``fold-K`` then ``test``."""
    return [f"fold-{k}" for k in range(1, spec.folds + 1)] + ["test"]


def block_starts(n: int, spec: PanelSpec, evaluation: str) -> list[int]:
    """The block starts an evaluation forecasts in a series of ``n`` rows."""
    if evaluation == "test":
        return test_starts(n, spec)
    return [fold_start(n, spec, int(evaluation.split("-")[1]))]


def cutoff(n: int, spec: PanelSpec, evaluation: str) -> int:
    """The first row a fit for ``evaluation`` may not learn from (``n``: a served fit)."""
    return block_starts(n, spec, evaluation)[0] if evaluation != "serve" else n


def first_origin(spec: PanelSpec) -> int:
    """The earliest origin a training window takes: a season and one row behind it."""
    return min(spec.window, spec.period + 1) - 1


@dataclass
class Windows:
    """Windows of many series. ``x`` (samples, window, FEATURES) float32, ``y`` (samples,
    horizon) float32 scaled targets (NaN where none: a forecast's), ``scale`` (samples,),
    ``series`` (samples,) the series' index in the panel, ``origin`` (samples,) the row."""

    x: np.ndarray
    y: np.ndarray
    scale: np.ndarray
    series: np.ndarray
    origin: np.ndarray

    def __len__(self) -> int:
        return len(self.scale)

    def take(self, mask: np.ndarray) -> Windows:
        return Windows(
            self.x[mask], self.y[mask], self.scale[mask], self.series[mask], self.origin[mask]
        )


def _one(y: np.ndarray, origins: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, ...]:
    """The windows of one series at ``origins``: x (k, window, 2), y (k, horizon), scale (k,)."""
    padded = np.r_[np.full(window, np.nan), y]
    views = sliding_window_view(padded, window)[origins + 1]  # (k, window): rows o-w+1 .. o
    observed = ~np.isnan(views)
    raw = np.where(observed, views, 0.0)
    count = observed.sum(axis=1)
    scale = np.abs(raw).sum(axis=1) / np.maximum(count, 1)
    scale = np.where(scale > 0, scale, 1.0)
    x = np.stack([raw / scale[:, None], observed.astype(np.float64)], axis=-1)
    ahead = np.r_[y, np.full(horizon, np.nan)]
    targets = sliding_window_view(ahead, horizon)[origins + 1] / scale[:, None]  # (k, horizon)
    return x, targets, scale


def build(
    values: list[np.ndarray],
    origins: list[np.ndarray],
    window: int,
    horizon: int,
) -> Windows:
    """The windows of every series at its ``origins`` (rows), stacked in series order."""
    xs, ys, scales, sids, orgs = [], [], [], [], []
    for i, (y, o) in enumerate(zip(values, origins, strict=True)):
        if len(o) == 0:
            continue
        o = np.asarray(o, dtype=np.int64)
        x, t, s = _one(y, o, window, horizon)
        xs.append(x)
        ys.append(t)
        scales.append(s)
        sids.append(np.full(len(o), i, dtype=np.int64))
        orgs.append(o)
    if not xs:
        empty = np.zeros((0,), np.float32)
        return Windows(
            np.zeros((0, window, FEATURES), np.float32),
            np.zeros((0, horizon), np.float32),
            empty,
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )
    return Windows(
        np.concatenate(xs).astype(np.float32),
        np.concatenate(ys).astype(np.float32),
        np.concatenate(scales),
        np.concatenate(sids),
        np.concatenate(orgs),
    )


def training_origins(n: int, stop: int, spec: PanelSpec, newest: int | None = None) -> np.ndarray:
    """The origins whose targets all lie before row ``stop``: ``first_origin .. stop - 1 -
    horizon``, the newest ``newest`` of them when given."""
    last = stop - 1 - spec.horizon
    first = first_origin(spec)
    if newest is not None:
        first = max(first, last - newest + 1)
    return np.arange(first, last + 1) if last >= first else np.zeros(0, np.int64)
