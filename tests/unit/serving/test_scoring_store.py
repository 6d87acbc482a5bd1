"""scored.parquet under concurrent forecast runs and a run killed mid-write: every served row
scored exactly once, the file always whole."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import pandas as pd
import pytest

from seqcast.io import storage
from seqcast.io.paths import Layout
from seqcast.serving.scoring import update_scored

T = pd.Timestamp("2024-01-01")
H = pd.Timedelta(hours=1)


def _served(layout: Layout, origins: int = 30) -> pd.Series:
    """``origins`` hourly origins, 3 steps each, written to forecasts.parquet; the actuals of
    every target time but the last two. Returns the actuals."""
    rows = [
        {
            "model": "gru",
            "model_version": "1",
            "origin_time": T + i * H,
            "step": s,
            "target_time": T + (i + s) * H,
            "prediction": float(i + s),
        }
        for i in range(origins)
        for s in (1, 2, 3)
    ]
    storage.write_frame(layout.forecasts, pd.DataFrame(rows))
    times = [T + k * H for k in range(1, origins + 1)]
    return pd.Series([float(k) + 0.5 for k in range(1, origins + 1)], index=times)


def _score_many(root: str, times: int) -> None:
    layout = Layout(Path(root), "d")
    actuals = pd.read_pickle(layout.base / "actuals.pkl")
    for _ in range(times):
        update_scored(layout, actuals, pd.Timestamp("2024-02-01"))


def test_two_runs_scoring_at_once_score_every_row_exactly_once(tmp_path):
    """Two processes score the same store 15 times each, side by side: the result is the
    single run's, every (origin, step) once."""
    layout = Layout(tmp_path, "d")
    actuals = _served(layout)
    actuals.to_pickle(layout.base / "actuals.pkl")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_score_many, args=(str(tmp_path), 15)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    scored = storage.read_frame(layout.scored)
    assert not scored.duplicated(["origin_time", "step"]).any()
    # 30 origins x 3 steps = 90 rows; target times up to T+30h have actuals: 90 - 3 (origin
    # 28's step 3, origin 29's steps 2 and 3) = 87
    assert len(scored) == 87
    assert (scored["error"] == -0.5).all()


def _hold_lock(root: str, seconds: float) -> None:
    from seqcast.io.forecast_store import locked

    with locked(Layout(Path(root), "d").scored_lock):
        (Path(root) / "held").write_text("1")
        time.sleep(seconds)


@pytest.mark.slow
def test_a_run_waits_for_the_one_holding_the_store(tmp_path):
    """Another process holds the store's lock for 2 s: scoring waits for it, then scores."""
    layout = Layout(tmp_path, "d")
    actuals = _served(layout, origins=3)
    holder = mp.get_context("spawn").Process(target=_hold_lock, args=(str(tmp_path), 2.0))
    holder.start()
    deadline = time.monotonic() + 60
    while not (tmp_path / "held").exists():
        assert time.monotonic() < deadline and holder.is_alive()
        time.sleep(0.05)
    start = time.monotonic()
    result = update_scored(layout, actuals, T)
    waited = time.monotonic() - start
    holder.join(30)
    assert waited >= 1.5, waited
    assert result is not None and result.added == 6


def test_a_run_killed_while_writing_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    """The first scoring writes the file; a second one with a revised actual dies inside the
    parquet write: the file on disk is the first one, readable, and no temporary is left."""
    layout = Layout(tmp_path, "d")
    actuals = _served(layout, origins=5)
    update_scored(layout, actuals, T)
    before = storage.read_frame(layout.scored)

    def die(self, path, *args, **kwargs):
        with open(path, "wb") as half:
            half.write(b"PAR1 half a file")
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", die)
    revised = actuals.copy()
    revised.iloc[0] = 99.0
    with pytest.raises(KeyboardInterrupt):
        update_scored(layout, revised, T + H)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(storage.read_frame(layout.scored), before)
    assert [p.name for p in layout.base.iterdir() if p.name.endswith(".tmp")] == []
