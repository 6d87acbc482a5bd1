"""What one fit and one published run report, as the train tasks pass them on (pydantic
models: Prefect stores them as task results)."""

from __future__ import annotations

from pydantic import BaseModel

from seqcast.data.units import FitUnits


class FitRef(BaseModel):
    """One fit of one model: a deep variant with one seed, or a reference, on one backtest
    fold, the refit before the test period (``pretest``) or the served refit (``all``)."""

    label: str  # the candidate label (``lstm``; ``lstm-t48`` in a sweep) or the reference
    kind: str  # its role: "deep" (a candidate, fitted per seed) or "reference"
    forecaster: str  # the registered Forecaster (``seqcast.models.forecaster``)
    seed: int | None
    fit: str
    timesteps: int
    prepared_dir: str
    predictions: list[list[float]]  # (samples, steps) on the fit's scored block; [] for "all"
    best_epoch: int | None = None
    epochs: int | None = None  # epochs trained
    seconds: float = 0.0
    history: dict[str, list[float]] = {}
    params: int | None = None
    collapsed_attempts: list[dict] = []  # fits that collapsed and were retried with a new seed
    model: str | None = None  # the stored model (served fits only)
    # the fit's weights (.npz) and their sha256, stored when a later fit starts from them
    weights: str | None = None
    weights_sha256: str | None = None
    scaler: FitUnits | None = None  # the fit's own units
    config: dict = {}


class RunRef(BaseModel):
    """A published run: where it is and what it chose."""

    run_id: str
    dir: str
    dataset: str
    champion: str | None
    champion_reason: str
    champion_policy: str = "deep"  # "deep" (the rule) or "fallback" (the best of all)
    champion_backtest_mae: float | None
    champion_val_mae: float | None
    champion_test_mae: float | None
    bundle: str | None  # the served champion: <run>/champion/bundle.json
    data_sha256: str
