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

# The forecast store's schema: one row per (origin_time, step), then one lower and one upper
# bound column per interval level (``lower_80``, ``upper_80``, ...) before ``created_at``.
FORECAST_COLUMNS = [
    "dataset",
    "model",
    "run_id",
    "model_version",
    "promoted_as",
    "origin_time",
    "step",
    "target_time",
    "period",
    "horizon",
    "prediction",
    "created_at",
    "data_sha256",
]
KEY = ["origin_time", "step"]


def columns_of(frame: pd.DataFrame) -> list[str]:
    """:data:`FORECAST_COLUMNS` with the frame's bound columns before ``created_at``."""
    bounds = sorted(
        (c for c in frame.columns if c.startswith(("lower_", "upper_"))),
        key=lambda c: (float(c.split("_", 1)[1]), c.startswith("upper")),
    )
    at = FORECAST_COLUMNS.index("created_at")
    return FORECAST_COLUMNS[:at] + bounds + FORECAST_COLUMNS[at:]


def _upgraded(existing: pd.DataFrame) -> pd.DataFrame:
    """A store written before forecast paths: each row was the one step ``horizon``."""
    out = existing.copy()
    if "step" not in out:
        out["step"] = out["horizon"]
    if "period" not in out:
        out["period"] = out["target_time"].astype(str)
    if "model_version" not in out:
        out["model_version"] = ""  # not recorded before it was
    if "promoted_as" not in out:
        out["promoted_as"] = ""
    return out


def upsert(existing: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """Append ``new`` rows; a row for the same origin and step replaces the old one (a rerun
    for an origin replaces its path, never duplicates it). Rows of either side lacking a
    column added since (``step``, ``period``, ``model_version``, ``promoted_as``) get it."""
    new = _upgraded(new)
    if existing is None or existing.empty:
        return new[columns_of(new)].sort_values(KEY).reset_index(drop=True)
    existing = _upgraded(existing)
    keys = new.set_index(KEY).index
    keep = ~existing.set_index(KEY).index.isin(keys)
    out = pd.concat([existing[keep], new], ignore_index=True)
    return out.sort_values(KEY).reset_index(drop=True)[columns_of(out)]


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
    """Upsert ``rows`` into ``forecasts.parquet`` (one row per origin time and step)."""
    with locked(layout.forecasts_lock):
        existing = storage.read_frame(layout.forecasts) if layout.forecasts.exists() else None
        storage.write_frame(layout.forecasts, upsert(existing, rows))
    return layout.forecasts
