"""Tasks of the ``train`` flow: fit each variant and the references (cached), publish a run,
promote a champion."""

from __future__ import annotations

import json
import subprocess
import time
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
from seqcast.config import TrainConfig
from seqcast.data.scale import to_original_units
from seqcast.data.windows import WindowSet, from_table
from seqcast.evaluation.backtest import (
    SERVE_FIT,
    FitPlan,
    concat,
    fit_units,
    fold_names,
    plans_for,
    scored_blocks,
    shared_truth,
)
from seqcast.evaluation.leaderboard import best_reference, shortlist
from seqcast.evaluation.selection import Ranking, rank_fits
from seqcast.io import storage
from seqcast.io.forecast_store import locked
from seqcast.io.paths import SPLITS, Layout, run_name
from seqcast.models.deep import VariantConfig
from seqcast.models.fitting import TrainingConfig, fit_with_retry, limit_threads
from seqcast.models.references import (
    FITTED,
    fit_reference,
    naive_predictions,
    predict_reference,
    save_reference,
)
from seqcast.report.documents import run_documents
from tasks.caching import refreshed_if_missing
from tasks.progress import EpochProgress

# Bump when training or reference code changes: part of their cache keys.
TRAIN_CODE_VERSION = "6"
_VERSION_KEY = CachePolicy.from_cache_key_fn(lambda ctx, params: TRAIN_CODE_VERSION)
TRAIN_CACHE = (INPUTS - "threads") + TASK_SOURCE + _VERSION_KEY


class FitRef(BaseModel):
    """One fit of one model: a deep variant with one seed, or a reference, on one backtest
    fold, the refit before the test period (``pretest``) or the served refit (``all``)."""

    label: str  # the variant's label (``lstm``; ``lstm-t48`` in a sweep) or the reference
    kind: str  # "deep" or "reference"
    variant: str | None
    seed: int | None
    fit: str
    timesteps: int
    prepared_dir: str
    predictions: list[float]  # on the fit's scored block, original units; [] for "all"
    best_epoch: int | None = None
    epochs: int | None = None  # epochs trained
    seconds: float = 0.0
    history: dict[str, list[float]] = {}
    params: int | None = None
    collapsed_attempts: list[dict] = []  # fits that collapsed and were retried with a new seed
    model: str | None = None  # the stored model (served fits only)
    scaler: dict = {}  # the fit's own units, in scaler.json form
    config: dict = {}


def load_windows(prepared_dir: str | Path) -> dict[str, WindowSet]:
    return {s: from_table(pq.read_table(Path(prepared_dir) / f"{s}.parquet")) for s in SPLITS}


def fit_parts(
    prepared_dir: str, fit: str, folds: int, target_transform: str | None
) -> tuple[dict[str, WindowSet], dict, FitPlan]:
    """The windows of one fit in that fit's own units (``backtest.fit_units``)."""
    splits = load_windows(prepared_dir)
    prepared = storage.read_json(Path(prepared_dir) / "scaler.json")
    if target_transform == "log1p":
        target = "log1p"
    else:
        target = "scale" if prepared["target"] is not None else "none"
    plan = plans_for(splits, folds)[fit]
    parts, doc = fit_units(concat(splits), plan, prepared, prepared["features"]["kind"], target)
    return parts, doc, plan


def _training_config(
    vcfg: VariantConfig, tcfg: TrainingConfig, fit: str, folds: int, epochs: int | None
) -> dict:
    return {
        "variant": vcfg.model_dump(),
        "training": tcfg.model_dump(),
        "fit": fit,
        "folds": folds,
        "epochs": epochs,
    }


def _model_dir(prepared_dir: str, variant: str, config: dict) -> Path:
    layout, key = Layout.of_prepared(prepared_dir)
    return layout.model_dir(key, variant, _hash(config))


def deep_task(
    prepared_dir: str,
    variant: str,
    vcfg: VariantConfig,
    tcfg: TrainingConfig,
    fit: str,
    folds: int,
    epochs: int | None,
):
    """The ``fit_deep`` task to submit: a served fit is cached while its stored model is
    there, and fitted again (refreshing the cache record) when it was removed."""
    if fit != SERVE_FIT:
        return fit_deep
    final = _model_dir(prepared_dir, variant, _training_config(vcfg, tcfg, fit, folds, epochs))
    return refreshed_if_missing(fit_deep, [final / "model.keras", final / "trained.json"])


@task(name="fit-deep", task_run_name="{label}-s{seed}-{fit}", cache_policy=TRAIN_CACHE)
def fit_deep(
    prepared_dir: str,
    timesteps: int,
    variant: str,
    label: str,
    seed: int,
    vcfg: VariantConfig,
    tcfg: TrainingConfig,
    fit: str,
    folds: int,
    epochs: int | None,
    threads: int,
) -> FitRef:
    """Fit one deep variant with one seed on one fit's windows; cached on exactly these
    inputs. Backtest folds early-stop on their own newest windows; refits (``pretest``,
    ``all``) train ``epochs`` epochs. A served (``all``) fit stores its model."""
    limit_threads(threads)
    tcfg = tcfg.model_copy(update={"seed": seed})
    parts, doc, _ = fit_parts(prepared_dir, fit, folds, tcfg.target_transform)
    splits = {"train": parts["train"]}
    if "early_stop" in parts:
        splits["val"] = parts["early_stop"]
    if "scored" in parts:
        splits["scored"] = parts["scored"]
    config = _training_config(vcfg, tcfg, fit, folds, epochs)
    progress = EpochProgress(epochs or tcfg.max_epochs or 1)
    model_path: str | None = None
    if fit == SERVE_FIT:
        final = _model_dir(prepared_dir, variant, config)
        with storage.staged_dir(final) as tmp:
            _, trained, collapsed = fit_with_retry(
                variant, vcfg, tcfg, splits, tmp / "model.keras", progress, epochs=epochs
            )
            storage.write_json(
                tmp / "trained.json",
                {"history": trained.history, "seconds": trained.seconds, "units": doc, **config},
            )
        model_path = str(final / "model.keras")
    else:
        _, trained, collapsed = fit_with_retry(
            variant, vcfg, tcfg, splits, None, progress, epochs=epochs
        )
    progress.finish(trained.history)
    scored = trained.predictions.get("scored")
    return FitRef(
        label=label,
        kind="deep",
        variant=variant,
        seed=seed,
        fit=fit,
        timesteps=timesteps,
        prepared_dir=prepared_dir,
        predictions=[] if scored is None else to_original_units(scored, doc).tolist(),
        best_epoch=trained.best_epoch,
        epochs=len(trained.history["loss"]),
        seconds=trained.seconds,
        history=trained.history,
        params=trained.params,
        collapsed_attempts=collapsed,
        model=model_path,
        scaler=doc,
        config=config,
    )


@task(
    name="fit-references", task_run_name="references-t{timesteps}-{fit}", cache_policy=TRAIN_CACHE
)
def fit_references(
    prepared_dir: str,
    timesteps: int,
    fit: str,
    folds: int,
    seed: int,
    threads: int,
    serve: tuple[str, ...] = (),
) -> list[FitRef]:
    """Persistence, seasonal-naive, ridge and gradient boosting on one fit's windows (the
    same windows and units as the deep fits), each on at most ``threads`` threads. For the
    served fit (``all``), the references named in ``serve`` are fitted and stored in skops'
    format. No TensorFlow here: the references do not use it."""
    parts, doc, _ = fit_parts(prepared_dir, fit, folds, None)
    out: list[FitRef] = []
    common = FitRef(
        label="",
        kind="reference",
        variant=None,
        seed=seed,
        fit=fit,
        timesteps=timesteps,
        prepared_dir=prepared_dir,
        predictions=[],
        scaler=doc,
    )
    if fit == SERVE_FIT:
        layout, key = Layout.of_prepared(prepared_dir)
        for name in serve:
            final = layout.model_dir(key, name, _hash({"fit": fit, "seed": seed}))
            with storage.staged_dir(final) as tmp:
                model = fit_reference(name, parts["train"], seed, threads)
                save_reference(model, tmp / "model.skops")
            out.append(
                common.model_copy(update={"label": name, "model": str(final / "model.skops")})
            )
        return out
    scored = parts["scored"]
    for name, values in naive_predictions(scored).items():
        out.append(common.model_copy(update={"label": name, "predictions": values.tolist()}))
    for name in FITTED:
        start = time.perf_counter()
        model = fit_reference(name, parts["train"], seed, threads)
        values = predict_reference(model, scored, threads)
        seconds = time.perf_counter() - start
        out.append(
            common.model_copy(
                update={"label": name, "predictions": values.tolist(), "seconds": seconds}
            )
        )
    return out


def truth_of(prepared: list[str], folds: int) -> dict[str, np.ndarray]:
    """The actual target of every scored fit, original units: fold name / "test" ->
    (samples,); every window length of a sweep must score the same target times
    (``backtest.shared_truth``)."""
    blocks = {}
    for prepared_dir in prepared:
        splits = load_windows(prepared_dir)
        blocks[int(splits["train"].meta["timesteps"])] = scored_blocks(splits, folds)
    return shared_truth(blocks)


@task(name="check-sweep", task_run_name="check-sweep", cache_policy=NO_CACHE)
def check_sweep(prepared: list[str], folds: int) -> None:
    """Before any fit: the window lengths of a sweep score the same target times."""
    truth_of(prepared, folds)


def ranking_of(config: TrainConfig, prepared: list[str], fits: list[FitRef]) -> Ranking:
    """The leaderboard over every fit so far (``selection.rank_fits``)."""
    sel = config.resolved_selection
    truth = truth_of(prepared, sel.folds or 1)
    return rank_fits(
        fits,
        truth,
        fold_names(sel.folds or 1),
        prepared[0],
        len(prepared) > 1,
        config.training.seed,
        sel.ensemble_size or 0,
    )


@task(name="shortlist", task_run_name="shortlist", cache_policy=NO_CACHE)
def shortlist_variants(config: TrainConfig, prepared: list[str], fits: list[FitRef]) -> list[str]:
    """The deep variants (labels) that get more seeds: the best on the backtest so far."""
    board = ranking_of(config, prepared, fits).board
    return shortlist(board, config.resolved_selection.shortlist or 0)


class RankRef(BaseModel):
    board: list[dict]
    champion: str | None
    reason: str
    members: list[dict]  # the champion's fits: {"kind", "label", "seed", "weight"}


@task(name="rank-candidates", task_run_name="rank-candidates", cache_policy=NO_CACHE)
def rank_candidates(config: TrainConfig, prepared: list[str], fits: list[FitRef]) -> RankRef:
    """Every candidate on the backtest, validation and test; the champion by the rule."""
    r = ranking_of(config, prepared, fits)
    members = r.members.get(r.champion, []) if r.champion else []
    return RankRef(
        board=r.board,
        champion=r.champion,
        reason=r.reason,
        members=[
            {"kind": m.kind, "label": m.label, "seed": m.seed, "weight": m.weight} for m in members
        ],
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
    return run_name(datetime.now(UTC), flow_run.get_id())


class RunRef(BaseModel):
    run_id: str
    dir: str
    dataset: str
    champion: str | None
    champion_reason: str
    champion_backtest_mae: float | None
    champion_val_mae: float | None
    champion_test_mae: float | None
    bundle: str | None  # the served champion: <run>/champion/bundle.json
    data_sha256: str


@task(name="publish-run", task_run_name="publish-run", cache_policy=NO_CACHE)
def publish_run(
    config: TrainConfig, prepared_dirs: list[str], fits: list[FitRef], served: list[FitRef]
) -> RunRef:
    """Rank every candidate identically and write the run directory atomically: metrics,
    every scored forecast, report, manifest and the served champion
    (``champion/bundle.json`` and its members)."""
    first = Path(prepared_dirs[0])
    run_id = _run_id()
    ranking = ranking_of(config, prepared_dirs, fits)
    docs = run_documents(
        config,
        run_id,
        datetime.now(UTC).isoformat(),
        prepared_dirs,
        load_windows(first),
        storage.read_json(first / "summary.json"),
        storage.read_json(first / "scaler.json"),
        ranking,
        [f.model_dump() for f in fits],
        [f.model_dump() for f in served],
        _versions(),
    )
    final = Layout.of(config.out, config.dataset_name).run_dir(run_id)
    with storage.staged_dir(final) as tmp:
        storage.write_json(tmp / "metrics.json", docs.metrics)
        storage.write_frame(tmp / "predictions.parquet", docs.predictions)
        storage.write_text(tmp / "report.md", docs.report.markdown)
        storage.write_text(tmp / "report.html", docs.report.html)
        for name, png in docs.report.figures.items():
            storage.write_bytes(tmp / "figures" / name, png)
        if docs.bundle is not None:
            for f, member in zip(served, docs.bundle["members"], strict=True):
                storage.write_bytes(
                    tmp / "champion" / member["file"], Path(f.model or "").read_bytes()
                )
            storage.write_json(tmp / "champion" / "bundle.json", docs.bundle)
        storage.write_json(tmp / "manifest.json", docs.manifest)
    board, champion = ranking.board, ranking.champion
    champ = next((e for e in board if e["name"] == champion), None)
    run = RunRef(
        run_id=run_id,
        dir=str(final),
        dataset=config.dataset_name,
        champion=champion,
        champion_reason=ranking.reason,
        champion_backtest_mae=champ["backtest"]["mae"] if champ else None,
        champion_val_mae=champ["val"]["mae"] if champ else None,
        champion_test_mae=champ["test"]["mae"] if champ and champ["test"] else None,
        bundle=str(final / "champion" / "bundle.json") if docs.bundle else None,
        data_sha256=docs.manifest["data_fingerprint"]["sha256"],
    )
    _publish_artifacts(run, board, best_reference(board))
    return run


def _publish_artifacts(run: RunRef, board: list[dict], best_ref) -> None:
    rows = [
        {
            "model": e["name"],
            "kind": e["kind"],
            **{
                f"{s}_{m}": round(e[s][m], 4) if e[s] else None
                for s in ("backtest", "val", "test")
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
        f"**{run.champion}** (backtest MAE {run.champion_backtest_mae:.4g}, val MAE "
        f"{run.champion_val_mae:.4g}, test MAE {run.champion_test_mae:.4g})"
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
def promote_champion(config: TrainConfig, run: RunRef, registered=None) -> dict | None:
    """Move the model registry's ``champion`` alias to this run's registered version when
    the promotion rule says so (``seqcast.io.tracking.replaces``): the check and the move under
    one lock, so two runs promoting at once end with the alias on the better model. Returns
    the decision, or None when the run chose no model."""
    if run.champion is None or registered is None:
        return None
    from tasks.tracking import move_alias_if_better

    layout = Layout.of(config.out, config.dataset_name)
    with locked(layout.champion_lock):
        return move_alias_if_better(registered)
