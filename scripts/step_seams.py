"""Does a step-aware ensemble's path jump where its weights change? A check on a finished
run's stored test forecasts (docs/accuracy.md). Not part of a run; it trains nothing.

    .venv/bin/python scripts/step_seams.py RUN_DIR [MODEL]

For ``MODEL`` (default ``ensemble-by-step``), the whole-path ``ensemble`` and the actuals, the
mean absolute move of the path from each step to the next over every test origin
(``|p[s+1] - p[s]|``), and the mean absolute change of the weights there (half the L1
distance of the two steps' weights, 0 to 1). A seam would show as a step whose move is
larger than the whole-path ensemble's and the actuals' where the weights change most.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def moves(frame: pd.DataFrame, model: str, column: str = "predicted") -> np.ndarray:
    """Mean |p[s+1] - p[s]| over the test origins: (steps - 1,)."""
    part = frame[(frame["model"] == model) & (frame["fit"] == "test")]
    wide = part.pivot_table(index="first_target", columns="step", values=column)
    return np.abs(np.diff(wide.to_numpy(), axis=1)).mean(axis=0)


def main(argv: list[str]) -> int:
    run = Path(argv[0])
    model = argv[1] if len(argv) > 1 else "ensemble-by-step"
    frame = pd.read_parquet(run / "predictions.parquet")
    board = {e["name"]: e for e in json.loads((run / "metrics.json").read_text())["models"]}
    if model not in board or "ensemble" not in board:
        print(f"{run}/metrics.json needs both {model} and the whole-path ensemble")
        return 1
    by_step = board[model].get("weights_by_step") or []
    change = [
        0.5 * sum(abs(a.get(c, 0.0) - b.get(c, 0.0)) for c in set(a) | set(b))
        for a, b in itertools.pairwise(by_step)
    ]
    mine, whole = moves(frame, model), moves(frame, "ensemble")
    actual = moves(frame, "ensemble", "actual")
    print(f"{run.name}: test paths, mean |p[s+1] - p[s]| over the origins")
    print("| steps | weights change | " + model + " | ensemble | actual |")
    print("|---|---|---|---|---|")
    for k in range(len(mine)):
        print(
            f"| {k + 1}-{k + 2} | {change[k] if change else float('nan'):.2f} | {mine[k]:.1f} | "
            f"{whole[k]:.1f} | {actual[k]:.1f} |"
        )
    excess = mine - np.maximum(whole, actual)
    k = int(np.argmax(excess))
    print(
        f"largest excess over max(ensemble, actual): steps {k + 1}-{k + 2}, {excess[k]:.1f} "
        f"({100 * excess[k] / max(actual[k], 1e-9):.0f} % of the actuals' own move there)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
