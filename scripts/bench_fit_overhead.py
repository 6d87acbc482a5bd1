"""Where a deep fit's time goes: ``python scripts/bench_fit_overhead.py`` (``make bench-overhead``).

For one backtest fold fit of ``gru`` on each real Seoul dataset (default settings, seed 42),
prints and writes to docs/BENCHMARKS.md (section "Where a deep fit's time goes"):

- the fit as the pipeline runs it (``seqcast.models.fitting.fit_variant``: Keras ``fit`` with
  validation, early stopping and the epoch callback): epochs, seconds, seconds per epoch;
- the same epochs' arithmetic alone: one compiled train step (``tf.function``) run over every
  batch of the training windows, no validation, no callbacks, timed after a warm-up;
- their difference, the framework's overhead, as a share of the fit.

Reads ../shared/datasets/; says so and exits 0 without writing when they are absent. One heavy
job at a time: run it on an idle machine.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_common import PAGE, REAL, ROOT, replace_section
from bench_common import SEOUL_FILES as FILES

SECTION = "## Where a deep fit's time goes"


def prepared_dir(dataset: str, work: Path) -> str:
    from flows.prepare import prepare
    from seqcast.config import PrepareConfig

    cfg = PrepareConfig(dataset=dataset, source=str(REAL / FILES[dataset]), out=str(work))
    return prepare(cfg)


def measure(dataset: str, work: Path) -> dict:
    import numpy as np
    import tensorflow as tf

    from seqcast.config import TrainConfig
    from seqcast.models.deep import build, fed_features, model_inputs
    from seqcast.models.fitting import fit_variant, seed_everything
    from tasks.windows import load_fit

    config = TrainConfig(dataset=dataset, source=str(REAL / FILES[dataset]), out=str(work))
    vcfg, tcfg = config.resolved_variant, config.resolved_training.model_copy(update={"seed": 42})
    folds = config.backtest_folds
    parts, units, _ = load_fit(prepared_dir(dataset, work), "fold-1", folds, tcfg.target_transform)
    transform = units.transform
    train, early = parts["train"], parts["early_stop"]
    train = train.__class__(**{**train.__dict__, "x": transform.model_inputs(train.x)})
    early = early.__class__(**{**early.__dict__, "x": transform.model_inputs(early.x)})
    # 1. the fit as the pipeline runs it
    epochs_seen: list[int] = []
    start = time.perf_counter()
    _, trained = fit_variant(
        "gru", vcfg, tcfg, {"train": train, "val": early}, None, lambda e, *_: epochs_seen.append(e)
    )
    fit_seconds = time.perf_counter() - start
    epochs = len(trained.history["loss"])
    # 2. the same number of epochs' arithmetic: a compiled train step over every batch
    seed_everything(42)
    _, timesteps, features = train.x.shape  # (samples, timesteps, features)
    _, outputs, covariates = train.covariates.shape  # (samples, steps, covariates)
    fed = fed_features("gru", features, covariates)
    loss = tcfg.loss or "mse"
    model = build("gru", vcfg, timesteps, fed, outputs * covariates, 42, loss, 0.0, outputs)
    x = np.asarray(model_inputs("gru", train.x, train.covariates), np.float32)
    y = np.asarray(train.y, np.float32)
    batch = int(tcfg.batch_size or 32)
    batches = [(x[i : i + batch], y[i : i + batch]) for i in range(0, len(x), batch)]
    import keras

    loss_fn, optimizer = keras.losses.get(model.loss), model.optimizer

    @tf.function(reduce_retracing=True)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            value = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(value, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return value

    for xb, yb in batches:  # warm-up: trace both batch shapes
        step(xb, yb)
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
    arithmetic = time.perf_counter() - start
    return {
        "dataset": dataset,
        "windows": len(x),
        "batches": len(batches),
        "epochs": epochs,
        "fit": fit_seconds,
        "per_epoch": fit_seconds / max(epochs, 1),
        "arithmetic": arithmetic,
        "arithmetic_per_epoch": arithmetic / max(epochs, 1),
        "overhead_share": max(0.0, 1.0 - arithmetic / fit_seconds) if fit_seconds else math.nan,
    }


def lines(rows: list[dict]) -> list[str]:
    out = [
        SECTION,
        "",
        f"`scripts/bench_fit_overhead.py`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        "one job at a time. One backtest fold fit (`fold-1`) of `gru`, default settings, seed 42. "
        "*Fit*: as the pipeline runs it (Keras `fit`, validation each epoch, early stopping, "
        "the epoch callback). *Arithmetic*: the same epochs of one compiled train step over "
        "every training batch, nothing else.",
        "",
        "| dataset | windows | batches | epochs | fit s | s / epoch | arithmetic s "
        "| arithmetic s / epoch | overhead share |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['dataset']} | {r['windows']} | {r['batches']} | {r['epochs']} "
            f"| {r['fit']:.1f} | {r['per_epoch']:.3f} | {r['arithmetic']:.1f} "
            f"| {r['arithmetic_per_epoch']:.3f} | "
            f"{100 * r['overhead_share']:.0f} % |"
        )
    return out


def write(section: list[str]) -> None:
    """Replace the page's section with ``section``, keeping the previous measurement's rows
    beneath it (the figures before the last change, beside the new ones)."""
    text = PAGE.read_text()
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        old = text[start : end if end != -1 else len(text)]
        rows = [line for line in old.splitlines() if line.startswith("| ") and "---" not in line]
        previous = [r for r in rows[1:] if not r.startswith("| dataset")][: len(FILES)]
        stamp = next((w for w in old.split() if w[:4].isdigit() and w.count("-") == 2), "")
        if previous:
            section = [*section, "", f"The previous measurement ({stamp.rstrip(',')}):", "",
                       *section[4:6], *previous]  # fmt: skip
    replace_section(SECTION, "\n".join(section) + "\n")


def main() -> int:
    if not all((REAL / f).exists() for f in FILES.values()):
        print(f"bench-overhead: the real datasets are not in {REAL}; nothing measured")
        return 0
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    from seqcast.models.fitting import limit_threads

    limit_threads(1)  # as a training worker runs: one thread each
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in FILES:
            row = measure(dataset, Path(tmp))
            print(
                f"{dataset}: {row['epochs']} epochs, fit {row['fit']:.1f} s "
                f"({row['per_epoch']:.3f} s/epoch), arithmetic {row['arithmetic']:.1f} s "
                f"({row['arithmetic_per_epoch']:.3f} s/epoch): overhead "
                f"{100 * row['overhead_share']:.0f} % of the fit"
            )
            rows.append(row)
    write(lines(rows))
    print("wrote docs/BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
