"""MLflow tracking: what a run records (pure functions) and a real local store after a tiny
training run (params, metrics, per-epoch history in nested runs, artifacts, tags)."""

from __future__ import annotations

import json

import pytest

from seqcast.io.tracking import fit_histories, run_metrics, run_params, tracking_uri

BOARD = [
    {
        "name": "gru",
        "kind": "deep",
        "backtest": {"mae": 2.0, "rmse": 3.0, "r2": 0.5, "mase": 0.9, "wape": 10.0},
        "val": {"mae": 2.5, "rmse": 3.5, "r2": 0.4, "mase": 1.0, "wape": 11.0},
        "test": None,
    }
]


def test_metrics_are_named_candidate_split_metric():
    got = run_metrics(BOARD)
    assert got["gru/backtest/mae"] == 2.0 and got["gru/val/wape"] == 11.0
    assert len(got) == 10  # no test figures: nothing invented for them


def test_per_step_and_interval_figures_are_logged_by_name():
    entry = {
        **BOARD[0],
        "backtest": {**BOARD[0]["backtest"], "mae_by_step": [1.5, 2.5]},
        "intervals": {
            "backtest": {
                "80": {"coverage": 0.79, "width": 4.0, "winkler": 6.0, "coverage_by_step": []},
                "pinball": 0.7,
            },
            "test": None,
        },
    }
    got = run_metrics([entry])
    assert got["gru/backtest/mae_step_2"] == 2.5
    assert got["gru/backtest/coverage_80"] == 0.79 and got["gru/backtest/winkler_80"] == 6.0
    assert got["gru/backtest/pinball"] == 0.7 and not any(k.startswith("gru/test") for k in got)


def test_params_are_the_settings_used_as_strings():
    params = run_params(
        [("timesteps", "24", "dataset default"), ("seed", "42", "default")], {"seeds": [42, 43]}
    )
    assert params == {"timesteps": "24", "seed": "42", "seeds": "[42, 43]"}


def test_only_deep_fits_with_a_history_get_a_nested_run():
    fits = [
        {
            "kind": "deep",
            "label": "gru",
            "seed": 42,
            "fit": "fold-1",
            "history": {"loss": [0.3, 0.2], "val_loss": [0.4, 0.35]},
        },
        {"kind": "reference", "label": "ridge", "seed": None, "fit": "fold-1", "history": {}},
        {"kind": "deep", "label": "gru", "seed": 42, "fit": "all", "history": {}},
    ]
    assert fit_histories(fits) == [
        ("gru-s42-fold-1", {"loss": [0.3, 0.2], "val_loss": [0.4, 0.35]})
    ]


def test_tracking_uri_option_then_environment_then_local_sqlite(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking_uri(tmp_path) == f"sqlite:///{tmp_path.resolve()}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    assert tracking_uri(tmp_path) == "http://mlflow:5000"
    assert tracking_uri(tmp_path, "sqlite:////x/db") == "sqlite:////x/db"


@pytest.mark.slow
@pytest.mark.xdist_group("weekly-run")  # one worker trains the shared run
def test_a_training_run_is_tracked_in_a_local_store(weekly_run):
    """The MLflow client sees the run in the output root's own store: params, every
    candidate's metrics, the loss per epoch of each deep fit in a nested run, the report and
    manifest as artifacts, the tags."""
    from mlflow.tracking import MlflowClient

    out, run_dir = weekly_run
    assert (out / "mlflow.db").is_file()
    client = MlflowClient(tracking_uri=f"sqlite:///{out.resolve()}/mlflow.db")
    exp = client.get_experiment_by_name("seqcast-weekly-temperature")
    runs = client.search_runs([exp.experiment_id])
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert parent.info.run_name == metrics["run_id"]
    assert (
        parent.data.tags["seqcast.data_sha256"]
        == json.loads((run_dir / "manifest.json").read_text())["data_fingerprint"]["sha256"]
    )
    assert parent.data.params["timesteps"] == "4" and parent.data.params["seed"] == "1"
    rnn = next(e for e in metrics["models"] if e["name"] == "rnn")
    assert parent.data.metrics["rnn/backtest/mae"] == pytest.approx(rnn["backtest"]["mae"])
    assert parent.data.metrics["ridge/test/mae"] > 0
    assert sorted(c.info.run_name for c in children) == ["rnn-s1-fold-1", "rnn-s1-pretest"]
    fold = next(c for c in children if c.info.run_name == "rnn-s1-fold-1")
    history = client.get_metric_history(fold.info.run_id, "loss")
    assert [m.step for m in history] == list(range(1, len(history) + 1)) and len(history) >= 1
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"report.html", "manifest.json", "metrics.json", "predictions.parquet"} <= artifacts
