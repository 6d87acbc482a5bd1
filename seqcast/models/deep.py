"""The model registry: every deep variant is built here from one typed config
(:class:`~seqcast.config.model_settings.VariantConfig`; ``VariantName`` there lists them).

Variants take windows ``x`` of shape (samples, timesteps, features); ``multi-input`` also takes
the known-future covariates of every step (samples, steps * covariates). Every variant ends in
Dense(steps): one output per forecast step of the (possibly scaled) target, all from one
model. Keras is imported only when a model is built.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from seqcast.config.model_settings import VariantConfig

if TYPE_CHECKING:
    import keras


class LayerArgs:
    """Explicit per-layer seeds and names for one model, drawn in build order.

    Keras draws an unseeded initializer's seed from Python's global ``random`` when the layer is
    created, and names layers from a process-wide counter. Either would let something else in
    the process (a library thread, a finaliser, a variant built at the same time in another
    thread) change the model. Every layer gets its own seed from the run seed and its own name
    instead: the same run seed always builds the same model, in any runner.
    """

    def __init__(self, seed: int) -> None:
        self._count = itertools.count()
        self._base = seed
        self._names: dict[str, int] = {}

    def seed(self) -> int:
        return (self._base * 7919 + next(self._count)) % (2**31 - 1)

    def name(self, kind: str) -> str:
        self._names[kind] = self._names.get(kind, 0) + 1
        return f"{kind}_{self._names[kind]}"

    def dense(self) -> dict:
        import keras

        return {
            "name": self.name("dense"),
            "kernel_initializer": keras.initializers.GlorotUniform(seed=self.seed()),
        }

    def recurrent(self, kind: str) -> dict:
        """Input and recurrent kernels, and the layer's own dropout masks."""
        import keras

        return {
            "name": self.name(kind),
            "kernel_initializer": keras.initializers.GlorotUniform(seed=self.seed()),
            "recurrent_initializer": keras.initializers.Orthogonal(seed=self.seed()),
            "seed": self.seed(),
        }

    def dropout(self) -> dict:
        return {"name": self.name("dropout"), "seed": self.seed()}


Builder = Callable[[VariantConfig, int, int, int, int, LayerArgs], "keras.Model"]
REGISTRY: dict[str, Builder] = {}
_COVARIATE_INPUT: set[str] = set()


def register(name: str, covariate_input: bool = False) -> Callable[[Builder], Builder]:
    """Register a builder; ``covariate_input``: the model takes the known-future covariates as a
    second input (the Functional-API multi-input model) instead of on every timestep."""

    def wrap(fn: Builder) -> Builder:
        REGISTRY[name] = fn
        if covariate_input:
            _COVARIATE_INPUT.add(name)
        return fn

    return wrap


def uses_covariates(name: str) -> bool:
    """Whether variant ``name`` reads the covariates as a separate input."""
    return name in _COVARIATE_INPUT


def build(
    name: str,
    cfg: VariantConfig,
    timesteps: int,
    features: int,
    covariates: int,
    seed: int,
    loss: str = "mse",
    ema_momentum: float = 0.0,
    outputs: int = 1,
    steps_per_execution: int = 1,
):
    """Build and compile variant ``name`` (Adam, ``loss``); ``seed`` fixes every weight.
    ``features`` counts what each timestep holds as fed (:func:`model_inputs`); ``covariates``
    what the covariate input of a ``covariate_input`` variant holds; ``outputs``: the steps.
    ``ema_momentum`` > 0: Adam keeps an exponential moving average of the weights (updated
    every step with this momentum), which replaces them when training ends.
    ``steps_per_execution``: the batches one compiled call trains on (Keras runs them in one
    graph call instead of one Python round trip each; the same steps, the same weights)."""
    import keras

    if name not in REGISTRY:
        raise KeyError(f"unknown variant {name!r}; known: {sorted(REGISTRY)}")
    model = REGISTRY[name](cfg, timesteps, features, covariates, outputs, LayerArgs(seed))
    if cfg.learning_rate is None:
        raise ValueError("resolve the learning rate (TrainConfig.resolved_variant) first")
    optimizer = keras.optimizers.Adam(
        cfg.learning_rate, use_ema=ema_momentum > 0, ema_momentum=ema_momentum
    )
    model.compile(optimizer=optimizer, loss=loss, steps_per_execution=steps_per_execution)
    return model


def _seq_input(timesteps: int, features: int):
    import keras

    return keras.Input(shape=(timesteps, features), name="window")  # (batch, timesteps, features)


@register("rnn")
def _rnn(
    cfg: VariantConfig,
    timesteps: int,
    features: int,
    covariates: int,
    outputs: int,
    args: LayerArgs,
):
    """SimpleRNN -> Dense(steps): the course notes' first model."""
    from keras import Sequential, layers

    return Sequential(
        [
            _seq_input(timesteps, features),
            layers.SimpleRNN(cfg.units, **args.recurrent("simple_rnn")),
            layers.Dense(outputs, **args.dense()),
        ],
        name="rnn",
    )


@register("rnn-stacked")
def _rnn_stacked(
    cfg: VariantConfig,
    timesteps: int,
    features: int,
    covariates: int,
    outputs: int,
    args: LayerArgs,
):
    """SimpleRNN(return_sequences=True) x (layers-1) -> SimpleRNN -> Dense(steps)."""
    from keras import Sequential, layers

    stack = [
        layers.SimpleRNN(cfg.units, return_sequences=True, **args.recurrent("simple_rnn"))
        for _ in range(cfg.layers - 1)
    ]
    # (batch, timesteps, units) through the stack, (batch, units) after the last layer
    return Sequential(
        [
            _seq_input(timesteps, features),
            *stack,
            layers.SimpleRNN(cfg.units, **args.recurrent("simple_rnn")),
            layers.Dense(outputs, **args.dense()),
        ],
        name="rnn_stacked",
    )


@register("lstm")
def _lstm(
    cfg: VariantConfig,
    timesteps: int,
    features: int,
    covariates: int,
    outputs: int,
    args: LayerArgs,
):
    from keras import Sequential, layers

    return Sequential(
        [
            _seq_input(timesteps, features),
            layers.LSTM(cfg.units, **args.recurrent("lstm")),
            layers.Dense(outputs, **args.dense()),
        ],
        name="lstm",
    )


@register("gru")
def _gru(
    cfg: VariantConfig,
    timesteps: int,
    features: int,
    covariates: int,
    outputs: int,
    args: LayerArgs,
):
    from keras import Sequential, layers

    return Sequential(
        [
            _seq_input(timesteps, features),
            layers.GRU(cfg.units, **args.recurrent("gru")),
            layers.Dense(outputs, **args.dense()),
        ],
        name="gru",
    )


@register("lstm-stacked-flatten")
def _lstm_stacked_flatten(
    cfg: VariantConfig,
    timesteps: int,
    features: int,
    covariates: int,
    outputs: int,
    args: LayerArgs,
):
    """LSTM(return_sequences=True) layers -> Flatten -> Dense(steps) (the course notes' form)."""
    from keras import Sequential, layers

    stack = [
        layers.LSTM(cfg.units, return_sequences=True, **args.recurrent("lstm"))
        for _ in range(cfg.layers)
    ]
    # (batch, timesteps, units) -> Flatten -> (batch, timesteps * units)
    return Sequential(
        [
            _seq_input(timesteps, features),
            *stack,
            layers.Flatten(name="flatten"),
            layers.Dense(outputs, **args.dense()),
        ],
        name="lstm_stacked_flatten",
    )


@register("lstm-dropout")
def _lstm_dropout(
    cfg: VariantConfig,
    timesteps: int,
    features: int,
    covariates: int,
    outputs: int,
    args: LayerArgs,
):
    """Stacked LSTM with Dropout between layers."""
    from keras import Sequential, layers

    body: list = []
    for i in range(cfg.layers):
        last = i == cfg.layers - 1
        body += [
            layers.LSTM(cfg.units, return_sequences=not last, **args.recurrent("lstm")),
            layers.Dropout(cfg.dropout, **args.dropout()),
        ]
    return Sequential(
        [_seq_input(timesteps, features), *body, layers.Dense(outputs, **args.dense())],
        name="lstm_dropout",
    )


@register("multi-input", covariate_input=True)
def _multi_input(
    cfg: VariantConfig,
    timesteps: int,
    features: int,
    covariates: int,
    outputs: int,
    args: LayerArgs,
):
    """Functional API: window -> LSTM, covariates -> Dense, joined with concatenate."""
    import keras
    from keras import layers

    window = _seq_input(timesteps, features)
    future = keras.Input(shape=(covariates,), name="covariates")  # (batch, covariates)
    seq = layers.LSTM(cfg.units, **args.recurrent("lstm"))(window)  # (batch, units)
    cal = layers.Dense(cfg.dense_units, activation="relu", **args.dense())(
        future
    )  # (batch, dense_units)
    joined = layers.concatenate([seq, cal], name="concatenate")  # (batch, units + dense_units)
    joined = layers.Dropout(cfg.dropout, **args.dropout())(joined)
    hidden = layers.Dense(cfg.dense_units, activation="relu", **args.dense())(joined)
    out = layers.Dense(outputs, **args.dense())(hidden)
    return keras.Model(inputs=[window, future], outputs=out, name="multi_input")


def model_inputs(name: str, x, covariates, calendar_each_step: bool = True):
    """What variant ``name`` is fed. ``multi-input``: [window, every step's covariates]. Every
    other variant: the window with the first step's target-time calendar (the known-future
    covariates) appended to each timestep, so that every variant knows which hour / week it
    forecasts (each further step's calendar follows from the first's; its Dense output for
    step ``s`` learns that offset). ``calendar_each_step=False`` feeds the bare window (models
    trained before this rule).

    x: (samples, timesteps, features); covariates: (samples, steps, covariates), or
    (samples, covariates) for one step (bundles made before steps).
    """
    if covariates.ndim == 2:
        covariates = covariates[:, None, :]  # (samples, covariates) -> (samples, 1, covariates)
    if uses_covariates(name):
        return [x, covariates.reshape(len(covariates), -1)]  # (samples, steps * covariates)
    if not calendar_each_step or covariates.shape[2] == 0:
        return x
    first = covariates[:, 0, :]  # (samples, covariates)
    steps = np.repeat(first[:, None, :], x.shape[1], axis=1)  # (samples, timesteps, cov)
    return np.concatenate([x, steps.astype(x.dtype)], axis=2)  # (samples, timesteps, f + cov)


def fed_features(name: str, features: int, covariates: int) -> int:
    """Values per timestep as :func:`model_inputs` feeds them."""
    return features if uses_covariates(name) else features + covariates


DEEP_VARIANTS: tuple[str, ...] = tuple(REGISTRY)
