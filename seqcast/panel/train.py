"""The global fits of a panel train: for each evaluation (the backtest folds, then the test),
one model of a variant and seed learns from the windows of every series that end before that
evaluation's blocks, and forecasts those blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqcast.errors import DataError, Problem
from seqcast.panel import model as global_model
from seqcast.panel.data import Panel
from seqcast.panel.spec import PanelSpec
from seqcast.panel.windows import Windows, block_starts, build, first_origin, training_origins


@dataclass
class GlobalFit:
    """One variant and seed across the evaluations: its forecasts (series, evaluation, start,
    step, forecast), each fit's epochs, seconds and windows, and the test fit's model (the one
    served)."""

    variant: str
    seed: int
    forecasts: pd.DataFrame
    fits: list[dict] = field(default_factory=list)
    served: object | None = None


def fit_windows(panel: Panel, spec: PanelSpec, evaluation: str) -> tuple[Windows, Windows]:
    """(train, val) windows for ``evaluation``'s fit: every series' windows whose targets end
    before its block; each series' newest such window is the early-stopping set."""
    origins = []
    for y in panel.values:
        stop = block_starts(len(y), spec, evaluation)[0]
        origins.append(training_origins(len(y), stop, spec, spec.training.windows_per_series))
    w = build(panel.values, origins, spec.window, spec.horizon)
    newest = np.zeros(len(w), dtype=bool)
    if len(w):
        ends = np.r_[np.flatnonzero(np.diff(w.series)), len(w) - 1]  # each series' last window
        newest[ends] = True
    if newest.all():  # one window per series: nothing would be left to learn from
        return w, w
    return w.take(~newest), w.take(newest)


def forecast_windows(panel: Panel, spec: PanelSpec, evaluation: str) -> Windows:
    """The windows an evaluation forecasts from: one per block (origin = start - 1); for
    ``serve``, each series' last row."""
    origins = [
        np.asarray(
            [len(y) - 1]
            if evaluation == "serve"
            else [s - 1 for s in block_starts(len(y), spec, evaluation)],
            dtype=np.int64,
        )
        for y in panel.values
    ]
    return build(panel.values, origins, spec.window, spec.horizon)


def as_frame(panel: Panel, w: Windows, paths: np.ndarray, evaluation: str, name: str):
    """Forecasts (samples, horizon) as the long frame every candidate shares."""
    h = paths.shape[1]
    return pd.DataFrame(
        {
            "series": np.repeat(np.asarray(panel.ids, dtype=object)[w.series], h),
            "evaluation": evaluation,
            "start": np.repeat(w.origin + 1, h),
            "step": np.tile(np.arange(1, h + 1), len(w)),
            name: paths.reshape(-1),
        }
    )


def global_fit(
    panel: Panel, spec: PanelSpec, variant: str, seed: int, evaluations: list[str]
) -> GlobalFit:
    """``variant`` seeded ``seed`` fitted once per evaluation; the test fit is kept to serve."""
    frames, fits, served = [], [], None
    for ev in evaluations:
        train, val = fit_windows(panel, spec, ev)
        if len(train) == 0:
            raise DataError(
                panel.source,
                "train",
                [
                    Problem(
                        "(windows)",
                        f"no series holds a whole training window before its {ev} block "
                        f"(window {spec.window}, horizon {spec.horizon}, a season and a row "
                        f"of history: {first_origin(spec) + 1 + spec.horizon} rows before the "
                        "block)",
                    )
                ],
                hint="use fewer folds, a smaller window or horizon, or longer series",
            )
        result = global_model.fit(variant, spec, train, val, seed, len(panel))
        w = forecast_windows(panel, spec, ev)
        frames.append(
            as_frame(panel, w, global_model.predict(result.model, w, spec), ev, "forecast")
        )
        fits.append(
            {
                "evaluation": ev,
                "epochs": result.epochs,
                "seconds": round(result.seconds, 2),
                "windows": result.train_windows,
                "val_loss": result.val_loss,
            }
        )
        if ev == "test":
            served = result.model
    return GlobalFit(variant, seed, pd.concat(frames, ignore_index=True), fits, served)
