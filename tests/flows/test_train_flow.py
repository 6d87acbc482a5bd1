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

from seqcast.app.runs import run_tree, task_states
from seqcast.config import TrainConfig
from tasks.windows import load_fit, load_windows
from tests.conftest import CHEAP_REFERENCES, PROJECT_ROOT, best_deep, tiny_in_process

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

TINY = {
    "variant": {"units": 4, "layers": 1, "dense_units": 4, "learning_rate": 0.01},
    "training": {"max_epochs": 2, "patience": 1, "batch_size": 64, "seed": 1},
    "selection": {"folds": 2, "seeds": 1, "shortlist": 0, "ensemble_size": 0},
}
# Enough training for sound deep fits on the synthetic bike sample, whose rentals depend on
# hour, weekday, temperature and rain non-linearly (tiny fits there may collapse to a flat
# forecast, and the seeds test must compare two sound ones).
SOUND = {
    "dataset": "bike-hourly",
    "timesteps": 12,
    "variants": ("gru",),
    "variant": {"units": 16, "learning_rate": 0.01},
    "training": {"max_epochs": 20, "patience": 5, "seed": 1},
    "selection": {"folds": 1, "seeds": 1, "shortlist": 0, "ensemble_size": 3},
}


def tiny(out: Path, **kw) -> TrainConfig:
    return TrainConfig(
        **{
            "dataset": "weekly-temperature",
            "out": str(out),
            "workers": 2,
            "references": CHEAP_REFERENCES,
            **TINY,
            **kw,
        }
    )


def fits_of(variant: str, seed: int = 1, folds: int = 2) -> list[str]:
    names = [*(f"fold-{k}" for k in range(1, folds + 1)), "pretest"]
    return [f"{variant}-s{seed}-{fit}" for fit in names]


def run_train(cfg: TrainConfig):
    from flows.train import train

    state = train(cfg, return_state=True)
    return Path(state.result()), task_states(state.state_details.flow_run_id)


def test_a_champion_with_two_references_prints_one_line_per_step(out):
    """An ensemble holding several references (ridge, ets, lag-boosting on this sample): all
    are refitted in one served task, and no two task runs of the run share a name (the
    console prints a line per task run: one served task per reference, each named
    references-t4-all, printed that line twice)."""
    from flows.train import train

    cfg = TrainConfig(
        dataset="weekly-temperature",
        out=str(out),
        horizon=1,  # one step: on the sample, ridge and gradient boosting join the ensemble
        steps="last",
        task_runner="thread",
        workers=1,
        variants=("rnn",),
        training={"max_epochs": 2, "seed": 42},
        selection={"folds": 1, "seeds": 1, "shortlist": 0, "ensemble_size": 5},
    )
    state = train(cfg, return_state=True)
    bundle = json.loads((Path(state.result()) / "champion" / "bundle.json").read_text())
    refs = [m["label"] for m in bundle["members"] if m["kind"] == "reference"]
    assert len(refs) >= 2 and len(set(refs)) == len(refs), refs
    tree = run_tree(state.state_details.flow_run_id)
    names = [r["name"] for r in tree if r["kind"] == "task"]
    assert [n for n in names if names.count(n) > 1] == []
    assert "references-t4-all" in names


def test_train_publishes_metrics_report_and_caches_per_fit(out):
    """A run with the default references (every one) writes the documented files; every
    candidate has backtest, validation and test figures; adding a variant fits only that
    variant (every fit of the others is Cached)."""
    run_dir, states = run_train(tiny(out, variants=("rnn", "multi-input"), references=None))
    assert all(states[f] == "Completed" for f in fits_of("rnn") + fits_of("multi-input"))
    for name in (
        "metrics.json",
        "report.md",
        "report.html",
        "manifest.json",
        "figures/residuals.png",
        "figures/backtest_folds.png",
        "predictions.parquet",
    ):
        assert (run_dir / name).exists(), name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    # every leaderboard figure comes back from the published forecasts
    table = pd.read_parquet(run_dir / "predictions.parquet")
    mae = table.groupby(["model", "fit"])["error"].apply(lambda e: e.abs().mean())
    for m in metrics["models"]:
        if m.get("unavailable"):  # seasonal-naive: fold 1's first origins lack a year before
            assert m["name"] == "seasonal-naive" and "non-finite" in m["unavailable"]
            continue
        assert [mae[(m["name"], f)] for f in ("fold-1", "fold-2")] == pytest.approx(
            m["backtest"]["fold_mae"]
        )
        assert mae[(m["name"], "test")] == pytest.approx(m["test"]["mae"])
    assert metrics["dataset"] == "weekly-temperature"
    # the fits' seconds by kind: both variants' two folds (base seed), every reference
    kinds = {r["kind"]: r for r in metrics["fit_seconds"]}
    assert kinds["deep: backtest folds, base seed"]["fits"] == 2 * 2
    assert kinds["deep: refits before the test period"]["fits"] == 2
    assert all(r["seconds"] > 0 for r in metrics["fit_seconds"] if r["kind"].startswith("deep"))
    assert "reference ridge: backtest and pretest fits" in kinds
    # the report's warnings travel with the run, for the console's closing lines
    html_text = (run_dir / "report.html").read_text()
    assert all(w.split(":")[0] in html_text for w in metrics["warnings"])
    assert metrics["champion_label"].startswith(metrics["champion"])
    # the nested check: the champion rule chosen on fold 1 scored on fold 2, and back
    assert [r["chosen_on"] for r in metrics["nested_check"]] == [["fold-1"], ["fold-2"]]
    assert all(r["scored_on"] != r["chosen_on"] for r in metrics["nested_check"])
    # the champion's intervals adapt online at a rate chosen on the backtest, served with it
    champ = next(m for m in metrics["models"] if m["name"] == metrics["champion"])
    online = champ["intervals"]["online"]
    assert online["rate"] in (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
    assert len(online["test"]["80"]["coverage_by_step"]) == 4
    bundle = json.loads((run_dir / "champion" / "bundle.json").read_text())
    assert bundle["intervals"]["online"] == {"rate": online["rate"]}
    assert "Nested check: chosen on fold-1 only" in (run_dir / "report.md").read_text()
    assert set(metrics["periods"]) == {"train", "val", "test"}
    assert list(metrics["fits"]) == ["fold-1", "fold-2", "pretest", "all"]
    # the newest fold is scored on exactly the validation split
    assert metrics["fits"]["fold-2"]["scored"]["target_start"].startswith(
        metrics["periods"]["val"]["start"][:10]
    )
    kinds = {m["name"]: m["kind"] for m in metrics["models"]}
    assert kinds == {
        "rnn": "deep",
        "multi-input": "deep",
        "persistence": "reference",
        "seasonal-naive": "reference",
        "drift": "reference",
        "ridge": "reference",
        "gradient-boosting": "reference",
        "lag-boosting": "reference",
        "ets": "reference",
        "theta": "reference",
        "arima": "reference",
    }
    for m in metrics["models"]:
        if m.get("unavailable"):
            continue
        assert len(m["backtest"]["fold_mae"]) == 2
        assert len(m["backtest"]["mae_by_step"]) == len(m["test"]["mae_by_step"]) == 4
        assert m["val"]["mae"] == m["backtest"]["fold_mae"][-1]
        assert set(m["test"]) >= {"mae", "rmse", "r2", "mase"}
    html = (run_dir / "report.html").read_text()
    assert "data:image/png;base64," in html and 'src="http' not in html
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["data_fingerprint"]["sha256"]
    splits = load_windows(manifest["prepared"][0])
    pre = len(splits["train"]) + len(splits["val"])
    # the 3 windows before the test whose later steps' targets lie after its first origin
    assert manifest["fits"]["pretest"]["train"]["windows"] == pre - 3
    assert manifest["fits"]["all"]["train"]["windows"] == pre + len(splits["test"])

    _, states = run_train(tiny(out, variants=("rnn", "multi-input", "gru"), references=None))
    assert all(states[f] == "Cached" for f in fits_of("rnn") + fits_of("multi-input"))
    assert all(states[f] == "Completed" for f in fits_of("gru"))
    assert states["references-t4-fold-1"] == states["references-t4-pretest"] == "Cached"


def test_thread_runner_trains_stacked_variants_side_by_side(out):
    """Three stacked variants built and trained at once in threads of one process all finish
    (each model names its own layers, so concurrent builds cannot collide)."""
    variants = ("rnn-stacked", "lstm-stacked-flatten", "lstm-dropout")
    one_fold = {**TINY["selection"], "folds": 1}
    cfg = tiny(out, variants=variants, task_runner="thread", workers=3, selection=one_fold)
    cfg = cfg.model_copy(update={"variant": cfg.variant.model_copy(update={"layers": 2})})
    _, states = run_train(cfg)
    assert all(states[f] == "Completed" for v in variants for f in fits_of(v, folds=1))


def test_seeds_shortlist_and_ensemble(out):
    """Two seeds for the one shortlisted variant (the better of two on the backtest): its
    seed ensemble is a candidate and the mean of its seeds' predictions; the ensemble is a
    candidate with its members and weights named, starting from the best deep candidate and
    no worse than it on the backtest."""
    cfg = tiny(
        out,
        **{
            **SOUND,
            "variants": ("rnn", "gru"),
            "selection": {"folds": 1, "seeds": 2, "shortlist": 1, "ensemble_size": 3},
            "task_runner": "thread",
            "workers": 1,
        },
    )
    run_dir, states = run_train(cfg)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    board = {m["name"]: m for m in metrics["models"]}
    sound = [v for v in ("rnn", "gru") if not board[v].get("collapsed")]
    assert sound, "both fits collapsed: the test would prove nothing"
    best = min(sound, key=lambda v: board[v]["backtest"]["mae"])
    other = "gru" if best == "rnn" else "rnn"
    assert all(states[f] == "Completed" for f in fits_of(best, 2, folds=1))
    assert not any(f in states for f in fits_of(other, 2, folds=1))
    assert board[f"{best}-x2"]["seeds"] == [1, 2]
    ens = board["ensemble"]
    assert sum(ens["weights"].values()) == pytest.approx(1.0, abs=1e-3)
    assert set(ens["weights"]) == set(ens["members"]) and len(ens["members"]) >= 2
    deep = [m for m in board.values() if m["kind"] == "deep" and not m.get("collapsed")]
    first = min(deep, key=lambda m: m["backtest"]["mae"])
    assert ens["members"][0] == first["name"]
    assert ens["backtest"]["mae"] < first["backtest"]["mae"]
    assert metrics["seeds"] == [1, 2]


def test_same_input_config_and_seed_give_the_same_metrics(tmp_path):
    """Two uncached runs (separate output roots) report identical metrics."""
    results = []
    one_fold = {**TINY["selection"], "folds": 1}
    for name in ("a", "b"):
        run_dir, states = run_train(tiny(tmp_path / name, variants=("gru",), selection=one_fold))
        assert all(states[f] == "Completed" for f in fits_of("gru", folds=1))
        metrics = json.loads((run_dir / "metrics.json").read_text())
        results.append(next(m for m in metrics["models"] if m["name"] == "gru"))
    for key in ("backtest", "val", "test"):
        assert results[0][key] == results[1][key]


def test_served_champion_reproduces_its_bundle_and_is_fitted_again_when_removed(out, monkeypatch):
    """The champion's members are refitted on every window and copied into the run's
    champion/ folder with bundle.json; the forecast serves their mean. Removing a served
    model by hand makes only that fit run again."""
    from flows.forecast import forecast
    from seqcast.config import ForecastConfig

    monkeypatch.setattr("seqcast.evaluation.selection.choose_champion", best_deep)
    served_gru = {
        "variants": ("gru",),
        "selection": {**TINY["selection"], "folds": 1},
        "task_runner": "thread",
        "workers": 1,
    }
    run_dir, states = run_train(tiny(out, **served_gru))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["champion"] == "gru"
    bundle = json.loads((run_dir / "champion" / "bundle.json").read_text())
    assert bundle["candidate"] == metrics["champion"]
    for member in bundle["members"]:
        assert (run_dir / "champion" / member["file"]).exists()
        assert member["units"]["fitted_on"]["fit"] == "all"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["served_model_trained_on"]["target_end"] == metrics["periods"]["test"]["end"]
    assert states["gru-s1-all"] == "Completed"
    rows = pd.read_parquet(forecast(ForecastConfig(dataset="weekly-temperature", out=str(out))))
    last = rows.iloc[-1]
    assert last["model"] == metrics["champion"] and np.isfinite(last["prediction"])

    [served] = (out / "weekly-temperature" / "models").glob("*/gru-*")
    shutil.rmtree(served)
    run_dir, states = run_train(tiny(out, **served_gru))
    assert states["gru-s1-all"] == "Completed"
    assert states["gru-s1-fold-1"] == states["gru-s1-pretest"] == "Cached"
    assert (served / "model.keras").exists()


def test_artifacts_are_published_under_their_keys(out):
    """Leaderboard table, markdown summary and report link exist after a run."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    run_train(tiny(out, variants=("rnn",), timesteps_sweep=(3, 5), task_runner="thread"))

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


def test_training_fans_out_on_an_existing_dask_cluster(out):
    """A local Dask cluster on loopback trains two variants through prefect-dask."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        cfg = tiny(
            out, variants=("rnn", "gru"), task_runner="dask", dask_address=cluster.scheduler_address
        )
        _, states = run_train(cfg)
    assert all(states[f] == "Completed" for v in ("rnn", "gru") for f in fits_of(v))


def test_log1p_target_units_of_every_fit(out):
    """Bikes with the log1p target and MAE loss: every fit's units record the transform,
    fitted on that fit's own training targets, and predictions come back as counts."""
    cfg = TrainConfig(
        dataset="bike-hourly",
        out=str(out),
        task_runner="thread",
        workers=1,
        variants=("gru",),
        references=CHEAP_REFERENCES,
        variant={"units": 8, "learning_rate": 0.01},
        training={"max_epochs": 3, "patience": 2, "batch_size": 64, "seed": 1},
        selection={"folds": 1, "fold_start": 0, "seeds": 1, "shortlist": 0, "ensemble_size": 0},
    )
    assert cfg.resolved_training.target_transform == "log1p"
    assert cfg.resolved_training.loss == "mae"
    run_dir, _ = run_train(cfg)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    gru = next(m for m in metrics["models"] if m["name"] == "gru")
    assert gru["test"]["mae"] < 5_000  # counts, not a standardised log value
    manifest = json.loads((run_dir / "manifest.json").read_text())
    splits = load_windows(manifest["prepared"][0])
    assert manifest["fits"]["fold-1"]["scored"]["windows"] == len(splits["val"])
    parts, doc, plan = load_fit(manifest["prepared"][0], "fold-1", 1, "log1p")
    assert doc.target is not None and doc.target["transform"] == "log1p"
    assert doc.fitted_on is not None
    assert doc.fitted_on.windows == len(plan.train) == len(parts["train"])
    log_train = np.log1p(parts["train"].y_raw)
    assert doc.target["mean"] == pytest.approx([log_train.mean()])  # its own rows only


def test_auto_target_transform_is_chosen_on_the_backtest_and_used_by_every_fit(out, tmp_path):
    """The weekly sample with a fall of 0.1 degree a week added: "auto" tries gradient
    boosting on the level, the change and the normalised change on the backtest folds
    (measured: the change wins), picks differencing, and
    every fit of the run (deep and references) learns the change; the run records why."""
    raw = pd.read_csv(PROJECT_ROOT / "data" / "raw" / "weekly_temperature_sample.csv")
    raw["AvgTemp"] = raw["AvgTemp"] - 0.1 * np.arange(len(raw))  # within the spec's -35 .. 45
    source = tmp_path / "falling.csv"
    raw.to_csv(source, index=False)
    tiny = tiny_in_process("weekly-temperature", out, source=str(source))
    cfg = tiny.model_copy(
        update={"training": tiny.training.model_copy(update={"target_transform": "auto"})}
    )
    run_dir, _ = run_train(cfg)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    choice = metrics["target_transform"]
    assert choice["chosen"] == "difference", choice
    assert set(choice["backtest_mae"]) == {"none", "difference", "normalize"}
    assert choice["backtest_mae"]["difference"] < choice["backtest_mae"]["none"]
    assert (
        "Target transform 'difference' chosen on the backtest"
        in (run_dir / "report.md").read_text()
    )
    bundle = json.loads((run_dir / "champion" / "bundle.json").read_text())
    assert all(m["units"]["target"]["transform"] == "difference" for m in bundle["members"]
               if m["units"].get("target"))  # fmt: skip
    # the fitted references learn a normalised target too when the run asks for one
    from tasks.fit import fit_references, run_plan

    prepared = json.loads((run_dir / "manifest.json").read_text())["prepared"][0]
    fitted = ("ridge", "gradient-boosting", "lag-boosting")
    job = run_plan(cfg).reference_job(cfg.resolved_timesteps, "fold-1", fitted)
    refs = fit_references.fn(job, prepared, 1, 1, "normalize")
    assert [r.label for r in refs] == list(fitted)
    assert all(r.scaler.target["transform"] == "normalize" for r in refs if r.label in fitted)
