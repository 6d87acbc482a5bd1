"""The champion record and the forecast store: read-modify-write under a file lock, every
file replaced atomically, so concurrent runs never lose or half-write a record."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from seqcast import storage
from seqcast.forecast import upsert
from seqcast.paths import Layout


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


def promote(layout: Layout, candidate: dict, on_promote: Callable[[], None] | None = None) -> dict:
    """Make ``candidate`` the champion unless the current one is at least as good.

    A champion trained on the same data (``data_sha256``) is replaced only by a lower mean
    backtest MAE; one trained on other data, or recorded before backtests, is replaced.
    Every replaced champion is kept in ``champion_history.jsonl``. ``on_promote`` runs under
    the lock once the candidate has won, before anything is written (the model registry's
    alias is moved there): if it fails, nothing changes. Returns the champion in force
    afterwards.
    """
    with locked(layout.champion_lock):
        current = storage.read_json(layout.champion) if layout.champion.exists() else None
        if (
            current
            and current.get("data_sha256") == candidate["data_sha256"]
            and current.get("backtest_mae") is not None
            and current["backtest_mae"] <= candidate["backtest_mae"]
        ):
            return current
        if on_promote is not None:
            on_promote()
        if current:
            past = layout.champion_history.read_text() if layout.champion_history.exists() else ""
            entry = {**current, "replaced_at": candidate["promoted_at"]}
            storage.write_text(layout.champion_history, past + json.dumps(entry) + "\n")
        storage.write_json(layout.champion, candidate)
        return candidate


def append_forecasts(layout: Layout, rows: pd.DataFrame) -> Path:
    """Upsert ``rows`` into ``forecasts.parquet`` (one row per target time and model)."""
    with locked(layout.forecasts_lock):
        existing = storage.read_frame(layout.forecasts) if layout.forecasts.exists() else None
        storage.write_frame(layout.forecasts, upsert(existing, rows))
    return layout.forecasts
