"""The ``refresh`` mode of the train flow: the served champion's members refitted on every
row of a longer source for their recorded epochs, published, registered and served, with no
backtest and the promise of the run it refreshes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqcast.errors import ConfigError
from tests.conftest import PROJECT_ROOT, best_deep, tiny_in_process

pytestmark = pytest.mark.usefixtures("prefect_server")

SAMPLE = PROJECT_ROOT / "data" / "raw" / "weekly_temperature_sample.csv"


@pytest.mark.slow
def test_a_refresh_refits_the_champion_on_the_newer_rows_and_serves_it(tmp_path, monkeypatch):
    """With warm-started refits (share 0.5) throughout: the train run's refit before the test
    period starts from its fold's weights and its served fit from that refit's; the bundle
    carries the served weights, and the refresh continues from them."""
    from flows.forecast import forecast_in_process
    from flows.train import train
    from seqcast.app.runs import task_states
    from seqcast.config import ForecastConfig
    from seqcast.io import storage

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr("seqcast.evaluation.selection.choose_champion", best_deep)
    started_from: list[Path] = []  # the weights each warm-started fit read (threads: one process)
    read_weights = storage.read_weights

    def spy(path, sha256=None):
        started_from.append(Path(path))
        return read_weights(path, sha256)

    monkeypatch.setattr(storage, "read_weights", spy)
    raw = pd.read_csv(SAMPLE)
    source = tmp_path / "newest.csv"
    raw.iloc[:-10].to_csv(source, index=False)
    out = tmp_path / "out"
    cfg = tiny_in_process("weekly-temperature", out, source=str(source), warm_refit=0.5)
    first = Path(train(cfg))
    old = json.loads((first / "champion" / "bundle.json").read_text())
    assert old["members"][0]["epochs"] >= 1  # recorded: what a refresh refits for
    # the pretest refit started from fold-1's weights, the served fit from the refit's
    fold_weights = started_from[0]
    fold, pretest = (json.loads((p.parent / "trained.json").read_text()) for p in started_from)
    assert [fold["fit"], pretest["fit"]] == ["fold-1", "pretest"]
    member = old["members"][0]
    kept = first / "champion" / member["weights"]
    assert storage.read_weights(kept, member["weights_sha256"])  # the served weights, whole
    # rerun alone while debugging, the refit starts from the same fold weights: same forecasts
    from flows.run_stage import rerun

    started_from.clear()
    folder = Path(rerun("rnn-s1-pretest", cfg))
    (refit,) = json.loads((folder / "fit.json").read_text())
    stored = pd.read_parquet(first / "predictions.parquet")
    test = stored[(stored["model"] == "rnn") & (stored["fit"] == "test")]
    assert np.asarray(refit["predictions"]).reshape(-1) == pytest.approx(
        test["predicted"].to_numpy(), rel=1e-6
    )
    assert [p.parent for p in started_from] == [fold_weights.parent]
    started_from.clear()

    raw.to_csv(source, index=False)  # ten more weeks
    # a form with other settings: the champion's run's own settings decide the fit
    cfg = tiny_in_process("weekly-temperature", out, source=str(source), epochs=9)
    state = train(cfg.model_copy(update={"mode": "refresh"}), return_state=True)
    run = Path(state.result())
    states = task_states(state.state_details.flow_run_id)
    assert "plan-refresh" in states and "publish-refresh" in states
    assert not any("fold" in name or "pretest" in name for name in states)  # no backtest
    assert started_from == [kept]  # the refresh continued from the served weights

    metrics = json.loads((run / "metrics.json").read_text())
    bundle = json.loads((run / "champion" / "bundle.json").read_text())
    assert metrics["mode"] == "refresh" and metrics["refreshed_from"]["run_id"] == first.name
    assert bundle["candidate"] == old["candidate"]
    assert bundle["promise"] == old["promise"] and bundle["intervals"] == old["intervals"]
    assert [m["epochs"] for m in bundle["members"]] == [m["epochs"] for m in old["members"]]
    assert [m["weight"] for m in bundle["members"]] == [m["weight"] for m in old["members"]]
    # fitted on the ten newer weeks too: its last target time is the file's last
    new_end = pd.Timestamp(bundle["trained_on"]["target_end"])
    assert new_end > pd.Timestamp(old["trained_on"]["target_end"])
    assert bundle["trained_on"]["windows"] == old["trained_on"]["windows"] + 10

    forecast_in_process(
        ForecastConfig(dataset="weekly-temperature", source=str(source), out=str(out))
    )
    served = pd.read_parquet(out / "weekly-temperature" / "forecasts.parquet")
    assert served["run_id"].unique().tolist() == [run.name]  # the refresh is served
    assert served["model_version"].unique().tolist() == ["2"]


def test_a_refresh_without_a_champion_says_to_train_in_full(tmp_path, monkeypatch):
    from flows.train import refresh

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = tiny_in_process("weekly-temperature", tmp_path / "out")
    with pytest.raises(ConfigError, match="no champion of weekly-temperature; train in full"):
        refresh.fn(cfg)
