"""Refits that continue, or refits from scratch: the backtest check behind each dataset's
``warm_refit`` (docs/training.md). Not part of a run.

    .venv/bin/python scripts/warm_refit_study.py bike-hourly --seeds 42,43 \\
        --recipes 0.25,0.5,0.75

For every variant and seed: fold 1 is fitted as a run fits it (early-stopped on its newest
windows); then a refit on fold 2's training windows (every window before fold 2's scored
block) is scored on that block, in original units, three ways: from scratch for the epochs
fold 1 stopped at (what a refit without warm starts does), and, for each share in
``--recipes``, from fold 1's weights for that share of the epochs (a share may carry a
learning-rate factor, ``0.5x0.5``). Fold 2's block lies after the refit's windows exactly as
the test period lies after the refit before it, so this chooses the share on backtest data
only. Prints one row per refit and the means; reads ../shared/datasets/ (says so and exits 0
when absent). One heavy job at a time: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_common import REAL  # noqa: E402
from bench_common import SEOUL_FILES as FILES  # noqa: E402


def recipe(text: str) -> tuple[float, float]:
    """``0.5`` -> (0.5, 1.0); ``0.5x0.5`` -> (0.5, 0.5): a share of the epochs and a factor
    on the learning rate."""
    share, _, lr = text.partition("x")
    return float(share), float(lr or 1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted(FILES))
    parser.add_argument("--seeds", default="42,43")
    parser.add_argument("--recipes", default="0.25,0.5,0.75")
    args = parser.parse_args(argv)
    source = REAL / FILES[args.dataset]
    if not source.exists():
        print(f"{source} is absent: nothing measured")
        return 0
    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from seqcast.models.fitting import limit_threads

    limit_threads(2)
    from flows.prepare import prepare
    from seqcast.config import PrepareConfig, TrainConfig
    from seqcast.evaluation.backtest import FitPlan, concat, fit_units, plans_for
    from seqcast.io import storage
    from seqcast.models import catalog
    from seqcast.models.forecaster import Settings
    from tasks.windows import load_windows

    recipes = [recipe(r) for r in args.recipes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="warm-refit-"))
    config = TrainConfig(dataset=args.dataset, source=str(source), out=str(work))
    prepared = prepare(PrepareConfig(dataset=args.dataset, source=str(source), out=str(work)))
    vcfg, training = config.resolved_variant, config.resolved_training
    splits = load_windows(prepared)
    scaler = storage.read_json(Path(prepared) / "scaler.json")
    plans = plans_for(splits, config.backtest_folds)
    fold1, fold2 = plans["fold-1"], plans["fold-2"]
    assert fold2.early_stop is not None and fold2.scored is not None
    # the refit before fold 2's block: every window whose targets end before it
    refit = FitPlan("fold-2-refit", range(0, fold2.early_stop.stop), None, fold2.scored)
    every, kind = concat(splits), scaler["features"]["kind"]
    transform = training.target_transform
    target = (
        transform
        if transform in ("log1p", "difference", "normalize")
        else ("scale" if scaler["target"] is not None else "none")
    )
    parts1, units1 = fit_units(every, fold1, scaler, kind, target)
    parts, units = fit_units(every, refit, scaler, kind, target)
    truth = parts["scored"].y_raw  # (samples, steps), original units

    names = ["scratch", *(f"{s:g}" + (f"x{lr:g}" if lr != 1 else "") for s, lr in recipes)]
    rows = []
    print("| seed | variant | fold-1 epochs | " + " | ".join(names) + " |")
    for seed in (int(s) for s in args.seeds.split(",")):
        tcfg = training.model_copy(update={"seed": seed})
        for variant in config.variants:

            def make(units, lr=1.0, variant=variant, tcfg=tcfg, seed=seed):
                v = vcfg.model_copy(update={"learning_rate": vcfg.learning_rate * lr})
                return catalog.create(
                    variant, Settings(seed=seed, threads=2, units=units, variant=v, training=tcfg)
                )

            first = make(units1)
            best = first.fit(parts1["train"], parts1["early_stop"]).best_epoch or 1
            start = first.weights()

            def score(epochs: int, lr: float = 1.0, begin=None, make=make) -> tuple[float, float]:
                model = make(units, lr)
                clock = time.perf_counter()
                model.fit(parts["train"], None, epochs=epochs, start=begin)
                seconds = time.perf_counter() - clock
                return float(np.mean(np.abs(model.predict(parts["scored"]) - truth))), seconds

            got = [score(best)]
            got += [score(max(1, round(s * best)), lr, start) for s, lr in recipes]
            rows.append(got)
            cells = " | ".join(f"{m:.4g} ({s:.1f} s)" for m, s in got)
            print(f"| {seed} | {variant} | {best} | {cells} |", flush=True)
    means = [statistics.mean(r[i][0] for r in rows) for i in range(len(names))]
    seconds = [sum(r[i][1] for r in rows) for i in range(len(names))]
    lower = [sum(r[i][0] < r[0][0] for r in rows) for i in range(len(names))]
    for name, m, s, n in zip(names, means, seconds, lower, strict=True):
        print(f"{name}: mean MAE {m:.3f}, refit seconds {s:.1f}, lower than scratch in {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
