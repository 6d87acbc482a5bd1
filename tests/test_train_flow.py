"""The train flow under a Prefect test server, with tiny configs: outputs, caching per
variant, reproducibility, artifacts, champion promotion, a Dask cluster on loopback."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows.runs import task_states
from seqcast.config import TrainConfig
from tasks.train import RunRef, load_windows, promote_champion

pytestmark = pytest.mark.usefixtures("prefect_server")

TINY = {
    "variant": {"units": 4, "layers": 1, "dense_units": 4, "learning_rate": 0.01},
    "training": {"max_epochs": 2, "patience": 1, "batch_size": 64, "seed": 1},
}


def tiny(out: Path, **kw) -> TrainConfig:
    return TrainConfig(
        **{"dataset": "weekly-temperature", "out": str(out), "workers": 2, **TINY, **kw}
    )


def run_train(cfg: TrainConfig):
    from flows.train import train

    state = train(cfg, return_state=True)
    return Path(state.result()), task_states(state.state_details.flow_run_id)


def test_train_publishes_metrics_report_models_and_caches_per_variant(out):
    """A run writes the documented files; adding a variant trains only that variant."""
    run_dir, states = run_train(tiny(out, variants=("rnn", "multi-input")))
    assert states["train-rnn"] == states["train-multi-input"] == "Completed"
    for name in (
        "metrics.json",
        "report.md",
        "report.html",
        "manifest.json",
        "scaler.json",
        "models/rnn.keras",
        "models/multi-input.keras",
        "figures/residuals.png",
    ):
        assert (run_dir / name).exists(), name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["dataset"] == "weekly-temperature"
    assert set(metrics["periods"]) == {"train", "val", "test"}
    kinds = {m["name"]: m["kind"] for m in metrics["models"]}
    assert kinds == {
        "rnn": "deep",
        "multi-input": "deep",
        "persistence": "reference",
        "seasonal-naive": "reference",
        "ridge": "reference",
        "gradient-boosting": "reference",
    }
    for m in metrics["models"]:
        for split in ("val", "test"):
            assert set(m[split]) >= {"mae", "rmse", "r2", "mase"}
    assert "champion" in metrics
    html = (run_dir / "report.html").read_text()
    assert "data:image/png;base64," in html and 'src="http' not in html
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["data_fingerprint"]["sha256"]
    assert manifest["versions"]["keras"] and manifest["training_period"]["rows"] == 105

    _, states = run_train(tiny(out, variants=("rnn", "multi-input", "gru")))
    assert states["train-rnn"] == states["train-multi-input"] == "Cached"
    assert states["train-gru"] == "Completed"
    assert states["references-t4"] == "Cached"


def test_a_trained_model_removed_by_hand_is_trained_again(out):
    """Deleting a cached variant's stored model makes only that variant train again."""
    run_train(tiny(out, variants=("rnn", "gru")))
    [gru_dir] = (out / "weekly-temperature" / "models").glob("*/gru-*")
    shutil.rmtree(gru_dir)
    run_dir, states = run_train(tiny(out, variants=("rnn", "gru")))
    assert states["train-gru"] == "Completed" and states["train-rnn"] == "Cached"
    assert (gru_dir / "model.keras").exists() and (run_dir / "models" / "gru.keras").exists()


def test_thread_runner_trains_stacked_variants_side_by_side(out):
    """Three stacked variants built and trained at once in threads of one process all finish
    (each model names its own layers, so concurrent builds cannot collide)."""
    variants = ("rnn-stacked", "lstm-stacked-flatten", "lstm-dropout")
    cfg = tiny(out, variants=variants, task_runner="thread", workers=3)
    cfg = cfg.model_copy(update={"variant": cfg.variant.model_copy(update={"layers": 3})})
    run_dir, states = run_train(cfg)
    assert all(states[f"train-{v}"] == "Completed" for v in variants)
    assert all((run_dir / "models" / f"{v}.keras").exists() for v in variants)


def test_saved_model_reloads_safely_and_reproduces_the_reported_mae(out):
    """load_model(safe_mode=True) predictions, fed as the model was trained and mapped back
    with the run's own scaler.json, give exactly the test MAE in metrics.json."""
    import keras

    from seqcast.models import model_inputs
    from seqcast.scale import to_original_units

    run_dir, _ = run_train(tiny(out, variants=("lstm",)))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    reported = next(m for m in metrics["models"] if m["name"] == "lstm")["test"]["mae"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    test = load_windows(manifest["prepared"][0])["test"]
    model = keras.models.load_model(run_dir / "models" / "lstm.keras", safe_mode=True)
    raw = model.predict(model_inputs("lstm", test.x, test.covariates), verbose=0)[:, 0]
    pred = to_original_units(raw, json.loads((run_dir / "scaler.json").read_text()))
    assert float(np.mean(np.abs(pred - test.y_raw))) == pytest.approx(reported, rel=1e-5)


def test_same_input_config_and_seed_give_the_same_metrics(tmp_path):
    """Two uncached runs (separate output roots) report identical deep-model metrics."""
    results = []
    for name in ("a", "b"):
        run_dir, states = run_train(tiny(tmp_path / name, variants=("gru",)))
        assert states["train-gru"] == "Completed"
        metrics = json.loads((run_dir / "metrics.json").read_text())
        results.append(next(m for m in metrics["models"] if m["name"] == "gru"))
    assert results[0]["val"] == results[1]["val"] and results[0]["test"] == results[1]["test"]


def test_artifacts_are_published_under_their_keys(out):
    """Leaderboard table, markdown summary and report link exist after a run."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    run_train(tiny(out, variants=("rnn",), timesteps_sweep=(3, 5)))

    async def read():
        async with get_client() as client:
            keys = [
                "weekly-temperature-leaderboard",
                "weekly-temperature-summary",
                "weekly-temperature-report",
            ]
            arts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys))
            )
            return {a.key: a for a in sorted(arts, key=lambda a: a.created)}  # newest wins

    arts = asyncio.run(read())
    assert arts["weekly-temperature-leaderboard"].type == "table"
    assert "rnn-t3" in arts["weekly-temperature-leaderboard"].data
    assert "rnn-t5" in arts["weekly-temperature-leaderboard"].data
    assert arts["weekly-temperature-summary"].type == "markdown"
    assert arts["weekly-temperature-report"].data.endswith("report.html)")


def test_promotion_keeps_the_better_champion_and_the_history(out):
    """Same data: a worse candidate does not replace the champion; new data does."""
    cfg = tiny(out)

    def run(name, mae, sha):
        return RunRef(
            run_id=name,
            dir=f"/runs/{name}",
            dataset=cfg.dataset,
            champion="lstm",
            champion_reason="",
            champion_val_mae=mae,
            champion_test_mae=mae,
            champion_model=f"/runs/{name}/models/lstm.keras",
            champion_variant="lstm",
            champion_timesteps=4,
            champion_scaler=f"/runs/{name}/scaler.json",
            data_sha256=sha,
        )

    champion_file = out / "weekly-temperature" / "champion.json"
    promote_champion.fn(cfg, run("r1", 1.0, "aaa"))
    promote_champion.fn(cfg, run("r2", 2.0, "aaa"))
    assert json.loads(champion_file.read_text())["run_id"] == "r1"
    promote_champion.fn(cfg, run("r3", 0.5, "aaa"))
    assert json.loads(champion_file.read_text())["run_id"] == "r3"
    promote_champion.fn(cfg, run("r4", 9.0, "bbb"))
    assert json.loads(champion_file.read_text())["run_id"] == "r4"
    history = (out / "weekly-temperature" / "champion_history.jsonl").read_text().splitlines()
    assert [json.loads(h)["run_id"] for h in history] == ["r1", "r3"]
    assert (
        promote_champion.fn(cfg, run("r5", 0.1, "bbb").model_copy(update={"champion": None}))
        is None
    )


def test_training_fans_out_on_an_existing_dask_cluster(out):
    """A local Dask cluster on loopback trains two variants through prefect-dask."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        cfg = tiny(
            out, variants=("rnn", "gru"), task_runner="dask", dask_address=cluster.scheduler_address
        )
        run_dir, states = run_train(cfg)
    assert states["train-rnn"] == states["train-gru"] == "Completed"
    assert (run_dir / "models" / "gru.keras").exists()


def test_log1p_target_end_to_end_train_and_forecast(out):
    """Bikes with the log1p target and MAE loss: the run's scaler.json records the transform,
    the reported test MAE is reproduced from the saved model and that file, and the champion's
    forecast is a finite count in original units (not a standardised log value)."""
    import keras

    from flows.forecast import forecast
    from seqcast.config import ForecastConfig
    from seqcast.models import model_inputs
    from seqcast.scale import to_original_units

    cfg = TrainConfig(
        dataset="bike-hourly",
        out=str(out),
        workers=1,
        variants=("gru",),
        variant={"units": 16, "learning_rate": 0.01},
        training={"max_epochs": 20, "patience": 5, "batch_size": 64, "seed": 1},
    )
    assert cfg.resolved_training.target_transform == "log1p"
    assert cfg.resolved_training.loss == "mae"
    run_dir, _ = run_train(cfg)
    scaler = json.loads((run_dir / "scaler.json").read_text())
    assert scaler["target"]["transform"] == "log1p"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    gru = next(m for m in metrics["models"] if m["name"] == "gru")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    test = load_windows(manifest["prepared"][0])["test"]
    model = keras.models.load_model(run_dir / "models" / "gru.keras", safe_mode=True)
    raw = model.predict(model_inputs("gru", test.x, test.covariates), verbose=0)[:, 0]
    pred = to_original_units(raw, scaler)
    assert float(np.mean(np.abs(pred - test.y_raw))) == pytest.approx(gru["test"]["mae"], 1e-5)
    assert metrics["champion"] == "gru"  # seeded: it beats both naive references here
    rows = pd.read_parquet(forecast(ForecastConfig(dataset="bike-hourly", out=str(out))))
    value = float(rows.iloc[-1]["prediction"])
    assert np.isfinite(value) and value > 5  # a count, not a standardised log value
