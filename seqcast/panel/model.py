"""A global deep model: one Keras variant trained on the windows of every series at once.

The variants are the single-series registry's (:mod:`seqcast.models.deep`: ``gru``, ``lstm``,
``rnn``), built on windows of (window, 2) (the scaled value, and whether the row exists) with
``horizon`` outputs, trained with MAE on the scaled targets (each window divided by its own
scale, so the loss is close to the field's scaled error). With ``series_identity`` a learned
embedding of the series joins the recurrent layer's output before the head (the
Functional API), so the model may learn each series' own offsets.

Early stopping watches each series' newest training window (one per series), restoring the
best epoch's weights. One seed fixes every weight and the batches' order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from seqcast.panel.spec import PanelSpec
from seqcast.panel.windows import FEATURES, Windows

EMBEDDING = 8  # the series-identity embedding's width


@dataclass
class FitResult:
    model: object  # keras.Model
    epochs: int
    seconds: float
    train_windows: int
    val_loss: float


def _build(variant: str, spec: PanelSpec, seed: int, n_series: int):
    import keras

    from seqcast.config.model_settings import VariantConfig
    from seqcast.models.deep import LayerArgs, build

    t = spec.training
    cfg = VariantConfig(units=t.units, learning_rate=t.learning_rate)
    if not t.series_identity:
        return build(variant, cfg, spec.window, FEATURES, 0, seed, "mae", outputs=spec.horizon)
    args = LayerArgs(seed)
    layer = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM, "rnn": keras.layers.SimpleRNN}
    window = keras.Input(shape=(spec.window, FEATURES), name="window")  # (batch, window, 2)
    sid = keras.Input(shape=(1,), name="series", dtype="int32")  # (batch, 1)
    kind = {"gru": "gru", "lstm": "lstm", "rnn": "simple_rnn"}[variant]
    h = layer[variant](t.units, **args.recurrent(kind))(window)  # (batch, units)
    e = keras.layers.Embedding(
        n_series,
        EMBEDDING,
        name=args.name("embedding"),
        embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=args.seed()),
    )(sid)  # (batch, 1, EMBEDDING)
    e = keras.layers.Flatten(name=args.name("flatten"))(e)  # (batch, EMBEDDING)
    both = keras.layers.Concatenate(name=args.name("concatenate"))([h, e])
    out = keras.layers.Dense(spec.horizon, **args.dense())(both)  # (batch, horizon)
    model = keras.Model([window, sid], out, name=f"{variant}-identity")
    model.compile(optimizer=keras.optimizers.Adam(t.learning_rate), loss="mae")
    return model


def inputs(w: Windows, spec: PanelSpec):
    """What a model of ``spec`` takes for windows ``w``."""
    if spec.training.series_identity:
        return [w.x, w.series.astype(np.int32)[:, None]]
    return w.x


def fit(
    variant: str, spec: PanelSpec, train: Windows, val: Windows, seed: int, n_series: int
) -> FitResult:
    """Train ``variant`` on ``train`` (early stopping on ``val``), seeded by ``seed``."""
    import keras

    from seqcast.models.fitting import seed_everything

    seed_everything(seed)
    start = time.perf_counter()
    model = _build(variant, spec, seed, n_series)
    t = spec.training
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=t.patience, restore_best_weights=True
    )
    history = model.fit(
        inputs(train, spec),
        train.y,
        validation_data=(inputs(val, spec), val.y),
        epochs=t.max_epochs,
        batch_size=t.batch_size,
        shuffle=True,
        callbacks=[stop],
        verbose=0,
    )
    losses = history.history["val_loss"]
    return FitResult(
        model,
        len(losses),
        time.perf_counter() - start,
        len(train),
        float(np.min(losses)),
    )


def predict(model, w: Windows, spec: PanelSpec) -> np.ndarray:
    """(samples, horizon) forecasts in the series' own units."""
    if len(w) == 0:
        return np.zeros((0, spec.horizon))
    scaled = model.predict(inputs(w, spec), batch_size=4096, verbose=0)  # (samples, horizon)
    return np.asarray(scaled, dtype=np.float64) * w.scale[:, None]
