"""Training one deep variant: seeded, early-stopped, checkpointed. No Prefect here.

Adam with the configured loss; early stopping on validation loss with the best weights
restored; a ``ModelCheckpoint`` of the best ``.keras`` model; the loss curves are kept per
epoch. A refit (no validation, a fixed number of epochs) with ``ema_momentum`` keeps the moving
average of its weights.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqcast.config.model_settings import TrainingConfig, VariantConfig
from seqcast.data.windows import WindowSet
from seqcast.models.deep import build, fed_features, model_inputs


@dataclass(frozen=True)
class Trained:
    history: dict[str, list[float]]  # per epoch: loss, val_loss
    best_epoch: int  # 1-based
    predictions: dict[str, np.ndarray]  # split -> (samples, steps) in the model's target units
    seconds: float
    params: int


def thread_env(threads: int) -> None:
    """Cap BLAS's and TensorFlow's threads through the environment, without importing
    TensorFlow (a process-pool initializer: workers whose tasks are all cached stay light)."""
    for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# What TensorFlow's native code writes to fd 2 as it starts on a machine without a GPU; it
# ignores TF_CPP_MIN_LOG_LEVEL for these (absl logs before it reads it), and a worker's log,
# where flow runs' output goes unfiltered, showed "failed call to cuInit" as an error.
_START_NOISE = (
    "All log messages before absl::InitializeLog",
    "cudart_stub.cc",
    "cuda_platform.cc",
    "cuda_driver.cc",
    "cuda_diagnostics.cc",
    "port.cc:",
    "cpu_feature_guard.cc",
    "To enable the following instructions",
    "Unable to register cu",
    "computation_placer.cc",
    "TF-TRT Warning",
)


def without_start_noise(lines: list[str]) -> list[str]:
    return [line for line in lines if not any(mark in line for mark in _START_NOISE)]


def start_tensorflow():
    """Import TensorFlow (once per process) with its start-up chatter held back: fd 2 goes to a
    temporary file while it loads and looks for a GPU, and every line that is not known start-up
    noise (``_START_NOISE``) is written back to standard error."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")  # where cuInit is tried
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            lines = held.read().decode("utf-8", "replace").splitlines()
    kept = without_start_noise(lines)
    if kept:
        print("\n".join(kept), file=sys.stderr)
    return tf


def limit_threads(threads: int) -> None:
    """Cap TensorFlow's and BLAS's threads in this process (call before TensorFlow starts)."""
    thread_env(threads)
    tf = start_tensorflow()

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # TensorFlow already started in this process; the env vars applied at its start


def seed_everything(seed: int) -> None:
    """One seed drives Python, numpy, Keras and TensorFlow (the shuffling of each epoch); ops
    are deterministic. Weights are seeded per layer (:class:`seqcast.models.deep.LayerArgs`)."""
    start_tensorflow()
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def fit_variant(
    name: str,
    vcfg: VariantConfig,
    tcfg: TrainingConfig,
    splits: dict[str, WindowSet],
    checkpoint: Path | None = None,
    on_epoch: Callable[[int, float, float | None], None] | None = None,
    epochs: int | None = None,
    start: Sequence[np.ndarray] | None = None,
):
    """Train ``name`` on ``splits['train']``, from ``start`` (the weights of an earlier fit of
    the same variant and settings, in ``model.get_weights()`` order: a warm-started refit)
    or from the seeded initialisation.

    With ``splits['val']``: up to ``max_epochs`` with early stopping on it (best weights
    restored, the best model checkpointed to ``checkpoint`` when given). Without: exactly
    ``epochs`` epochs (a refit whose epoch count came from the backtest), keeping the moving
    average of its weights when ``tcfg.ema_momentum`` > 0. Returns the model
    and a :class:`Trained` summary with its predictions on every split but ``train``.
    ``on_epoch(epoch, loss, val_loss)`` (1-based epoch; val_loss None without ``val``) is
    called after every epoch, for progress reports.
    """
    import keras

    loss = tcfg.loss
    if None in (tcfg.max_epochs, tcfg.patience, tcfg.batch_size) or loss is None:
        raise ValueError("resolve the training config (TrainConfig.resolved_training) first")
    val = splits.get("val")
    if val is None and epochs is None:
        raise ValueError("without a validation split, give the number of epochs")
    # No keras.backend.clear_session(): it resets Keras' process-wide state under any variant
    # training in another thread. Layer names and seeds are explicit (models.LayerArgs).
    seed_everything(tcfg.seed)
    train = splits["train"]
    _, timesteps, features = train.x.shape  # (samples, timesteps, features)
    _, outputs, covariates = train.covariates.shape  # (samples, steps, covariates)
    fed = fed_features(name, features, covariates)
    assert tcfg.batch_size is not None  # checked above
    batches = math.ceil(len(train.y) / tcfg.batch_size)  # per epoch
    # a refit keeps the moving average of its weights; an early-stopped fit its best epoch
    ema = 0.0
    if val is None and tcfg.ema_momentum:
        ema = refit_momentum(tcfg.ema_momentum, int(epochs or 0) * batches)
    per_call = batches if batches >= GRAPH_LOOP_MIN_BATCHES else 1
    model = build(
        name, vcfg, timesteps, fed, outputs * covariates, tcfg.seed, loss, ema, outputs, per_call
    )
    if start is not None:
        set_start(model, name, start)
    callbacks: list = []
    if val is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=tcfg.patience, restore_best_weights=True
            )
        )
        if checkpoint is not None:
            callbacks.append(
                keras.callbacks.ModelCheckpoint(
                    str(checkpoint), monitor="val_loss", save_best_only=True
                )
            )
    decay = tcfg.lr_decay if tcfg.lr_decay is not None else 1.0
    if decay < 1.0:
        initial = float(vcfg.learning_rate or 0.0)
        callbacks.append(
            keras.callbacks.LearningRateScheduler(lambda epoch, _lr: initial * decay**epoch)
        )
    if on_epoch is not None:
        report = on_epoch
        callbacks.append(
            keras.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: report(
                    epoch + 1,
                    float(logs["loss"]),
                    float(logs["val_loss"]) if "val_loss" in logs else None,
                )
            )
        )
    x = model_inputs(name, train.x, train.covariates)
    val_data = None if val is None else (model_inputs(name, val.x, val.covariates), val.y)
    clock = time.perf_counter()
    if batches >= TINY_DATA_BATCHES:
        data = {"x": x, "y": train.y, "validation_data": val_data,
                "batch_size": tcfg.batch_size, "shuffle": True}  # fmt: skip
    else:  # tiny data: one in-memory pipeline, shuffled by its own seeded op
        data = {
            "x": in_memory(x, train.y, tcfg.batch_size, shuffle_seed=tcfg.seed),
            "validation_data": None if val_data is None else in_memory(*val_data, tcfg.batch_size),
            "shuffle": False,  # the pipeline shuffles itself
        }
    fit = model.fit(
        **data,
        epochs=tcfg.max_epochs if val is not None else epochs,
        callbacks=callbacks,
        verbose=0,
    )
    seconds = time.perf_counter() - clock
    history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
    if val is None and checkpoint is not None:
        model.save(str(checkpoint))
    scored = {s: ws for s, ws in splits.items() if s != "train"}
    predictions = predict_splits(model, name, scored) if scored else {}
    best = int(np.argmin(history["val_loss"])) + 1 if val is not None else len(history["loss"])
    return model, Trained(history, best, predictions, seconds, int(model.count_params()))


def set_start(model, name: str, start: Sequence[np.ndarray]) -> None:
    """Give ``model`` the weights ``start``; a clear error when they were made for another
    shape of ``name`` (another window length, feature set or variant setting)."""
    have = [tuple(w.shape) for w in model.get_weights()]
    got = [tuple(np.shape(w)) for w in start]
    if have != got:
        raise ValueError(
            f"{name}: the weights to start from do not fit this model (shapes {got} against "
            f"{have}); they were made with other settings"
        )
    model.set_weights([np.asarray(w) for w in start])


def refit_momentum(momentum: float, steps: int) -> float:
    """The moving average's momentum for a refit of ``steps`` gradient steps: ``momentum``,
    but never so high that the average reaches back past the last quarter of the steps (its
    time constant ``1 / (1 - momentum)`` is capped at ``steps / 4``), so a short refit does
    not keep its first, untrained weights in the average. 0 when that leaves nothing."""
    return max(0.0, min(momentum, 1.0 - 4.0 / steps)) if steps > 0 else 0.0


# From this many batches an epoch, one compiled call trains a whole epoch (Keras'
# ``steps_per_execution``): on the bike fold-1 windows (46 batches) a GRU epoch took 0.367 s
# instead of 0.538 s with the same losses; on weekly (3 batches) the loop's extra tracing cost
# more than it saved (scripts/bench_fit_overhead.py, docs/BENCHMARKS.md).
GRAPH_LOOP_MIN_BATCHES = 16
# Below this many batches an epoch, the windows are fed as one in-memory tf.data pipeline
# (``in_memory``): Keras' adapter for arrays rebuilt its shuffling pipeline every epoch, which
# cost far more than the epoch's few batches of arithmetic. Its shuffle is its own seeded op,
# so a tiny fit's epochs see other orders than the arrays' adapter gave them.
TINY_DATA_BATCHES = 16


def in_memory(x, y: np.ndarray, batch_size: int, shuffle_seed: int | None = None):
    """The windows as one tf.data pipeline of ``batch_size`` batches: reshuffled every epoch
    by its own op seeded with ``shuffle_seed`` (None: in order, for validation). ``x``: one
    (samples, timesteps, features) array, or a list of the model's inputs."""
    import tensorflow as tf

    inputs = tuple(x) if isinstance(x, list | tuple) else x
    data = tf.data.Dataset.from_tensor_slices((inputs, y))
    if shuffle_seed is not None:
        data = data.shuffle(len(y), seed=shuffle_seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(1)


RETRY_SEED_OFFSET = 1_000_003  # a retry's seed: far from any seed a user sweeps by hand


def collapse_of(val_predictions: np.ndarray, val_y: np.ndarray) -> str | None:
    """Why a fit collapsed, judged on validation in the model's own units (the rule of
    :func:`seqcast.evaluation.leaderboard.collapsed`), or None."""
    from seqcast.evaluation.leaderboard import collapsed
    from seqcast.evaluation.metrics import evaluate

    return collapsed(val_predictions, evaluate(val_y, val_predictions, 1.0))


def fit_with_retry(
    name: str,
    vcfg: VariantConfig,
    tcfg: TrainingConfig,
    splits: dict[str, WindowSet],
    checkpoint: Path | None,
    on_epoch: Callable[[int, float, float | None], None] | None = None,
    fit: Callable[..., tuple[object, Trained]] | None = None,
    epochs: int | None = None,
    start: Sequence[np.ndarray] | None = None,
) -> tuple[object, Trained, list[dict]]:
    """:func:`fit_variant`, and once more with another seed when the fit collapsed (a flat
    validation forecast, or validation R² <= 0). Returns the model, its summary, and the
    attempts that collapsed (``[{"seed": ..., "reason": ...}]``; empty when the first fit
    was sound). A second collapse is returned as it is: the leaderboard flags it and it is
    never chosen."""
    fit = fit or fit_variant
    failed: list[dict] = []
    if start is not None:  # a warm-started refit: nothing to judge it on, nothing to retry
        return (*fit(name, vcfg, tcfg, splits, checkpoint, on_epoch, epochs, start), failed)
    model, trained = fit(name, vcfg, tcfg, splits, checkpoint, on_epoch, epochs)
    if "val" not in splits:
        return model, trained, failed  # a fixed-epoch refit: nothing to judge it on
    reason = collapse_of(trained.predictions["val"], splits["val"].y)
    if reason is not None:
        failed.append({"seed": tcfg.seed, "reason": reason})
        retry = tcfg.model_copy(update={"seed": (tcfg.seed + RETRY_SEED_OFFSET) % (2**31 - 1)})
        model, trained = fit(name, vcfg, retry, splits, checkpoint, on_epoch, epochs)
    return model, trained, failed


def predict_splits(model, name: str, splits: dict[str, WindowSet]) -> dict[str, np.ndarray]:
    """Predictions for every split from one call of the model on the windows stacked
    together. ``model.predict`` would trace a graph function for each new batch shape (every
    split's final partial batch, every model of a worker process): TensorFlow's retracing
    warnings. One direct call traces nothing. Returns split -> (samples, steps) in the model's
    target units."""
    x = np.concatenate([ws.x for ws in splits.values()])  # (all samples, timesteps, features)
    cov = np.concatenate([ws.covariates for ws in splits.values()])  # (all, steps, covariates)
    out = model(model_inputs(name, x, cov), training=False)  # (all samples, steps)
    stacked = np.asarray(out, dtype=np.float64)
    ends = np.cumsum([len(ws.y) for ws in splits.values()])
    return dict(zip(splits, np.split(stacked, ends[:-1]), strict=True))
