"""The fitting tasks of the ``train`` flow: one deep variant with one seed, or every
reference, on one fit's windows; cached on exactly their inputs. Each calls the Forecaster
interface (``seqcast.models.forecaster``) and stores a served fit's model."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE, CachePolicy

from seqcast.config import TrainConfig
from seqcast.config.folds import Folds, as_folds
from seqcast.config.model_settings import TrainingConfig, VariantConfig
from seqcast.data.target_transform import RELATIVE
from seqcast.evaluation.backtest import SERVE_FIT, TEST_FIT
from seqcast.evaluation.plan import FitJob, RunPlan, keeps_weights
from seqcast.evaluation.records import FitRef
from seqcast.io import storage
from seqcast.io.paths import Layout
from seqcast.models import catalog
from seqcast.models.fitting import limit_threads
from seqcast.models.forecaster import Forecaster, NotApplicable, Settings
from tasks.caching import refreshed_if_missing
from tasks.logs import run_logger
from tasks.progress import EpochProgress
from tasks.windows import load_fit

# Bump when training or reference code changes: part of their cache keys, with the registered
# models (a newly registered reference is fitted, not left out of a cached fold).
TRAIN_CODE_VERSION = "11"  # 11: the boosting references are LightGBM, stored as JSON
_VERSION_KEY = CachePolicy.from_cache_key_fn(
    lambda ctx, params: f"{TRAIN_CODE_VERSION}:{','.join(catalog.registered())}"
)
TRAIN_CACHE = (INPUTS - "threads") + TASK_SOURCE + _VERSION_KEY


WEIGHTS_FILE = "weights.npz"  # a deep fit's weights, for a warm-started fit after it


def _settings(vcfg, tcfg, fit: str, folds: Folds, epochs: int | None, start=None) -> dict:
    out = {
        "variant": vcfg.model_dump(),
        "training": tcfg.model_dump(),
        "fit": fit,
        "folds": as_folds(folds).key(),
        "epochs": epochs,
    }
    if start is not None:  # a warm-started fit: the weights it started from
        out["start"] = start["sha256"]
    return out


def _store(
    model: Forecaster,
    prepared_dir: str,
    settings: dict,
    record: dict | None = None,
    save_model: bool = True,
    weights: bool = False,
) -> tuple[str | None, str | None, str | None]:
    """Store a fit's model (a served fit), its weights (``weights``: for a warm-started fit
    after it) and ``record``, atomically in one folder. Returns the model's path (None when
    not saved, or for a model that stores nothing: a naive reference), the weights' path and
    their sha256 (None, None without them)."""
    final = Layout.fitted_model_dir(prepared_dir, model.name, settings)
    sha = None
    with storage.staged_dir(final) as tmp:
        file = model.save(tmp) if save_model else None
        if weights:
            sha = storage.write_weights(tmp / WEIGHTS_FILE, model.weights())  # type: ignore[attr-defined]
        if record is not None:
            storage.write_json(tmp / "trained.json", record)
    return (
        str(final / file) if file else None,
        str(final / WEIGHTS_FILE) if weights else None,
        sha,
    )


def _scored(model: Forecaster, parts: dict) -> list[list[float]]:  # [] for a served fit
    return model.predict(parts["scored"]).tolist() if "scored" in parts else []


def deep_task(
    job: FitJob, prepared_dir: str, vcfg, tcfg, folds: Folds, epochs: int | None, start=None
):
    """The ``fit_deep`` task to submit for ``job`` (``start``: the weights it starts from,
    ``plan.start_after``): a fit that stores its model or weights is cached while they are
    there, and fitted again (refreshing the cache record) when they were removed."""
    keep = keeps_weights(job.fit, folds, tcfg.warm_refit or 0.0, start is not None)
    if job.fit != SERVE_FIT and not keep:
        return fit_deep
    seeded = tcfg.model_copy(update={"seed": job.seed})
    final = Layout.fitted_model_dir(
        prepared_dir, job.variant, _settings(vcfg, seeded, job.fit, folds, epochs, start)
    )
    stored = [final / "trained.json"]
    if job.fit == SERVE_FIT:
        stored.append(final / f"model{catalog.capabilities(job.variant).suffix}")
    if keep:
        stored.append(final / WEIGHTS_FILE)
    return refreshed_if_missing(fit_deep, stored)


@task(name="fit-deep", task_run_name="{job.name}", cache_policy=TRAIN_CACHE)
def fit_deep(
    job: FitJob,
    prepared_dir: str,
    vcfg: VariantConfig,
    tcfg: TrainingConfig,
    folds: Folds,
    epochs: int | None,
    threads: int,
    start: dict | None = None,
) -> FitRef:
    """Fit one deep variant with one seed on one fit's windows (``job``). Backtest folds
    early-stop on their own newest windows; refits (``pretest``, ``all``) train ``epochs``
    epochs, from the weights ``start`` names (``{"weights": path, "sha256": ...}``, a
    warm-started refit) or from their seeded start. A served (``all``) fit stores its model;
    a fit a warm-started one starts from stores its weights (``plan.keeps_weights``)."""
    limit_threads(threads)
    tcfg = tcfg.model_copy(update={"seed": job.seed})
    parts, units, _ = load_fit(prepared_dir, job.fit, folds, tcfg.target_transform)
    settings = Settings(seed=job.seed, threads=threads, units=units, variant=vcfg, training=tcfg)
    model = catalog.create(job.variant, settings)
    config = _settings(vcfg, tcfg, job.fit, folds, epochs, start)
    initial = None
    if start is not None:
        initial = storage.read_weights(Path(start["weights"]), start["sha256"])
    progress = EpochProgress(epochs or tcfg.max_epochs or 1)
    warm = {} if initial is None else {"start": initial}  # a Forecaster that continues
    summary = model.fit(parts["train"], parts.get("early_stop"), epochs=epochs, on_epoch=progress,
                        **warm)  # fmt: skip
    progress.finish(summary.history)
    record = {
        "history": summary.history,
        "seconds": summary.seconds,
        "units": units.model_dump(mode="json"),
        **config,
    }
    # a fit that continued keeps its weights too: the next refresh continues from them
    keep = keeps_weights(job.fit, folds, tcfg.warm_refit or 0.0, start is not None)
    stored = weights = sha = None
    if job.fit == SERVE_FIT or keep:
        stored, weights, sha = _store(
            model, prepared_dir, config, record, save_model=job.fit == SERVE_FIT, weights=keep
        )
    return FitRef(
        label=job.label,
        kind="deep",
        forecaster=job.variant,
        seed=job.seed,
        fit=job.fit,
        timesteps=job.timesteps,
        prepared_dir=prepared_dir,
        predictions=_scored(model, parts),
        best_epoch=summary.best_epoch,
        epochs=summary.epochs,
        seconds=summary.seconds,
        history=summary.history,
        params=summary.params,
        collapsed_attempts=summary.collapsed_attempts,
        model=stored,
        weights=weights,
        weights_sha256=sha,
        scaler=units,
        config=config,
    )


@task(name="fit-references", task_run_name="{job.name}", cache_policy=TRAIN_CACHE)
def fit_references(
    job: FitJob,
    prepared_dir: str,
    folds: Folds,
    threads: int,
    target_transform: str | None = None,
) -> list[FitRef]:
    """The references of ``job`` on one fit's windows (the same windows and units as the
    deep fits), in that order, each on at most ``threads`` threads, scored on the fit's scored
    block; the served fit (``all``) stores them. A ``difference`` or ``normalize`` target
    transform applies to the fitted references too (``log1p`` to the deep variants only). No
    TensorFlow here."""
    relative = target_transform in RELATIVE
    fit, seed = job.fit, job.seed
    parts, units, _ = load_fit(prepared_dir, fit, folds, target_transform if relative else None)
    settings = Settings(seed=seed, threads=threads, units=units)
    out: list[FitRef] = []
    for name in job.references:
        model = catalog.create(name, settings)
        try:
            summary = model.fit(parts["train"])
        except NotApplicable as why:  # the same verdict on every fold: left out of the run
            run_logger(__name__).warning("%s left out: %s", name, why)
            continue
        key = {"fit": fit, "seed": seed, **({"target": target_transform} if relative else {})}
        stored = _store(model, prepared_dir, key)[0] if fit == SERVE_FIT else None
        out.append(
            FitRef(
                label=name,
                kind="reference",
                forecaster=name,
                seed=seed,
                fit=fit,
                timesteps=job.timesteps,
                prepared_dir=prepared_dir,
                predictions=_scored(model, parts),
                seconds=summary.seconds,
                model=stored,
                scaler=units,
            )
        )
    return out


@task(name="choose-transform", task_run_name="choose-transform", cache_policy=TRAIN_CACHE)
def choose_transform(prepared_dir: str, folds: Folds, seed: int, threads: int) -> dict:
    """``target_transform = "auto"``: each candidate transform with the gradient-boosting
    reference on every backtest fold; the lower mean backtest MAE wins
    (``seqcast.evaluation.transforms``)."""
    import numpy as np

    from seqcast.evaluation.backtest import fold_names
    from seqcast.evaluation.transforms import CANDIDATES, PROXY, choose

    scores = {}
    for transform in CANDIDATES:
        errors = []
        for fit in fold_names(folds):
            parts, units, _ = load_fit(prepared_dir, fit, folds, transform)
            model = catalog.create(PROXY, Settings(seed=seed, threads=threads, units=units))
            model.fit(parts["train"])
            block = parts["scored"]
            errors.append(float(np.mean(np.abs(model.predict(block) - block.y_raw))))
        scores[transform] = float(np.mean(errors))
    return choose(scores)


def run_plan(config: TrainConfig) -> RunPlan:
    """Every fit a train run of ``config`` makes, by name (``seqcast.evaluation.plan``)."""
    return RunPlan.of(config, catalog.window_free())


@task(name="match-train-run", task_run_name="match-train-run", cache_policy=NO_CACHE)
def match_train_run(config: TrainConfig) -> str:
    """The train run whose stored work a rerun with ``config`` repeats: the newest with the
    same fit settings (``seqcast.report.run_match``); refused, naming the settings that differ
    from the newest train run, when there is none. Returns its folder."""
    from seqcast.report.run_match import matching_train_run

    return str(matching_train_run(config).run_dir)


def _scored_mae(config: TrainConfig, fit: FitRef, run_dir: str) -> dict:
    """A rerun fit's MAE on the block its fit is scored on (a fold, or the test period for
    ``pretest``; none for a served fit), beside the train run's own MAE for the same
    candidate and fit where the run stored it (its base seed's)."""
    import numpy as np
    import pandas as pd

    from tasks.windows import truth_of

    if fit.fit == SERVE_FIT or not fit.predictions:
        return {}
    block = "test" if fit.fit == TEST_FIT else fit.fit
    truth = truth_of([fit.prepared_dir], config.backtest_folds)[block]
    mae = float(np.mean(np.abs(np.asarray(fit.predictions) - truth)))
    out: dict = {"scored_on": block, "mae": mae}
    stored = Path(run_dir) / "predictions.parquet"
    if stored.exists() and (fit.kind != "deep" or fit.seed == config.training.seed):
        table = pd.read_parquet(stored, columns=["model", "fit", "error"])
        mine = table[(table["model"] == fit.label) & (table["fit"] == block)]
        if len(mine):
            out["run_mae"] = float(mine["error"].abs().mean())
    return out


@task(name="store-rerun", task_run_name="store-rerun", cache_policy=NO_CACHE)
def store_rerun(config: TrainConfig, job: FitJob, fits: list[FitRef], run_dir: str) -> str:
    """Write a rerun fit's record (``fit.json``: every figure of the ``FitRef``, the train run
    it repeats and its MAE beside that run's) and, for a deep fit, its learning curve
    (``learning_curve.png``) under ``DIR/<dataset>/reruns/<name>/``, atomically. Returns the
    folder."""
    from seqcast.report.fit_view import learning_curve

    final = Layout.of(config.out, config.dataset_name).base / "reruns" / job.name
    records = [
        {**f.model_dump(), "train_run": Path(run_dir).name, **_scored_mae(config, f, run_dir)}
        for f in fits
    ]
    with storage.staged_dir(final) as tmp:
        storage.write_json(tmp / "fit.json", records)
        for f in fits:
            if f.history:
                storage.write_bytes(tmp / "learning_curve.png", learning_curve(job.name, f.history))
    return str(final)
