"""The settings of the deep models a run trains: the variants' names, their architecture
(:class:`VariantConfig`) and how they are fitted (:class:`TrainingConfig`).

They live below the models, the data stages and the evaluation, so that the run config (and
its Prefect UI form) holds them without importing the code that builds and fits the models.
:mod:`seqcast.models.deep` builds each variant named here; :mod:`seqcast.models.fitting` fits it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from seqcast.spec.choices import LossName, TargetTransform
from seqcast.spec.form import form_schema

VariantName = Literal[
    "rnn", "rnn-stacked", "lstm", "gru", "lstm-stacked-flatten", "lstm-dropout", "multi-input"
]


class VariantConfig(BaseModel):
    """Architecture and optimiser settings of one deep variant."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=form_schema)

    units: int = Field(
        default=32, ge=1, le=1024, title="Units", description="Units per recurrent layer."
    )
    layers: int = Field(
        default=2,
        ge=1,
        le=8,
        title="Layers",
        description="Recurrent layers of the stacked variants.",
    )
    dropout: float = Field(
        default=0.2,
        ge=0.0,
        lt=1.0,
        title="Dropout",
        description="Share of units dropped between layers while training.",
    )
    dense_units: int = Field(
        default=16,
        ge=1,
        le=1024,
        title="Covariate branch units",
        description="Width of the multi-input model's dense branch for the target-time calendar.",
    )
    learning_rate: float | None = Field(
        default=None,
        gt=0,
        le=1.0,
        title="Learning rate",
        description="Adam's step size. Empty: the dataset spec's learning_rate.",
    )


class TrainingConfig(BaseModel):
    """Fitting settings shared by every variant of a run."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=form_schema)

    max_epochs: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        title="Most epochs",
        description="Upper bound on epochs; early stopping usually ends sooner. Empty: the "
        "dataset's.",
    )
    patience: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        title="Early-stopping patience (epochs)",
        description="Stop after this many epochs without a better validation loss. Empty: the "
        "dataset's.",
    )
    batch_size: int | None = Field(
        default=None,
        ge=1,
        le=65_536,
        title="Batch size",
        description="Windows per gradient step. Empty: the dataset's.",
    )
    loss: LossName | None = Field(
        default=None,
        title="Loss",
        description="What training minimises: mse, mae or huber (in the model's target units). "
        "Empty: the dataset spec's.",
    )
    target_transform: TargetTransform | None = Field(
        default=None,
        title="Target transform",
        description="none; log1p: train on log(1 + target), standardised on training rows "
        "(for counts: errors become relative, peaks stop dominating); difference: learn the "
        "change from the window's last value, standardised (for trends and level shifts; "
        "ridge and gradient boosting learn it too); normalize: that change in units of the "
        "window's own spread (for a swing that grows with the level); auto: none, difference "
        "or normalize, whichever the gradient-boosting reference does better with on the "
        "backtest. Forecasts and metrics "
        "are always back in original units. Empty: the dataset spec's.",
    )
    lr_decay: float | None = Field(
        default=None,
        gt=0.5,
        le=1.0,
        title="Learning-rate decay per epoch",
        description="A schedule: the learning rate of epoch e is the initial one times "
        "decay^e (1: constant). The same epochs give the same rates in backtest folds and "
        "refits. Empty: the dataset's (1).",
    )
    ema_momentum: float | None = Field(
        default=None,
        ge=0.0,
        lt=1.0,
        title="Weight averaging in refits (EMA momentum per step)",
        description="0: off. A refit (before the test period, and the served model) has no "
        "validation data to keep its best epoch by, so it keeps an exponential moving average "
        "of its weights instead, updated every gradient step with this momentum (0.99: "
        "roughly the last 100 steps). Backtest folds keep their best epoch by early stopping. "
        "Empty: the dataset's.",
    )
    warm_refit: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        title="Warm-started refits (share of the epochs)",
        description="0: off, every refit trains from its own seeded start. Above 0: the refit "
        "before the test period starts from the last backtest fold's weights, the served fit "
        "from that refit's, a refresh from the served model's, and each trains this share of "
        "the epochs a refit from scratch would (the folds' mean best epoch; at least 1). "
        "Empty: the dataset's.",
    )
    seed: int = Field(
        default=42,
        ge=0,
        le=2**31 - 1,
        title="Seed",
        description="One seed drives numpy, Keras, TensorFlow and every layer's weights.",
    )
