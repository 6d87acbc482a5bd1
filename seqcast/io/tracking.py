"""What a training run records in MLflow (pure: documents in, names and numbers out).

One MLflow run per ``train`` run, in the experiment ``seqcast-<dataset>``: the settings used
as params, every candidate's figures per split as metrics (``<candidate>/<split>/<metric>``),
and one nested run per deep fit holding its loss per epoch as metric history. The file
writing is done by ``tasks/tracking.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
SCORED_ON = ("backtest", "val", "test")  # the figures a run logs, per model
METRICS = ("mae", "rmse", "r2", "mase", "wape")


def tracking_uri(out_root: Path, given: str | None = None) -> str:
    """Where runs and models are recorded: the run's option, else ``MLFLOW_TRACKING_URI``,
    else a SQLite database under the output root (``DIR/mlflow.db``)."""
    uri = given or os.environ.get(TRACKING_URI_ENV)
    return uri or f"sqlite:///{Path(out_root).resolve() / 'mlflow.db'}"


def artifact_root(out_root: Path) -> str:
    """Where a local store keeps run artifacts: ``DIR/mlartifacts``."""
    return (Path(out_root).resolve() / "mlartifacts").as_uri()


def experiment_name(dataset: str) -> str:
    return f"seqcast-{dataset}"


def registered_model_name(dataset: str) -> str:
    """The registered model every run's chosen model is a version of."""
    return f"seqcast-{dataset}"


CHAMPION_ALIAS = "champion"


def run_params(settings: list[tuple[str, str, str]], extra: dict[str, object]) -> dict[str, str]:
    """The settings a run used (``seqcast.report.settings.settings_used``) plus ``extra``, as
    strings (MLflow keeps at most 6000 characters per value)."""
    params = {name: value for name, value, _ in settings}
    params.update({k: str(v) for k, v in extra.items()})
    return {k: v[:6000] for k, v in params.items()}


def run_metrics(board: list[dict]) -> dict[str, float]:
    """Every candidate's figures on every split it was scored on:
    ``{"gru/backtest/mae": 123.4, ...}`` (a split without figures is left out)."""
    out: dict[str, float] = {}
    for entry in board:
        for split in SCORED_ON:
            figures = entry.get(split)
            if not figures:
                continue
            for m in METRICS:
                value = figures.get(m)
                if value is not None:
                    out[f"{entry['name']}/{split}/{m}"] = float(value)
    return out


def fit_histories(fits: list[dict]) -> list[tuple[str, dict[str, list[float]]]]:
    """(nested run name, {metric: value per epoch}) for every deep fit that has a history,
    e.g. ``("gru-s42-fold-1", {"loss": [...], "val_loss": [...]})``."""
    out = []
    for f in fits:
        history = f.get("history") or {}
        if f.get("kind") != "deep" or not history:
            continue
        out.append((f"{f['label']}-s{f['seed']}-{f['fit']}", history))
    return out


def replaces(current_tags: dict[str, str] | None, data_sha256: str, backtest_mae: float) -> bool:
    """The promotion rule: a candidate replaces the champion (the version at the alias,
    described by its tags) unless that champion was trained on the same data and has a
    mean backtest MAE at least as low. No champion yet, or one on other data: replaced."""
    if not current_tags:
        return True
    same_data = current_tags.get("data_sha256") == data_sha256
    mae = current_tags.get("backtest_mae")
    return not (same_data and mae is not None and float(mae) <= backtest_mae)
