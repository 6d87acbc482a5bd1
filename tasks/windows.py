"""Loading a prepared dataset's windows for the train tasks (no tasks here)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from seqcast.config.folds import Folds
from seqcast.data.stages import SERIES_TABLE
from seqcast.data.units import FitUnits
from seqcast.data.windows import WindowSet, from_table
from seqcast.evaluation.backtest import FitPlan, fit_windows, scored_blocks, shared_truth
from seqcast.io import storage
from seqcast.io.paths import SPLITS


def load_windows(prepared_dir: str | Path) -> dict[str, WindowSet]:
    """Every split's windows, each given the target's series (``history``) they index."""
    folder = Path(prepared_dir)
    splits = {s: from_table(pq.read_table(folder / f"{s}.parquet")) for s in SPLITS}
    series = folder / f"{SERIES_TABLE}.csv"
    if not series.exists():  # prepared before the series was stored
        return splits
    history = pd.read_csv(series)["target_raw"].to_numpy(np.float64)  # (rows,)
    return {s: replace(ws, history=history) for s, ws in splits.items()}


def load_fit(
    prepared_dir: str, fit: str, folds: Folds, target_transform: str | None
) -> tuple[dict[str, WindowSet], FitUnits, FitPlan]:
    """The windows of one fit in that fit's own units (``backtest.fit_windows``)."""
    prepared = storage.read_json(Path(prepared_dir) / "scaler.json")
    return fit_windows(load_windows(prepared_dir), prepared, fit, folds, target_transform)


def scored_of(prepared: list[str], folds: Folds) -> dict[int, dict[str, WindowSet]]:
    """Every window length's scored blocks (``backtest.scored_blocks``), in the order given:
    timesteps -> fold name / "test" -> windows."""
    blocks = {}
    for prepared_dir in prepared:
        splits = load_windows(prepared_dir)
        blocks[int(splits["train"].meta["timesteps"])] = scored_blocks(splits, folds)
    return blocks


def truth_of(prepared: list[str], folds: Folds) -> dict[str, np.ndarray]:
    """The actual target of every scored fit, original units: fold name / "test" ->
    (samples, steps); every window length of a sweep must score the same target times
    (``backtest.shared_truth``)."""
    return shared_truth(scored_of(prepared, folds))
