"""Champion record and forecast store under concurrent writers (real processes)."""

from __future__ import annotations

import json
import multiprocessing as mp

import pandas as pd

from seqcast.forecast import FORECAST_COLUMNS
from seqcast.paths import Layout
from seqcast.registry import append_forecasts, promote


def _candidate(run_id: str, mae: float, sha: str = "aaa") -> dict:
    return {
        "run_id": run_id,
        "backtest_mae": mae,
        "data_sha256": sha,
        "promoted_at": f"2026-01-01T00:00:0{run_id[-1]}",
    }


def _promote(root: str, run_id: str, mae: float) -> None:
    promote(Layout.of(root, "bike-hourly"), _candidate(run_id, mae))


def _row(model: str, prediction: float) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "dataset": "bike-hourly",
                "model": model,
                "run_id": "r",
                "origin_time": pd.Timestamp("2018-11-30 21:00"),
                "target_time": pd.Timestamp("2018-11-30 23:00"),
                "horizon": 2,
                "prediction": prediction,
                "created_at": pd.Timestamp("2026-01-01"),
                "data_sha256": "aaa",
            }
        ],
        columns=FORECAST_COLUMNS,
    )


def _append(root: str, model: str, prediction: float) -> None:
    append_forecasts(Layout.of(root, "bike-hourly"), _row(model, prediction))


def _run_together(target, args_list) -> None:
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=target, args=args) for args in args_list]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0


def test_concurrent_promotions_keep_the_better_candidate(tmp_path):
    """Eight processes promote at once over a worse champion: champion.json is whole and names
    the best MAE; every replaced champion, the first included, is in the history."""
    _promote(str(tmp_path), "r0", 10.0)  # worse than every candidate: it must be replaced
    maes = [5.0, 3.0, 7.0, 1.5, 9.0, 2.0, 4.0, 6.0]
    _run_together(_promote, [(str(tmp_path), f"r{i + 1}", m) for i, m in enumerate(maes)])
    layout = Layout.of(tmp_path, "bike-hourly")
    champion = json.loads(layout.champion.read_text())
    assert champion["backtest_mae"] == 1.5 and champion["run_id"] == "r4"
    history = [json.loads(line) for line in layout.champion_history.read_text().splitlines()]
    assert history[0]["run_id"] == "r0"
    # Whatever the order the processes took the lock in, each replaced champion was worse than
    # the one that replaced it: the history's MAEs only go down, and all exceed the winner's.
    maes_seen = [h["backtest_mae"] for h in history]
    assert maes_seen == sorted(maes_seen, reverse=True) and min(maes_seen) > 1.5
    assert not list(layout.base.glob(".*.tmp"))  # no temporary file left behind


def test_concurrent_forecasts_for_the_same_target_leave_one_row(tmp_path):
    """Six writers for one target time and model: exactly one row remains."""
    _run_together(_append, [(str(tmp_path), "gru", float(i)) for i in range(6)])
    _append(str(tmp_path), "lstm", 1.0)
    rows = pd.read_parquet(Layout.of(tmp_path, "bike-hourly").forecasts)
    assert sorted(rows["model"]) == ["gru", "lstm"]
    assert len(rows) == 2


def test_rerun_replaces_the_row_for_the_same_target_time(tmp_path):
    """A second forecast for the same target time and model replaces the first."""
    _append(str(tmp_path), "gru", 10.0)
    _append(str(tmp_path), "gru", 12.0)
    rows = pd.read_parquet(Layout.of(tmp_path, "bike-hourly").forecasts)
    assert rows["prediction"].tolist() == [12.0]
