"""What a training run publishes, as documents: metrics, manifest, the served champion's
bundle and the report. Pure: the ``publish-run`` task reads the inputs and writes these."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.config import TrainConfig
from seqcast.config.folds import Folds
from seqcast.data.scale import AffineScaler
from seqcast.data.windows import WindowSet
from seqcast.evaluation.backtest import describe, fold_names, plans_for, scored_blocks
from seqcast.evaluation.leaderboard import Policy, champion_label, feature_profile
from seqcast.evaluation.records import RunRef
from seqcast.evaluation.selection import Member, Ranking
from seqcast.io.paths import SPLITS
from seqcast.models.catalog import capabilities
from seqcast.numbers import figure
from seqcast.report.page import Report, ReportInput, render
from seqcast.report.settings import loss_label, settings_used
from seqcast.report.trust import trust_summary
from seqcast.serving.bundle import Bundle, ServedMember


@dataclass(frozen=True)
class RunDocuments:
    metrics: dict
    manifest: dict
    bundle: Bundle | None  # None when no champion was promoted
    report: Report
    predictions: pd.DataFrame  # prediction_table: the predictions behind every figure


def prediction_table(ranking: Ranking, splits: dict[str, WindowSet], folds: Folds) -> pd.DataFrame:
    """Every candidate's prediction of every window and step it was scored on, original units,
    one row per (model, fit, window, step), models in leaderboard order and fits in time
    order: the numbers behind each backtest and test figure. Columns: ``model``, ``kind``,
    ``fit`` (``fold-1`` .. or ``test``, the refit before the test period), ``first_target``
    (the window's first target time), ``step``, ``target_time``, ``actual``, ``predicted``
    and ``error`` (predicted - actual)."""
    blocks = scored_blocks(splits, folds)
    frames = []
    for entry in ranking.board:
        by_fit = ranking.predictions[entry["name"]]
        for fit in (f for f in blocks if f in by_fit):
            block = blocks[fit]
            n, steps = block.y_raw.shape  # (samples, steps); rows below are window-major
            predicted = np.asarray(by_fit[fit], dtype=np.float64).reshape(n, steps)
            frames.append(
                pd.DataFrame(
                    {
                        "model": entry["name"],
                        "kind": entry["kind"],
                        "fit": fit,
                        "first_target": np.repeat(block.first_target_time, steps),
                        "step": np.tile(np.asarray(block.steps), n),
                        "target_time": block.target_time.reshape(-1),
                        "actual": block.y_raw.reshape(-1),
                        "predicted": predicted.reshape(-1),
                        "error": (predicted - block.y_raw).reshape(-1),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _test_bounds(ranking: Ranking, times: np.ndarray, config: TrainConfig) -> dict | None:
    """The champion's test-period intervals (fitted on its backtest residuals), for the
    report's test figure: level -> (lower, upper), each (samples, steps)."""
    doc = (ranking.intervals or {}).get("test_fit")
    if not doc or ranking.champion is None:
        return None
    from seqcast.evaluation.calibration import interval_bounds

    predicted = ranking.predictions[ranking.champion]["test"]
    return interval_bounds(doc, predicted, times, config.spec.time_index.frequency)


def bundle_document(
    config: TrainConfig,
    champion: str,
    served: list[dict],
    shares: list[Member] | None = None,
    intervals: dict | None = None,
    entry: dict | None = None,
    policy: Policy = "deep",
) -> Bundle:
    """What the forecast needs to serve the champion: each member's registered forecaster,
    model file, window length, units and weight (``served``: the served fits, as ``FitRef``
    dumps; ``shares``: the champion's members with their weights, equal when None); the
    forecast is the members' weighted mean, exactly as the candidate was evaluated.
    ``entry``: the champion's leaderboard entry, whose backtest is the promise live quality
    is held to (``seqcast.evaluation.live``)."""
    weight = {(m.kind, m.label, m.seed): m.weight for m in shares or []}
    by_step = {(m.kind, m.label, m.seed): list(m.by_step) for m in shares or [] if m.by_step}
    members = served_members(served, weight, by_step)
    data = config.prepare_configs()[0]
    return Bundle(
        dataset=config.dataset_name,
        candidate=champion,
        policy=policy,  # "fallback": promoted with no deep candidate beating every reference
        horizon=data.resolved_horizon,
        steps=data.resolved_steps,
        # what serving needs to read, check and clean the newest rows as in training
        spec=config.spec,
        max_fill_steps=data.resolved_max_fill_steps,
        on_long_gap=data.resolved_on_long_gap,
        trained_on=served[0]["scaler"]["fitted_on"] if served else None,
        members=members,
        # conformal offsets per level and step (and calendar group), from the backtest's and
        # the test period's residuals (``seqcast.evaluation.calibration``)
        intervals={k: v for k, v in intervals.items() if k != "test_fit"} if intervals else None,
        promise=promise_of(entry) if entry else None,
    )


def served_members(
    served: list[dict], weight: dict[tuple, float], by_step: dict[tuple, list[float]] | None = None
) -> list[ServedMember]:
    """The bundle's member documents of the served fits (``FitRef`` dumps): each one's
    registered forecaster, model file, window length, units, weight (``weight`` by (kind,
    label, seed); equal when missing), its share per step where a step-aware ensemble gives
    one (``by_step``) and the epochs it was fitted for (what a refresh refits it for)."""
    by_step = by_step or {}
    members = []
    for f in served:
        able = capabilities(f["forecaster"])
        seed = f["seed"] if able.per_seed else None
        tail = f"-s{seed}" if able.per_seed else ""
        members.append(
            ServedMember(
                forecaster=f["forecaster"],
                kind=f["kind"],
                label=f["label"],
                seed=seed,
                weight=weight.get((f["kind"], f["label"], seed), 1.0 / len(served)),
                by_step=by_step.get((f["kind"], f["label"], seed)),
                timesteps=f["timesteps"],
                file=f"{f['label']}{tail}{able.suffix}",
                units=f["scaler"],
                epochs=f.get("epochs") if able.per_seed else None,
                weights=f"{f['label']}{tail}.weights.npz" if f.get("weights") else None,
                weights_sha256=f.get("weights_sha256"),
            )
        )
    return members


def promise_of(entry: dict) -> dict:
    """What a leaderboard entry's backtest promises the live forecasts: MAE per step on the
    newest fold (the one nearest the period it serves: with folds spanning the year, the mean
    over them would promise winter's small errors in summer) and each interval level's
    coverage (a ``seqcast.evaluation.live.Promise`` document)."""
    backtest = (entry.get("intervals") or {}).get("backtest") or {}
    newest = entry.get("val") or {}
    return {
        "mae_by_step": newest.get("mae_by_step") or entry["backtest"]["mae_by_step"],
        "coverage": {level: v["coverage"] for level, v in backtest.items() if isinstance(v, dict)},
    }


def run_documents(
    config: TrainConfig,
    run_id: str,
    created: str,
    prepared_dirs: list[str],
    splits: dict[str, WindowSet],
    summary: dict,
    prepared_scaler: dict,
    ranking: Ranking,
    fits: list[dict],
    served: list[dict],
    versions: dict,
    fit_seconds: list[dict] | None = None,
) -> RunDocuments:
    """Every document of one run. ``splits``, ``summary`` and ``prepared_scaler``: the first
    prepared dataset's windows, ``summary.json`` and ``scaler.json``; ``fits`` and ``served``:
    the fits (``FitRef`` dumps) behind the ranking and the served champion's members;
    ``fit_seconds``: their seconds by kind of fit (``seqcast.evaluation.costs``)."""
    folds = config.backtest_folds
    every = np.concatenate([splits[s].target_time for s in SPLITS])  # (samples, steps)
    fits_described = describe(plans_for(splits, folds), every)
    newest = fold_names(folds)[-1]
    histories = {
        f["label"]: f["history"]
        for f in fits
        if f["history"] and f["fit"] == newest and f["seed"] == config.training.seed
    }
    features = AffineScaler.from_dict(prepared_scaler["features"])
    last_rows = {s: features.inverse(splits[s].x[:, -1, :]) for s in SPLITS}
    periods = summary["split_periods"]
    board, champion = ranking.board, ranking.champion
    inputs = ReportInput(
        dataset=config.dataset_name,
        description=config.spec.description,
        run_id=run_id,
        board=board,
        champion=champion,
        champion_reason=ranking.reason,
        champion_policy=ranking.policy,
        transform_note=(ranking.transform_choice or {}).get("reason", ""),
        periods=periods,
        fits=fits_described,
        steps=tuple(splits["test"].steps),
        frequency=config.spec.time_index.frequency,
        test_bounds=_test_bounds(ranking, splits["test"].target_time, config),
        test_times=splits["test"].target_time,
        test_truth=splits["test"].y_raw,
        test_predictions={n: p["test"] for n, p in ranking.predictions.items() if "test" in p},
        histories=histories,
        profile=feature_profile(last_rows, splits["train"].feature_names),
        config=config.model_dump(mode="json"),
        fingerprint=summary["data_fingerprint"],
        versions=versions,
        units=config.spec.target_label,
        whole=config.spec.whole_target,
        loss_label=loss_label(config),
        settings=settings_used(config),
        refit_ema=config.resolved_training.ema_momentum or 0.0,
        refit_warm=config.resolved_training.warm_refit or 0.0,
        nested=ranking.nested,
    )
    report = render(inputs)
    metrics = {
        "dataset": config.dataset_name,
        "run_id": run_id,
        "periods": {
            s: {"start": p["target_start"], "end": p["target_end"], "rows": p["rows"]}
            for s, p in periods.items()
        },
        "fits": fits_described,
        "seeds": config.seed_list,
        "percentage_error": "wape: 100 * sum|error| / sum|actual|",
        "models": board,
        "champion": champion,
        "champion_label": champion_label(board, champion) if champion else None,
        "champion_reason": ranking.reason,
        "champion_policy": ranking.policy if champion else None,
        "target_transform": ranking.transform_choice,
        "nested_check": ranking.nested,
        # the report's reasons to doubt the champion or its figures, for the console too
        "warnings": trust_summary(inputs).warnings,
        "fit_seconds": fit_seconds or [],
    }
    bundle = (
        bundle_document(
            config,
            champion,
            served,
            ranking.members[champion],
            ranking.intervals,
            next(e for e in board if e["name"] == champion),
            ranking.policy,
        )
        if champion
        else None
    )
    manifest = {
        "run_id": run_id,
        "dataset": config.dataset_name,
        "created": created,
        "seed": config.training.seed,
        "seeds": config.seed_list,
        "config": config.model_dump(mode="json"),
        "spec": config.spec.model_dump(mode="json"),
        "selection": config.resolved_selection.model_dump(),
        "data_fingerprint": summary["data_fingerprint"],
        "source": summary["source"],
        "prepared": prepared_dirs,
        "fits": fits_described,
        "served_model_trained_on": served[0]["scaler"]["fitted_on"] if served else None,
        "versions": versions,
        "metrics": {e["name"]: {s: e[s] for s in ("backtest", "val", "test")} for e in board},
        "champion": champion,
        "champion_policy": ranking.policy if champion else None,
        "champion_members": [m.model_dump(mode="json") for m in bundle.members] if bundle else [],
    }
    return RunDocuments(metrics, manifest, bundle, report, prediction_table(ranking, splits, folds))


def run_ref(
    run_id: str, folder: Path, dataset: str, ranking: Ranking, docs: RunDocuments
) -> RunRef:
    """What the train flow passes on about a published run."""
    champ = next((e for e in ranking.board if e["name"] == ranking.champion), None)
    return RunRef(
        run_id=run_id,
        dir=str(folder),
        dataset=dataset,
        champion=ranking.champion,
        champion_reason=ranking.reason,
        champion_policy=ranking.policy,
        champion_backtest_mae=champ["backtest"]["mae"] if champ else None,
        champion_val_mae=champ["val"]["mae"] if champ else None,
        champion_test_mae=champ["test"]["mae"] if champ and champ["test"] else None,
        bundle=str(folder / "champion" / "bundle.json") if docs.bundle else None,
        data_sha256=docs.manifest["data_fingerprint"]["sha256"],
    )


def leaderboard_rows(board: list[dict]) -> list[dict]:
    """The leaderboard as a table artifact's rows: every metric per split (the mean over the
    steps), then each level's interval coverage and score and the pinball loss on the backtest
    and test, 4 decimals."""

    def interval(e: dict, split: str) -> dict:
        scores = (e.get("intervals") or {}).get(split) or {}
        out = {}
        for level, figures in scores.items():
            if level == "pinball":
                out[f"{split}_pinball"] = round(figures, 4)
            else:
                out[f"{split}_coverage_{level}"] = round(figures["coverage"], 4)
                out[f"{split}_interval_score_{level}"] = round(figures["winkler"], 4)
        online = ((e.get("intervals") or {}).get("online") or {}).get(split) or {}
        for level, figures in online.items():  # the champion's, adapting as actuals arrive
            out[f"{split}_online_coverage_{level}"] = round(figures["coverage"], 4)
            out[f"{split}_online_interval_score_{level}"] = round(figures["winkler"], 4)
        return out

    return [
        {
            "model": e["name"],
            "kind": e["kind"],
            **{
                f"{s}_{m}": round(e[s][m], 4) if e[s] else None
                for s in ("backtest", "val", "test")
                for m in ("mae", "rmse", "r2", "mase", "wape")
            },
            **interval(e, "backtest"),
            **interval(e, "test"),
            # the fold fits and the refit before test, summed (a seed ensemble: its variant's)
            "fit_seconds": e.get("train_seconds"),
        }
        for e in board
    ]


def summary_markdown(run: RunRef, best_ref: str | None) -> str:
    """The run's summary artifact: the champion with its figures, the rule's reason."""
    fallback = " (fallback: no deep model qualified)" if run.champion_policy == "fallback" else ""
    champ = (
        f"**{run.champion}**{fallback} (backtest MAE {figure(run.champion_backtest_mae)}, val MAE "
        f"{figure(run.champion_val_mae)}, test MAE {figure(run.champion_test_mae)})"
        if run.champion
        else "none promoted"
    )
    return (
        f"# {run.dataset} run {run.run_id}\n\nChampion: {champ}.\n\n"
        f"{run.champion_reason}.\n\nBest reference: {best_ref}.\n\n"
        f"Run directory: `{run.dir}`\n"
    )
