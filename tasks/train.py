"""Tasks of the ``train`` flow: fit each variant and the references (cached), publish a run,
promote a champion."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from prefect import task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE, CachePolicy
from prefect.runtime import flow_run
from pydantic import BaseModel

import seqcast
from seqcast import storage
from seqcast.config import TrainConfig
from seqcast.evaluate import (
    EVAL_SPLITS,
    Candidate,
    best_reference,
    choose_champion,
    feature_profile,
    leaderboard,
)
from seqcast.models import VariantConfig
from seqcast.paths import SPLITS, Layout
from seqcast.references import reference_predictions
from seqcast.registry import promote
from seqcast.report import ReportInput, render
from seqcast.scale import AffineScaler, target_document, to_original_units
from seqcast.train import TrainingConfig, fit_with_retry, limit_threads, with_model_target
from seqcast.windows import WindowSet, from_table
from tasks.caching import refreshed_if_missing
from tasks.progress import EpochProgress

# Bump when training or reference code changes: part of their cache keys.
TRAIN_CODE_VERSION = "5"
_VERSION_KEY = CachePolicy.from_cache_key_fn(lambda ctx, params: TRAIN_CODE_VERSION)
TRAIN_CACHE = (INPUTS - "threads") + TASK_SOURCE + _VERSION_KEY


class TrainedRef(BaseModel):
    """A trained variant: where its model is, its curves and its val/test predictions."""

    variant: str
    label: str
    timesteps: int
    prepared_dir: str
    dir: str
    model: str
    history: dict[str, list[float]]
    best_epoch: int
    seconds: float
    params: int
    predictions: dict[str, list[float]]  # split -> model target units (scaled if scaled)
    scaler: dict  # the scaler document that maps these predictions to original units
    collapsed_attempts: list[dict] = []  # fits that collapsed and were retried with a new seed
    config: dict


class ReferenceRef(BaseModel):
    timesteps: int
    prepared_dir: str
    predictions: dict[str, dict[str, list[float]]]  # reference -> split -> original units


class RunRef(BaseModel):
    run_id: str
    dir: str
    dataset: str
    champion: str | None
    champion_reason: str
    champion_val_mae: float | None
    champion_test_mae: float | None
    champion_model: str | None
    champion_variant: str | None
    champion_timesteps: int | None
    champion_scaler: str | None
    data_sha256: str


def load_windows(prepared_dir: str | Path) -> dict[str, WindowSet]:
    return {s: from_table(pq.read_table(Path(prepared_dir) / f"{s}.parquet")) for s in SPLITS}


def label_of(variant: str, timesteps: int, sweep: bool) -> str:
    return f"{variant}-t{timesteps}" if sweep else variant


def _training_config(vcfg: VariantConfig, tcfg: TrainingConfig) -> dict:
    return {"variant": vcfg.model_dump(), "training": tcfg.model_dump()}


def _model_dir(prepared_dir: str, variant: str, config: dict) -> Path:
    layout, key = Layout.of_prepared(prepared_dir)
    return layout.model_dir(key, variant, _hash(config))


def variant_task(prepared_dir: str, variant: str, vcfg: VariantConfig, tcfg: TrainingConfig):
    """The ``train_variant`` task to submit: cached while the variant's stored model is there,
    trained again (refreshing the cache record) when it was removed after it was cached."""
    final = _model_dir(prepared_dir, variant, _training_config(vcfg, tcfg))
    return refreshed_if_missing(train_variant, [final / "model.keras", final / "trained.json"])


@task(name="train-variant", task_run_name="train-{label}", cache_policy=TRAIN_CACHE)
def train_variant(
    prepared_dir: str,
    timesteps: int,
    variant: str,
    vcfg: VariantConfig,
    tcfg: TrainingConfig,
    label: str,
    threads: int,
) -> TrainedRef:
    """Train one variant on one prepared dataset; cached on exactly these inputs."""
    limit_threads(threads)
    prepared = load_windows(prepared_dir)
    scaler = storage.read_json(Path(prepared_dir) / "scaler.json")
    if tcfg.target_transform == "log1p":
        scaler = {**scaler, "target": target_document(prepared["train"].y_raw, "log1p")}
    splits = with_model_target(prepared, scaler["target"])
    config = _training_config(vcfg, tcfg)
    final = _model_dir(prepared_dir, variant, config)
    progress = EpochProgress(tcfg.max_epochs or 1)
    with storage.staged_dir(final) as tmp:
        _, trained, collapsed = fit_with_retry(
            variant, vcfg, tcfg, splits, tmp / "model.keras", progress
        )
        progress.finish(trained.history["val_loss"])
        storage.write_json(
            tmp / "trained.json",
            {
                "history": trained.history,
                "best_epoch": trained.best_epoch,
                "seconds": trained.seconds,
                "params": trained.params,
                "target": scaler["target"],
                "collapsed_attempts": collapsed,
                **config,
            },
        )
    return TrainedRef(
        variant=variant,
        label=label,
        timesteps=timesteps,
        prepared_dir=prepared_dir,
        dir=str(final),
        model=str(final / "model.keras"),
        history=trained.history,
        best_epoch=trained.best_epoch,
        seconds=trained.seconds,
        params=trained.params,
        predictions={s: trained.predictions[s].tolist() for s in EVAL_SPLITS},
        scaler=scaler,
        collapsed_attempts=collapsed,
        config=config,
    )


@task(name="fit-references", task_run_name="references-t{timesteps}", cache_policy=TRAIN_CACHE)
def fit_references(prepared_dir: str, timesteps: int, seed: int, threads: int) -> ReferenceRef:
    """Persistence, seasonal-naive, ridge and gradient boosting on the same windows."""
    splits = load_windows(prepared_dir)
    preds = reference_predictions(splits["train"], {s: splits[s] for s in EVAL_SPLITS}, seed)
    return ReferenceRef(
        timesteps=timesteps,
        prepared_dir=prepared_dir,
        predictions={n: {s: v.tolist() for s, v in p.items()} for n, p in preds.items()},
    )


def _hash(obj: dict) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:12]


def _versions() -> dict:
    libs = [
        "prefect",
        "tensorflow",
        "keras",
        "pandas",
        "pandera",
        "scikit-learn",
        "pyarrow",
        "numpy",
    ]
    out = {lib: metadata.version(lib) for lib in libs}
    out["seqcast"] = seqcast.__version__
    try:
        root = Path(__file__).resolve().parents[1]
        commit = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        out["code"] = commit
    except (OSError, subprocess.SubprocessError):
        out["code"] = f"seqcast {seqcast.__version__} (no git checkout)"
    return out


def _run_id() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run = flow_run.get_id() or ""
    return f"{stamp}-{str(run)[:8] or 'local'}"


@task(name="publish-run", task_run_name="publish-run", cache_policy=NO_CACHE)
def publish_run(
    config: TrainConfig,
    prepared_dirs: list[str],
    trained: list[TrainedRef],
    references: list[ReferenceRef],
) -> RunRef:
    """Evaluate every candidate identically and write the run directory atomically."""
    sweep = len(prepared_dirs) > 1
    first = prepared_dirs[0]
    splits = load_windows(first)
    truth = {s: splits[s].y_raw for s in EVAL_SPLITS}
    for other in prepared_dirs[1:]:
        o = load_windows(other)
        for s in EVAL_SPLITS:
            if not np.array_equal(o[s].target_time, splits[s].target_time):
                raise ValueError("window lengths of a sweep must share evaluation target times")
    scalers = {d: storage.read_json(Path(d) / "scaler.json") for d in prepared_dirs}
    summaries = {d: storage.read_json(Path(d) / "summary.json") for d in prepared_dirs}
    summary = summaries[first]

    candidates = []
    for t in trained:
        preds = {s: to_original_units(t.predictions[s], t.scaler) for s in EVAL_SPLITS}
        candidates.append(
            Candidate(
                t.label,
                "deep",
                preds,
                {
                    "timesteps": t.timesteps,
                    "best_epoch": t.best_epoch,
                    "train_seconds": round(t.seconds, 2),
                    "params": t.params,
                    **({"retried_after": t.collapsed_attempts} if t.collapsed_attempts else {}),
                },
            )
        )
    for ref in references:
        for name, ref_preds in ref.predictions.items():
            naive = name in ("persistence", "seasonal-naive")
            if naive and ref is not references[0]:
                continue  # the same forecast at every window length
            label = name if naive else label_of(name, ref.timesteps, sweep)
            arrays = {s: np.asarray(ref_preds[s], dtype=np.float64) for s in EVAL_SPLITS}
            candidates.append(
                Candidate(
                    label, "reference", arrays, {"timesteps": None if naive else ref.timesteps}
                )
            )
    persistence = next(c for c in candidates if c.name == "persistence").predictions
    board = leaderboard(candidates, truth, persistence)
    champion, reason = choose_champion(board)

    feature_scaler = AffineScaler.from_dict(scalers[first]["features"])
    last_rows = {s: feature_scaler.inverse(splits[s].x[:, -1, :]) for s in SPLITS}
    profile = feature_profile(last_rows, splits["train"].feature_names)
    run_id = _run_id()
    layout = Layout.of(config.out, config.dataset)
    final = layout.run_dir(run_id)
    versions = _versions()
    periods = summary["split_periods"]
    report = render(
        ReportInput(
            dataset=config.dataset,
            run_id=run_id,
            board=board,
            champion=champion,
            champion_reason=reason,
            periods=periods,
            test_times=splits["test"].target_time,
            test_truth=truth["test"],
            test_predictions={c.name: c.predictions["test"] for c in candidates},
            histories={t.label: t.history for t in trained},
            profile=profile,
            config=config.model_dump(mode="json"),
            fingerprint=summary["data_fingerprint"],
            versions=versions,
            units=config.spec.target,
            loss_label=config.loss_label,
            settings=config.settings_used(),
        )
    )
    metrics = {
        "dataset": config.dataset,
        "run_id": run_id,
        "periods": {
            s: {"start": p["target_start"], "end": p["target_end"], "rows": p["rows"]}
            for s, p in periods.items()
        },
        "percentage_error": "wape: 100 * sum|error| / sum|actual|",
        "models": board,
        "champion": champion,
        "champion_reason": reason,
    }
    with storage.staged_dir(final) as tmp:
        storage.write_json(tmp / "metrics.json", metrics)
        storage.write_text(tmp / "report.md", report.markdown)
        storage.write_text(tmp / "report.html", report.html)
        for name, png in report.figures.items():
            storage.write_bytes(tmp / "figures" / name, png)
        for t in trained:
            (tmp / "models").mkdir(exist_ok=True)
            shutil.copyfile(t.model, tmp / "models" / f"{t.label}.keras")
        for d in prepared_dirs:
            suffix = f"-t{summaries[d]['timesteps']}" if sweep else ""
            # the variants' own (one target transform per run), else the prepared one
            used = next((t.scaler for t in trained if t.prepared_dir == d), scalers[d])
            storage.write_json(tmp / f"scaler{suffix}.json", used)
        storage.write_json(
            tmp / "manifest.json",
            {
                "run_id": run_id,
                "dataset": config.dataset,
                "created": datetime.now(UTC).isoformat(),
                "seed": config.training.seed,
                "config": config.model_dump(mode="json"),
                "variants": {t.label: t.config for t in trained},
                "data_fingerprint": summary["data_fingerprint"],
                "source": summary["source"],
                "prepared": prepared_dirs,
                "training_period": periods["train"],
                "scaler_fitted_on": summary["scaler_fitted_on"],
                "versions": versions,
                "metrics": {e["name"]: {"val": e["val"], "test": e["test"]} for e in board},
                "champion": champion,
            },
        )
    champ = next((e for e in board if e["name"] == champion), None)
    champ_t = next((t for t in trained if t.label == champion), None)
    run = RunRef(
        run_id=run_id,
        dir=str(final),
        dataset=config.dataset,
        champion=champion,
        champion_reason=reason,
        champion_val_mae=champ["val"]["mae"] if champ else None,
        champion_test_mae=champ["test"]["mae"] if champ else None,
        champion_model=str(final / "models" / f"{champion}.keras") if champion else None,
        champion_variant=champ_t.variant if champ_t else None,
        champion_timesteps=champ_t.timesteps if champ_t else None,
        champion_scaler=(
            str(final / (f"scaler-t{champ_t.timesteps}.json" if sweep else "scaler.json"))
            if champ_t
            else None
        ),
        data_sha256=summary["data_fingerprint"]["sha256"],
    )
    _publish_artifacts(run, board, champ_t.timesteps if champ_t else None, best_reference(board))
    return run


def _publish_artifacts(run: RunRef, board: list[dict], timesteps, best_ref) -> None:
    rows = [
        {
            "model": e["name"],
            "kind": e["kind"],
            **{
                f"{s}_{m}": round(e[s][m], 4) if e[s] else None
                for s in EVAL_SPLITS
                for m in ("mae", "rmse", "r2", "mase", "wape")
            },
        }
        for e in board
    ]
    key = run.dataset.replace("_", "-")
    create_table_artifact(
        key=f"{key}-leaderboard",
        table=rows,
        description=f"{run.dataset} leaderboard, run {run.run_id}",
    )
    champ = (
        f"**{run.champion}** (val MAE {run.champion_val_mae:.4g}, test MAE "
        f"{run.champion_test_mae:.4g}, {timesteps} timesteps)"
        if run.champion
        else "none promoted"
    )
    create_markdown_artifact(
        key=f"{key}-summary",
        markdown=(
            f"# {run.dataset} run {run.run_id}\n\nChampion: {champ}.\n\n"
            f"{run.champion_reason}.\n\nBest reference: {best_ref}.\n\n"
            f"Run directory: `{run.dir}`\n"
        ),
        description="training run summary",
    )
    create_link_artifact(
        key=f"{key}-report",
        link=Path(run.dir, "report.html").as_uri(),
        link_text="report.html",
        description="full evaluation report",
    )


@task(name="promote-champion", task_run_name="promote-champion", cache_policy=NO_CACHE)
def promote_champion(config: TrainConfig, run: RunRef) -> dict | None:
    """Replace ``champion.json`` when this run's champion is better (``registry.promote``)."""
    if run.champion is None:
        return None
    layout = Layout.of(config.out, config.dataset)
    candidate = {
        "dataset": run.dataset,
        "run_id": run.run_id,
        "model": run.champion,
        "model_path": run.champion_model,
        "variant": run.champion_variant,
        "timesteps": run.champion_timesteps,
        "scaler_path": run.champion_scaler,
        "run_dir": run.dir,
        "val_mae": run.champion_val_mae,
        "test_mae": run.champion_test_mae,
        "data_sha256": run.data_sha256,
        "promoted_at": datetime.now(UTC).isoformat(),
    }
    return promote(layout, candidate)
