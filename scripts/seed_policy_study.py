"""Which variants get how many seeds: replays the selection on stored fits, to judge ways of
spending the same fitting budget (docs/accuracy.md). Not part of a run.

First fit every variant with five seeds once (the fits are cached per seed, so one run holds
what any run seed 42 / 43 / 44 with three seeds would fit):

    PREFECT_HOME=/tmp/study-ph .venv/bin/seqcast train -q --dataset bike-hourly \\
        --source ../shared/datasets/seoul_bike_hourly.csv --out /tmp/study-out \\
        --seed 42 --seeds 5 --shortlist 7
    .venv/bin/python scripts/seed_policy_study.py /tmp/study-ph /tmp/study-out bike-hourly

It reads the fits back from Prefect's result storage under that PREFECT_HOME, then, for run
seeds 42 / 43 / 44 (fits with seeds s, s+1, s+2), ranks the candidates with the pipeline's
own ``selection.rank`` under each policy and prints the champion's backtest MAE (what a
policy is judged on) and test MAE (reported, never used to choose), and the fitting seconds.
The references' seed is the run seed when stored, else the nearest stored one (ridge and
gradient boosting give the same forecasts for every seed here).

Policies:
- ``default``: every variant with one seed, the best ``shortlist`` (2) on the backtest get
  seeds s+1 and s+2 (what a run does);
- ``all-x3``: every variant with three seeds;
- ``top<k>-x3``: the k variants with the lowest mean single-fit backtest MAE over all stored
  seeds, three seeds each (the k chosen on the backtest of the very fits it is judged on,
  so an optimistic figure).
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import cloudpickle
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seqcast.evaluation.backtest import SERVE_FIT, TEST_FIT, fold_names  # noqa: E402
from seqcast.evaluation.leaderboard import shortlist  # noqa: E402
from seqcast.evaluation.records import FitRef  # noqa: E402
from seqcast.evaluation.selection import backtest_mae, rank  # noqa: E402
from tasks.windows import truth_of  # noqa: E402

RUN_SEEDS = (42, 43, 44)


def stored_fits(prefect_home: Path) -> list[FitRef]:
    """Every fold and pretest fit in the result storage (JSON records, cloudpickled)."""
    out: list[FitRef] = []
    for path in (prefect_home / "storage").iterdir():
        try:
            value = cloudpickle.loads(base64.b64decode(json.loads(path.read_text())["result"]))
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, FitRef) and item.fit != SERVE_FIT:
                out.append(item)
    return out


def main(prefect_home: Path, out: Path, dataset: str) -> None:
    prepared = str(next((out / dataset / "prepared").iterdir()))
    fits = [f for f in stored_fits(prefect_home) if f.prepared_dir == prepared]
    n_folds = len({f.fit for f in fits} - {TEST_FIT})
    folds = fold_names(n_folds)
    truth = truth_of([prepared], n_folds)
    deep: dict[str, dict[int, dict[str, np.ndarray]]] = {}
    refs: dict[int, dict[str, dict[str, np.ndarray]]] = {}
    seconds: dict[tuple[str, int, str], float] = {}  # a fit stored twice counts once
    for f in fits:
        key = "test" if f.fit == TEST_FIT else f.fit
        values = np.asarray(f.predictions, dtype=np.float64)
        if f.kind == "deep":
            deep.setdefault(f.label, {}).setdefault(f.seed, {})[key] = values
            seconds[(f.label, f.seed, key)] = f.seconds
        else:
            refs.setdefault(f.seed, {}).setdefault(f.label, {})[key] = values
    variants = sorted(deep)
    stored = sorted(set.intersection(*(set(deep[v]) for v in variants)))
    single = {v: np.mean([backtest_mae(deep[v][s], truth, folds) for s in stored]) for v in deep}
    order = sorted(variants, key=single.__getitem__)
    print(f"{dataset}: seeds {stored}; mean single-fit backtest MAE:")
    print("  " + ", ".join(f"{v} {single[v]:.4g}" for v in order))

    def refs_for(seed: int) -> dict[str, dict[str, np.ndarray]]:
        return refs[min(refs, key=lambda s: abs(s - seed))]  # the run seed's, else the nearest

    def run(seed: int, more: list[str], names: list[str]) -> tuple[float, float, float]:
        chosen = {
            v: {s: deep[v][s] for s in [seed] + ([seed + 1, seed + 2] if v in more else [])}
            for v in names
        }
        r = rank(chosen, refs_for(seed), truth, folds, seed, 10)
        best = next(e for e in r.board if e["name"] == r.champion)
        cost = sum(seconds[(v, s, k)] for v in chosen for s in chosen[v] for k in [*folds, "test"])
        return best["backtest"]["mae"], best["test"]["mae"], cost

    policies: dict[str, list[tuple[float, float, float]]] = {}
    for seed in RUN_SEEDS:
        if any(seed + 2 not in deep[v] for v in variants):
            sys.exit(f"needs seeds {seed}..{seed + 2} of every variant; stored: {stored}")
        first = rank(
            {v: {seed: deep[v][seed]} for v in variants}, refs_for(seed), truth, folds, seed, 10
        )
        policies.setdefault("default", []).append(run(seed, shortlist(first.board, 2), variants))
        policies.setdefault("all-x3", []).append(run(seed, variants, variants))
        for k in range(1, len(order)):
            policies.setdefault(f"top{k}-x3", []).append(run(seed, order[:k], order[:k]))
    print(f"{'policy':10s} | backtest MAE, run seeds {RUN_SEEDS} | test MAE | test spread | fit s")
    for name, rows in policies.items():
        bt, te, cost = (np.array(col) for col in zip(*rows, strict=True))
        spread = 100 * (te.max() - te.min()) / te.min()
        print(
            f"{name:10s} | {' / '.join(f'{x:.4g}' for x in bt)} (mean {bt.mean():.4g}) | "
            f"{' / '.join(f'{x:.4g}' for x in te)} | {spread:.1f} % "
            f"| {cost.mean():.0f}"
        )


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
