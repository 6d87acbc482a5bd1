"""The model registry: every deep variant is built here from one typed config.

Variants take windows ``x`` of shape (samples, timesteps, features); ``multi-input`` also takes
the known-future covariates (samples, covariates). Every variant ends in Dense(1): the next
value of the (possibly scaled) target. Keras is imported only when a model is built.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import keras

VariantName = Literal[
    "rnn", "rnn-stacked", "lstm", "gru", "lstm-stacked-flatten", "lstm-dropout", "multi-input"
]


class VariantConfig(BaseModel):
    """Architecture and optimiser settings of one deep variant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    units: int = Field(default=32, ge=1, le=1024, description="Units per recurrent layer.")
    layers: int = Field(default=2, ge=1, le=8, description="Recurrent layers (stacked variants).")
    dropout: float = Field(default=0.2, ge=0.0, lt=1.0, description="Dropout between layers.")
    dense_units: int = Field(default=16, ge=1, le=1024, description="Covariate branch width.")
    learning_rate: float | None = Field(
        default=None, gt=0, le=1.0, description="Adam learning rate (default: the dataset's)."
    )


class Seeds:
    """Per-layer seeds drawn from the run seed, in build order.

    Keras draws an unseeded initializer's seed from Python's global ``random`` when the layer is
    created, so anything else in the process that touches ``random`` (a library thread, a
    finaliser run by garbage collection) would change the weights. Every layer here gets its
    own explicit seed instead: the same run seed always builds the same model.
    """

    def __init__(self, seed: int) -> None:
        self._count = itertools.count()
        self._base = seed

    def next(self) -> int:
        return (self._base * 7919 + next(self._count)) % (2**31 - 1)

    def dense(self) -> dict:
        import keras

        return {"kernel_initializer": keras.initializers.GlorotUniform(seed=self.next())}

    def recurrent(self) -> dict:
        """Input and recurrent kernels, and the layer's own dropout masks."""
        import keras

        return {
            "kernel_initializer": keras.initializers.GlorotUniform(seed=self.next()),
            "recurrent_initializer": keras.initializers.Orthogonal(seed=self.next()),
            "seed": self.next(),
        }

    def dropout(self) -> dict:
        return {"seed": self.next()}


Builder = Callable[[VariantConfig, int, int, int, Seeds], "keras.Model"]
REGISTRY: dict[str, Builder] = {}


def register(name: str) -> Callable[[Builder], Builder]:
    def wrap(fn: Builder) -> Builder:
        REGISTRY[name] = fn
        return fn

    return wrap


def uses_covariates(name: str) -> bool:
    return name == "multi-input"


def build(name: str, cfg: VariantConfig, timesteps: int, features: int, covariates: int, seed: int):
    """Build and compile variant ``name`` (Adam, MSE loss); ``seed`` fixes every weight."""
    import keras

    if name not in REGISTRY:
        raise KeyError(f"unknown variant {name!r}; known: {sorted(REGISTRY)}")
    model = REGISTRY[name](cfg, timesteps, features, covariates, Seeds(seed))
    if cfg.learning_rate is None:
        raise ValueError("resolve the learning rate (TrainConfig.resolved_variant) first")
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss="mse")
    return model


def _seq_input(timesteps: int, features: int):
    import keras

    return keras.Input(shape=(timesteps, features), name="window")  # (batch, timesteps, features)


@register("rnn")
def _rnn(cfg: VariantConfig, timesteps: int, features: int, covariates: int, seeds: Seeds):
    """SimpleRNN -> Dense(1): the course notes' first model."""
    from keras import Sequential, layers

    return Sequential(
        [
            _seq_input(timesteps, features),
            layers.SimpleRNN(cfg.units, **seeds.recurrent()),
            layers.Dense(1, **seeds.dense()),
        ],
        name="rnn",
    )


@register("rnn-stacked")
def _rnn_stacked(cfg: VariantConfig, timesteps: int, features: int, covariates: int, seeds: Seeds):
    """SimpleRNN(return_sequences=True) x (layers-1) -> SimpleRNN -> Dense(1)."""
    from keras import Sequential, layers

    stack = [
        layers.SimpleRNN(cfg.units, return_sequences=True, **seeds.recurrent())
        for _ in range(cfg.layers - 1)
    ]
    # (batch, timesteps, units) through the stack, (batch, units) after the last layer
    return Sequential(
        [
            _seq_input(timesteps, features),
            *stack,
            layers.SimpleRNN(cfg.units, **seeds.recurrent()),
            layers.Dense(1, **seeds.dense()),
        ],
        name="rnn_stacked",
    )


@register("lstm")
def _lstm(cfg: VariantConfig, timesteps: int, features: int, covariates: int, seeds: Seeds):
    from keras import Sequential, layers

    return Sequential(
        [
            _seq_input(timesteps, features),
            layers.LSTM(cfg.units, **seeds.recurrent()),
            layers.Dense(1, **seeds.dense()),
        ],
        name="lstm",
    )


@register("gru")
def _gru(cfg: VariantConfig, timesteps: int, features: int, covariates: int, seeds: Seeds):
    from keras import Sequential, layers

    return Sequential(
        [
            _seq_input(timesteps, features),
            layers.GRU(cfg.units, **seeds.recurrent()),
            layers.Dense(1, **seeds.dense()),
        ],
        name="gru",
    )


@register("lstm-stacked-flatten")
def _lstm_stacked_flatten(
    cfg: VariantConfig, timesteps: int, features: int, covariates: int, seeds: Seeds
):
    """LSTM(return_sequences=True) layers -> Flatten -> Dense(1) (the course notes' form)."""
    from keras import Sequential, layers

    stack = [
        layers.LSTM(cfg.units, return_sequences=True, **seeds.recurrent())
        for _ in range(cfg.layers)
    ]
    # (batch, timesteps, units) -> Flatten -> (batch, timesteps * units)
    return Sequential(
        [
            _seq_input(timesteps, features),
            *stack,
            layers.Flatten(),
            layers.Dense(1, **seeds.dense()),
        ],
        name="lstm_stacked_flatten",
    )


@register("lstm-dropout")
def _lstm_dropout(cfg: VariantConfig, timesteps: int, features: int, covariates: int, seeds: Seeds):
    """Stacked LSTM with Dropout between layers."""
    from keras import Sequential, layers

    body: list = []
    for i in range(cfg.layers):
        last = i == cfg.layers - 1
        body += [
            layers.LSTM(cfg.units, return_sequences=not last, **seeds.recurrent()),
            layers.Dropout(cfg.dropout, **seeds.dropout()),
        ]
    return Sequential(
        [_seq_input(timesteps, features), *body, layers.Dense(1, **seeds.dense())],
        name="lstm_dropout",
    )


@register("multi-input")
def _multi_input(cfg: VariantConfig, timesteps: int, features: int, covariates: int, seeds: Seeds):
    """Functional API: window -> LSTM, covariates -> Dense, joined with concatenate."""
    import keras
    from keras import layers

    window = _seq_input(timesteps, features)
    future = keras.Input(shape=(covariates,), name="covariates")  # (batch, covariates)
    seq = layers.LSTM(cfg.units, **seeds.recurrent())(window)  # (batch, units)
    cal = layers.Dense(cfg.dense_units, activation="relu", **seeds.dense())(
        future
    )  # (batch, dense_units)
    joined = layers.concatenate([seq, cal])  # (batch, units + dense_units)
    joined = layers.Dropout(cfg.dropout, **seeds.dropout())(joined)
    hidden = layers.Dense(cfg.dense_units, activation="relu", **seeds.dense())(joined)
    out = layers.Dense(1, **seeds.dense())(hidden)
    return keras.Model(inputs=[window, future], outputs=out, name="multi_input")


def model_inputs(name: str, x, covariates):
    """What variant ``name`` is fed: the window, or [window, covariates]."""
    return [x, covariates] if uses_covariates(name) else x


DEEP_VARIANTS: tuple[str, ...] = tuple(REGISTRY)
