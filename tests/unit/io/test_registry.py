"""The champion alias and the forecast store under concurrent writers (real processes)."""

from __future__ import annotations

import multiprocessing as mp

import pandas as pd
import pytest

from seqcast.io.forecast_store import FORECAST_COLUMNS, append_forecasts
from seqcast.io.paths import Layout

NAME = "seqcast-bike-hourly"


def _uri(root: str) -> str:
    return f"sqlite:///{root}/mlflow.db"


def _promote(root: str, version: str, mae: float) -> None:
    """What promote-champion does: the check and the alias move under the champion lock."""
    from seqcast.io.forecast_store import locked
    from seqcast.io.tracking import RegisteredVersion, move_alias_if_better

    registered = RegisteredVersion(
        name=NAME,
        version=version,
        model_uri=f"models:/{NAME}/{version}",
        tracking_uri=_uri(root),
        backtest_mae=mae,
        data_sha256="aaa",
    )
    with locked(Layout.of(root, "bike-hourly").champion_lock):
        move_alias_if_better(registered)


def _row(model: str, prediction: float, origin: str = "2018-11-30 21:00") -> pd.DataFrame:
    """A forecast path of 2 steps from ``origin``, with an 80 % interval."""
    start = pd.Timestamp(origin)
    return pd.DataFrame(
        {
            "dataset": "bike-hourly",
            "model": model,
            "run_id": "r",
            "origin_time": start,
            "step": [1, 2],
            "target_time": [start + pd.Timedelta(hours=1), start + pd.Timedelta(hours=2)],
            "period": ["a", "b"],
            "horizon": 2,
            "prediction": [prediction, prediction + 1],
            "lower_80": [prediction - 5, prediction - 4],
            "upper_80": [prediction + 5, prediction + 6],
            "created_at": pd.Timestamp("2026-01-01"),
            "data_sha256": "aaa",
        }
    )


def _append(root: str, model: str, prediction: float, origin: str = "2018-11-30 21:00") -> None:
    append_forecasts(Layout.of(root, "bike-hourly"), _row(model, prediction, origin))


def _run_together(target, args_list) -> None:
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=target, args=args) for args in args_list]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0


@pytest.mark.slow
def test_concurrent_promotions_keep_the_better_candidate(tmp_path):
    """Eight processes promote at once over a worse champion: the alias ends on the best
    backtest MAE, and the versions it moved to (tagged promoted_at) only ever got better."""
    from mlflow.tracking import MlflowClient

    root = str(tmp_path)
    client = MlflowClient(tracking_uri=_uri(root), registry_uri=_uri(root))
    client.create_registered_model(NAME)
    maes = [10.0, 5.0, 3.0, 7.0, 1.5, 9.0, 2.0, 4.0, 6.0]
    for mae in maes:
        client.create_model_version(
            NAME, source="file:///m", tags={"data_sha256": "aaa", "backtest_mae": repr(mae)}
        )
    _promote(root, "1", 10.0)  # worse than every candidate: it must be replaced
    _run_together(_promote, [(root, str(v), m) for v, m in enumerate(maes[1:], start=2)])
    best = client.get_model_version_by_alias(NAME, "champion")
    assert float(best.tags["backtest_mae"]) == 1.5 and str(best.version) == "5"
    moved = sorted(
        (v.tags["promoted_at"], float(v.tags["backtest_mae"]))
        for v in client.search_model_versions(f"name='{NAME}'")
        if "promoted_at" in v.tags
    )
    # Whatever the order the processes took the lock in, each move went to a better model.
    assert moved[0][1] == 10.0
    assert [m for _, m in moved] == sorted((m for _, m in moved), reverse=True)


def test_concurrent_forecasts_for_the_same_origin_leave_one_path(tmp_path):
    """Six writers of a 2-step path from one origin: exactly one row per step remains; a path
    from the next origin adds its own 2 rows."""
    _run_together(_append, [(str(tmp_path), "gru", float(i)) for i in range(6)])
    _append(str(tmp_path), "lstm", 1.0, "2018-11-30 22:00")
    rows = pd.read_parquet(Layout.of(tmp_path, "bike-hourly").forecasts)
    assert rows["step"].tolist() == [1, 2, 1, 2] and len(set(rows["model"][:2])) == 1
    assert rows["model"].tolist()[2:] == ["lstm", "lstm"]
    assert list(rows.columns) == [
        *FORECAST_COLUMNS[:11], "lower_80", "upper_80", "created_at", "data_sha256"
    ]  # fmt: skip


def test_a_store_written_before_paths_gains_steps_and_keeps_its_rows(tmp_path):
    """A store of one-row forecasts (no step column): each old row is its horizon's step."""
    layout = Layout.of(tmp_path, "bike-hourly")
    old = _row("gru", 1.0).iloc[:1].drop(columns=["step", "period", "lower_80", "upper_80"])
    old["origin_time"] = pd.Timestamp("2018-11-30 19:00")
    layout.forecasts.parent.mkdir(parents=True)
    old.to_parquet(layout.forecasts)
    _append(str(tmp_path), "gru", 5.0)
    rows = pd.read_parquet(layout.forecasts)
    assert rows["step"].tolist() == [2, 1, 2] and rows["prediction"].tolist() == [1.0, 5.0, 6.0]


def test_rerun_replaces_the_row_for_the_same_target_time(tmp_path):
    """A second forecast from the same origin replaces the first path, step by step."""
    _append(str(tmp_path), "gru", 10.0)
    _append(str(tmp_path), "gru", 12.0)
    rows = pd.read_parquet(Layout.of(tmp_path, "bike-hourly").forecasts)
    assert rows["prediction"].tolist() == [12.0, 13.0]
