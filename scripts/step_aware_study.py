"""Would a champion chosen per block of steps beat the references at every step? A study on a
finished run's stored predictions (docs/accuracy.md's open question). Not part of a run; it
trains nothing.

    .venv/bin/python scripts/step_aware_study.py RUN_DIR

``RUN_DIR``: a train run's folder (its ``predictions.parquet`` holds every candidate's and
reference's forecast of every scored window: fold-1 .. fold-K and test). For each block of
steps it chooses, on the backtest folds only, (a) the single best model and (b) a weighted
mean by greedy forward selection with replacement (up to 10 picks, the rule the run's own
``ensemble`` uses over all steps), then reports each choice's backtest and test MAE per block
beside the run's champion and the best reference of each block. Test never chooses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BLOCKS = {  # the step blocks, by how far ahead a dispatcher looks
    24: [(1, 1), (2, 2), (3, 6), (7, 12), (13, 24)],
    4: [(1, 1), (2, 2), (3, 4)],
}
PICKS = 10


def greedy(errors: dict[str, np.ndarray], actual: np.ndarray, picks: int = PICKS) -> dict:
    """Caruana's forward selection with replacement: add the model that most lowers the MAE
    of the running mean, up to ``picks`` times. ``errors``: model -> predictions (n,) on
    the choosing data; returns model -> weight."""
    chosen: list[str] = []
    total = np.zeros_like(actual, dtype=np.float64)
    for _ in range(picks):
        best = min(errors, key=lambda m: np.mean(np.abs((total + errors[m]) / (len(chosen) + 1)
                                                        - actual)))  # fmt: skip
        chosen.append(best)
        total += errors[best]
    return {m: chosen.count(m) / len(chosen) for m in dict.fromkeys(chosen)}


def main(argv: list[str]) -> int:
    run = Path(argv[0])
    frame = pd.read_parquet(run / "predictions.parquet")
    champion = json.loads((run / "metrics.json").read_text())["champion"]
    steps = int(frame["step"].max())
    blocks = BLOCKS.get(steps, [(1, 1), (2, steps)])
    references = sorted(set(frame.loc[frame["kind"] == "reference", "model"]))
    models = sorted(set(frame["model"]) - {"ensemble"})  # what a per-block choice may pick
    backtest = frame[frame["fit"] != "test"]
    test = frame[frame["fit"] == "test"]

    def table(part: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
        """(rows: window and step, columns: model) predictions, and the actual."""
        part = part[(part["step"] >= lo) & (part["step"] <= hi)]
        wide = part.pivot_table(index=["fit", "first_target", "step"], columns="model",
                                values="predicted")  # fmt: skip
        actual = part.groupby(["fit", "first_target", "step"])["actual"].first()
        return wide.join(actual.rename("__actual__"))

    print(f"run {run.name}: champion {champion}, {steps} steps; backtest / test MAE per block")
    print(
        "| steps | champion | best reference (chosen on backtest) | best single | block ensemble |"
    )
    print("|---|---|---|---|---|")
    totals: dict[str, list[tuple[int, float, float]]] = {
        k: [] for k in ("champion", "reference", "single", "block")
    }
    for lo, hi in blocks:
        bt, te = table(backtest, lo, hi), table(test, lo, hi)

        def mae(t: pd.DataFrame, weights: dict) -> float:
            pred = sum(w * t[m].to_numpy() for m, w in weights.items())
            return float(np.mean(np.abs(pred - t["__actual__"].to_numpy())))

        champ = {champion: 1.0}
        ref = min(references, key=lambda m: mae(bt, {m: 1.0}))
        single = min(models, key=lambda m: mae(bt, {m: 1.0}))
        block = greedy({m: bt[m].to_numpy() for m in models}, bt["__actual__"].to_numpy())
        mix = " + ".join(f"{m} {v:.1f}" for m, v in block.items())
        choices = [("champion", champ, ""), ("reference", {ref: 1.0}, ref),
                   ("single", {single: 1.0}, single), ("block", block, mix)]  # fmt: skip
        cells = []
        for key, w, label in choices:
            b, t = mae(bt, w), mae(te, w)
            totals[key].append((hi - lo + 1, b, t))
            cells.append(f"{b:.1f} / {t:.1f}" + (f" ({label})" if label else ""))
        print(f"| {lo}-{hi} | " + " | ".join(cells) + " |")

    def mean(key: str, i: int) -> float:  # i: 0 backtest, 1 test; weighted by steps
        return sum(row[0] * row[1 + i] for row in totals[key]) / steps

    print("| mean over steps | " + " | ".join(
        f"{mean(k, 0):.1f} / {mean(k, 1):.1f}" for k in ("champion", "reference", "single", "block")
    ) + " |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
