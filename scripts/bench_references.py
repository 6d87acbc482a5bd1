"""Seconds and errors of references on every fit of prepared windows, as the
``fit-references`` task fits them, in one process where scikit-learn loaded before any thread
setting (as in the thread and Dask task runners), optionally beside busy processes standing
in for the other workers' deep fits.

    .venv/bin/python scripts/bench_references.py OUT/DATASET/prepared/KEY [...] \\
        [--folds 2] [--threads 1] [--busy 1] [--models ridge,gradient-boosting,lag-boosting] \\
        [--target-transform none|difference]

Prepare the windows first (``seqcast prepare --dataset ... --source ... --out OUT``). Prints
one line per fit (seconds and MAE over the steps on the fit's scored block), then each
model's backtest MAE (mean over the folds) and test MAE; nothing is written.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prepared", nargs="+", help="prepared windows directories")
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="the task's threads")
    parser.add_argument("--busy", type=int, default=0, help="busy processes beside the fits")
    parser.add_argument("--models", default="ridge,gradient-boosting")
    parser.add_argument("--target-transform", default="none")
    args = parser.parse_args()

    from seqcast.evaluation.backtest import SERVE_FIT, TEST_FIT, fold_names
    from seqcast.models import catalog
    from seqcast.models.forecaster import Settings
    from tasks.windows import load_fit

    names = args.models.split(",")
    transform = args.target_transform if args.target_transform != "none" else None
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        for prepared in args.prepared:
            print(f"{prepared} (threads {args.threads}, {args.busy} busy processes)")
            mae: dict[str, dict[str, float]] = {n: {} for n in names}
            for fit in [*fold_names(args.folds), TEST_FIT, SERVE_FIT]:
                parts, units, _ = load_fit(prepared, fit, args.folds, transform)
                train = parts["train"]  # (samples, timesteps, features)
                cells = []
                for name in names:
                    start = time.perf_counter()
                    model = catalog.create(
                        name, Settings(seed=42, threads=args.threads, units=units)
                    )
                    model.fit(train)
                    text = f"{name} {time.perf_counter() - start:.2f} s"
                    if "scored" in parts:
                        block = parts["scored"]
                        err = float(np.mean(np.abs(model.predict(block) - block.y_raw)))
                        mae[name][fit] = err
                        text += f" (MAE {err:.4g})"
                    cells.append(text)
                shape = "x".join(map(str, train.x.shape))
                print(f"  {fit:<8} {shape:<12} " + ", ".join(cells), flush=True)
            for name, by_fit in mae.items():
                folds = [v for f, v in by_fit.items() if f != TEST_FIT]
                print(
                    f"  {name}: backtest MAE {np.mean(folds):.4g} (folds "
                    f"{', '.join(f'{v:.4g}' for v in folds)}), test MAE {by_fit[TEST_FIT]:.4g}"
                )
    finally:
        for p in busy:
            p.kill()


if __name__ == "__main__":
    main()
