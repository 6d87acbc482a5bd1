"""A many-series train and forecast through the flows: a small synthetic panel with a bad and
a short series, trained on threads (one global GRU, three references), then served."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqcast.panel.synthetic import panel_frame

pytestmark = pytest.mark.slow

SPEC = """
name = "mini-panel"
series = "series"
target = "value"
period = 4
horizon = 4
test = 4
folds = 2
window = 8
sample_file = "mini.csv"

[time]
column = "time"
kind = "step"

[training]
variants = ["gru"]
units = 8
max_epochs = 3
patience = 2
seeds = 1
references = ["naive", "seasonal-naive", "theta"]
chunk_size = 3
"""


@pytest.fixture(scope="module")
def panel_run(prefect_server, tmp_path_factory):
    from flows.panel import forecast_panel, train_panel
    from seqcast.panel.config import PanelRunConfig

    root = tmp_path_factory.mktemp("panel")
    frame = panel_frame(6, (30, 40), 4, seed=3)
    frame["value"] = frame["value"].astype(object)
    frame.loc[frame.index[frame["series"] == "s00002"][5], "value"] = "n/a"  # a text cell
    short = pd.DataFrame({"series": "tiny", "time": range(6), "value": 1.0})
    pd.concat([frame, short]).to_csv(root / "mini.csv", index=False)
    (root / "mini.toml").write_text(SPEC)
    cfg = PanelRunConfig(
        dataset=str(root / "mini.toml"), out=str(root / "out"), task_runner="thread"
    )
    run = Path(train_panel(cfg))
    served = pd.read_parquet(forecast_panel(cfg))  # read now: a later test forecasts again
    return cfg, run, served, frame


def test_the_train_scores_every_good_series_and_reports_the_bad_ones(panel_run):
    _, run, _, _ = panel_run
    m = json.loads((run / "metrics.json").read_text())
    assert m["series"] == 5
    reasons = " | ".join(m["left_out"])
    assert "series 's00002': text or a value that is not finite in target 'value' (line" in reasons
    assert "series 'tiny': 6 rows, too short: needs 17" in reasons
    assert set(m["candidates"]) >= {"naive", "seasonal-naive", "theta", "gru"}
    assert m["champion"] in m["candidates"]
    # chosen on the backtest: nothing has a lower backtest MASE than the champion
    best = min(c["backtest MASE"] for c in m["candidates"].values())
    assert m["candidates"][m["champion"]]["backtest MASE"] == best
    assert m["wins"]["test"]["series"] == 5
    page = (run / "report.html").read_text()
    assert "s00002" in page and 'id="pick"' in page


def test_scored_blocks_are_each_series_last_rows_and_never_leak(panel_run):
    _, run, _, frame = panel_run
    f = pd.read_parquet(run / "forecasts.parquet")
    lengths = frame.groupby("series").size()
    for sid, g in f.groupby("series"):
        n = lengths[sid]
        starts = {ev: set(x["start"]) for ev, x in g.groupby("evaluation")}
        assert starts == {"test": {n - 4}, "fold-1": {n - 8}, "fold-2": {n - 12}}
    w = pd.read_parquet(run / "windows.parquet")  # the test fit's training windows
    ends = w["origin"] + 4  # each window's last target row
    assert (ends < w["series"].map(lengths) - 4).all()


def test_the_forecast_serves_every_series_with_intervals(panel_run):
    _cfg, _run, f, frame = panel_run

    assert sorted(f["series"].unique()) == ["s00001", "s00003", "s00004", "s00005", "s00006"]
    assert len(f) == 5 * 4
    assert (f["lower_80"] <= f["forecast"]).all() and (f["forecast"] <= f["upper_95"]).all()
    last = frame.groupby("series")["time"].max()
    one = f[f["series"] == "s00001"]
    np.testing.assert_array_equal(one["time"], last["s00001"] + np.arange(1, 5))


def test_the_next_forecast_scores_what_was_served_and_flags_a_broken_promise(panel_run):
    """New actuals arrive (each series' four served steps, ten times the forecast): the next
    forecast run scores them per series, over series, and says the promise is broken."""
    from flows.panel import forecast_panel
    from seqcast.panel.config import PanelRunConfig

    cfg, _, first, frame = panel_run
    good = frame[frame["series"] != "s00002"]
    arrived = first.rename(columns={"time": "time"})[["series", "time", "forecast"]]
    arrived = arrived.assign(value=arrived["forecast"] * 10).drop(columns="forecast")
    newer = pd.concat([good, arrived], ignore_index=True)
    source = Path(cfg.out).parent / "newer.csv"
    newer.to_csv(source, index=False)
    again = PanelRunConfig(**{**cfg.model_dump(), "source": str(source)})
    forecast_panel(again)
    base = Path(cfg.out) / "mini-panel"
    scored = pd.read_parquet(base / "panel-scored.parquet")
    assert len(scored) == 5 * 4
    np.testing.assert_allclose(scored["abs_error"], 9 * scored["forecast"].abs())
    status = json.loads((base / "panel-status.json").read_text())
    assert status["scored_series"] == 5 and status["degraded"] is True
    assert status["ratio"] > 1.5
    history = pd.read_parquet(base / "panel-served.parquet")
    assert len(history) == 2 * 5 * 4  # both runs' forecasts, one row per series/origin/step


def test_status_prints_the_live_quality(panel_run, capsys):
    from seqcast.app.cli import main

    cfg, _, _, _ = panel_run
    assert main(["status", "--dataset", cfg.dataset, "--out", cfg.out]) == 0
    out = capsys.readouterr().out
    assert "mini-panel: champion" in out and "5 series scored" in out and "DEGRADED" in out


def test_the_registered_pyfunc_model_takes_a_long_frame(panel_run):
    """The MLflow model forecasts exactly what the forecast run served, from the same rows."""
    import mlflow

    _cfg, run, first, frame = panel_run
    m = json.loads((run / "metrics.json").read_text())["mlflow"]
    mlflow.set_tracking_uri(m["tracking_uri"])
    try:
        model = mlflow.pyfunc.load_model(f"models:/{m['model']}@champion")
    finally:
        mlflow.set_tracking_uri(None)
    good = frame[frame["series"].isin(["s00001", "s00003"])].astype(str)
    out = model.predict(good)
    expected = first[first["series"].isin(["s00001", "s00003"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(out.reset_index(drop=True), expected, check_dtype=False)
