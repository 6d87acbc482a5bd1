"""The forecast flow scores every earlier served forecast once its actual is in the source:
a week of the sample at a time, as a deployment would see the file grow."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from seqcast.config import ForecastConfig
from tests.conftest import PROJECT_ROOT, best_deep, tiny_in_process

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

SAMPLE = PROJECT_ROOT / "data" / "raw" / "weekly_temperature_sample.csv"


def test_served_forecasts_are_scored_once_when_their_actuals_arrive(tmp_path, monkeypatch, caplog):
    """Train on the sample less its last 8 weeks and forecast 4 weeks; reveal 2 more weeks:
    the next forecast scores steps 1 and 2 of the first path against the file's values (error
    = forecast - actual) and waits for steps 3 and 4. The same file again adds nothing; a
    corrected value in the file is rescored, kept in revised_from and logged."""
    from flows.forecast import forecast_in_process
    from flows.train import train

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr("seqcast.evaluation.selection.choose_champion", best_deep)
    raw = pd.read_csv(SAMPLE)
    source = tmp_path / "newest.csv"
    raw.iloc[:-8].to_csv(source, index=False)
    out = tmp_path / "out"
    train(tiny_in_process("weekly-temperature", out, source=str(source)))
    cfg = ForecastConfig(dataset="weekly-temperature", source=str(source), out=str(out))
    base = out / "weekly-temperature"

    forecast_in_process(cfg)
    first = pd.read_parquet(base / "forecasts.parquet")
    assert len(first) == 4 and not (base / "scored.parquet").exists()  # nothing served before
    raw.iloc[:-6].to_csv(source, index=False)  # two more weeks
    forecast_in_process(cfg)
    scored = pd.read_parquet(base / "scored.parquet")
    assert scored["step"].tolist() == [1, 2]
    assert (scored["origin_time"] == first["origin_time"].iloc[0]).all()
    revealed = raw.iloc[-8:-6]["AvgTemp"].tolist()
    assert scored["actual"].tolist() == pytest.approx(revealed)
    expected = first.set_index("step").loc[[1, 2], "prediction"].to_numpy() - revealed
    assert scored["error"].to_numpy() == pytest.approx(expected)
    assert scored["model_version"].tolist() == ["1", "1"]

    from seqcast.config import LiveConfig
    from seqcast.io.paths import Layout
    from seqcast.serving.status import status_lines

    lines = status_lines(Layout(out, "weekly-temperature"), LiveConfig(min_scored=1))
    assert lines[0].startswith("8 forecast row(s) served, 2 scored against their actuals")
    assert lines[1].startswith("model version 1 (rnn), window 8 periods:")
    assert "live quality over 2 scored forecast(s)" in lines[2]
    assert lines[-2].startswith("  step 1: 1 scored, live MAE")

    # a champion whose intervals adapt online (rate 0.5: every move is half the 80 % width
    # times miss - 0.1) serves the next path with step 1's offsets moved by its one scored
    # step-1 forecast, and step 3's, which has none scored, at the static ones
    (served,) = base.rglob("artifacts/champion/bundle.json")
    doc = json.loads(served.read_text())
    lower, upper = (doc["intervals"]["offsets"]["0.8"][k] for k in ("lower", "upper"))
    doc["intervals"]["online"] = {"rate": 0.5}
    served.write_text(json.dumps(doc))
    forecast_in_process(cfg)  # the same file: nothing new to score, the path made again
    path = pd.read_parquet(base / "forecasts.parquet")
    path = path[path["origin_time"] == path["origin_time"].max()].set_index("step")
    r = -float(scored.set_index("step").loc[1, "error"])  # actual - forecast
    eta = 0.5 * (upper[0] - lower[0])
    moved = upper[0] + eta * (float(r > upper[0]) - 0.1)
    assert path.loc[1, "upper_80"] - path.loc[1, "prediction"] == pytest.approx(moved)
    assert path.loc[3, "upper_80"] - path.loc[3, "prediction"] == pytest.approx(upper[2])
    pd.testing.assert_frame_equal(pd.read_parquet(base / "scored.parquet"), scored)

    fixed = raw.iloc[:-6].copy()
    fixed.loc[fixed.index[-1], "AvgTemp"] = revealed[1] + 1.5  # the source corrects a value
    fixed.to_csv(source, index=False)
    with caplog.at_level(logging.WARNING):
        forecast_in_process(cfg)
    again = pd.read_parquet(base / "scored.parquet").set_index(["origin_time", "step"])
    row = again.loc[(first["origin_time"].iloc[0], 2)]
    assert row["actual"] == pytest.approx(revealed[1] + 1.5)
    assert row["revised_from"] == pytest.approx(revealed[1])
    assert any("revised actual" in r.getMessage() for r in caplog.records)
