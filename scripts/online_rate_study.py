"""The champion's online intervals of finished runs, recomputed from their stored predictions
with a grid of rates: the rate the backtest chooses and how the test period scores, origin by
origin (docs/accuracy.md). Not part of a run; it trains nothing.

    .venv/bin/python scripts/online_rate_study.py [--rates 0,0.05,0.2] RUN_DIR ...

It runs ``seqcast.evaluation.calibration.online_report`` (what the rank task runs) on each
run's champion with the calibration method the run chose (global or by hour of day). The
clocks are read from the target times (an origin is one step before its first target), which
gives the same order as the windows' rows on files without gaps: with the grid a run used,
it reproduces that run's ``intervals.online`` figures to the digit.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.evaluation.calibration import calendar_groups, group_name, online_report
from seqcast.evaluation.online import RATES


def arrays(run: Path, model: str) -> tuple[dict, dict, dict, dict]:
    """The model's predictions, the actuals, the clocks and the target times' hour or day
    groups per fit: (samples, steps) each."""
    frame = pd.read_parquet(run / "predictions.parquet")
    frame = frame[frame["model"] == model]
    preds, truth, clocks, times = {}, {}, {}, {}
    for fit, part in frame.groupby("fit"):

        def wide(column: str, part=part) -> pd.DataFrame:
            return part.pivot_table(
                index="first_target", columns="step", values=column, aggfunc="first"
            )

        preds[fit], truth[fit] = wide("predicted").to_numpy(), wide("actual").to_numpy()
        target = wide("target_time").to_numpy().astype("datetime64[ns]")  # (samples, steps)
        first = target[:, 0].astype(np.int64)
        period = int(np.median(np.diff(first)))  # origins are one period apart
        step = int(wide("predicted").columns[0])  # the first step forecast
        clocks[fit] = (first - step * period, target.astype(np.int64))
        times[fit] = target
    return preds, truth, clocks, times


def study(run: Path, rates: tuple[float, ...]) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    champion = metrics["champion"]
    entry = next(e for e in metrics["models"] if e["name"] == champion)
    spec = json.loads((run / "manifest.json").read_text())["spec"]
    frequency = spec["time_index"]["frequency"]
    minimum = next((c.get("min") for c in spec["columns"] if c["name"] == spec["target"]), None)
    preds, truth, clocks, times = arrays(run, champion)
    folds = sorted((f for f in preds if f.startswith("fold-")), key=lambda f: int(f[5:]))
    grouped = entry["intervals"]["method"] != "global" and group_name(frequency)
    groups = {f: calendar_groups(t, frequency) for f, t in times.items()} if grouped else None
    report = online_report(preds, truth, folds, (0.8, 0.95), minimum, groups, clocks, rates)
    return {"run": run.name, "champion": champion, "static": entry["intervals"]["test"], **report}


def line(name: str, scores: dict) -> str:
    parts = []
    for level in ("80", "95"):
        s, nominal = scores[level], float(level) / 100
        worst = max(abs(c - nominal) for c in s["coverage_by_step"])
        parts.append(f"{level} %: {100 * s['coverage']:.1f} % (worst step {100 * worst:.1f}")
        if s.get("coverage_by_group"):
            group = max(abs(c - nominal) for c in s["coverage_by_group"].values())
            parts[-1] += f", worst group {100 * group:.1f}"
        parts[-1] += f"; interval score {s['winkler']:.3f})"
    return f"  {name}: " + "; ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default=",".join(str(r) for r in RATES))
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    rates = tuple(float(r) for r in args.rates.split(","))
    for run in args.runs:
        got = study(Path(run), rates)
        chosen = ", ".join(f"{r} {v:.3f}" for r, v in got["by_rate"].items())
        print(f"{got['run']} ({got['champion']}): rate {got['rate']} chosen on the backtest")
        print(f"  backtest interval score by rate: {chosen}")
        print(line("test, static", got["static"]))
        print(line("test, online", got["test"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
