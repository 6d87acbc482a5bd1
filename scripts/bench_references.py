"""Seconds per fitted reference (ridge, gradient boosting: fit, then the forecast of the scored
block) on every fit of prepared windows, as the ``fit-references`` task fits them, in one
process where scikit-learn loaded before any thread setting (as in the thread and Dask task
runners), optionally beside busy processes standing in for the other workers' deep fits.

    .venv/bin/python scripts/bench_references.py OUT/DATASET/prepared/KEY [...] \\
        [--folds 2] [--threads 1] [--busy 1]

Prepare the windows first (``seqcast prepare --dataset ... --source ... --out OUT``). Prints
one line per fit; nothing is written.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prepared", nargs="+", help="prepared windows directories")
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="the task's threads")
    parser.add_argument("--busy", type=int, default=0, help="busy processes beside the fits")
    args = parser.parse_args()

    from seqcast.evaluation.backtest import SERVE_FIT, TEST_FIT, fold_names
    from seqcast.models import catalog
    from seqcast.models.forecaster import Settings
    from tasks.windows import load_fit

    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        for prepared in args.prepared:
            print(f"{prepared} (threads {args.threads}, {args.busy} busy processes)")
            for fit in [*fold_names(args.folds), TEST_FIT, SERVE_FIT]:
                parts, _, _ = load_fit(prepared, fit, args.folds, None)
                train = parts["train"]  # (samples, timesteps, features)
                cells = []
                for name in ("ridge", "gradient-boosting"):
                    start = time.perf_counter()
                    model = catalog.create(name, Settings(seed=42, threads=args.threads))
                    model.fit(train)
                    if "scored" in parts:
                        model.predict(parts["scored"])
                    cells.append(f"{name} {time.perf_counter() - start:.2f} s")
                shape = "x".join(map(str, train.x.shape))
                print(f"  {fit:<8} {shape:<12} " + ", ".join(cells), flush=True)
    finally:
        for p in busy:
            p.kill()


if __name__ == "__main__":
    main()
