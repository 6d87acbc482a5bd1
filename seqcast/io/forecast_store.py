"""The cross-process lock (around the champion alias's check-and-move) and the forecast
store: read-modify-write under a file lock, the file replaced atomically, so concurrent runs
never lose or half-write a record."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from seqcast.io import storage
from seqcast.io.paths import Layout

# The forecast store's schema: one row per (target_time, model).
FORECAST_COLUMNS = [
    "dataset",
    "model",
    "run_id",
    "origin_time",
    "target_time",
    "horizon",
    "prediction",
    "created_at",
    "data_sha256",
]


def upsert(existing: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """Append ``new`` rows; a row for the same (target_time, model) replaces the old one."""
    if existing is None or existing.empty:
        return new[FORECAST_COLUMNS].reset_index(drop=True)
    keys = new.set_index(["target_time", "model"]).index
    keep = ~existing.set_index(["target_time", "model"]).index.isin(keys)
    out = pd.concat([existing[keep], new], ignore_index=True)
    return out.sort_values(["target_time", "model"]).reset_index(drop=True)[FORECAST_COLUMNS]


@contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """An exclusive lock held across processes (released when the process dies, too)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def append_forecasts(layout: Layout, rows: pd.DataFrame) -> Path:
    """Upsert ``rows`` into ``forecasts.parquet`` (one row per target time and model)."""
    with locked(layout.forecasts_lock):
        existing = storage.read_frame(layout.forecasts) if layout.forecasts.exists() else None
        storage.write_frame(layout.forecasts, upsert(existing, rows))
    return layout.forecasts
