"""Where a train run's compute goes (pure): the seconds its fits took, summed by kind of fit.

Each fit records the seconds its ``fit`` call took (``FitRef.seconds``); a fit read from the
cache reports the seconds it took when it was made. Rows, in this order: the deep candidates'
backtest folds with the base seed (the screening every variant gets), their folds with more
seeds (the shortlist), their refits before the test period, each reference's backtest and
pretest fits, and the champion's served refits (deep and references)."""

from __future__ import annotations

from collections.abc import Iterable

from seqcast.evaluation.backtest import SERVE_FIT, TEST_FIT
from seqcast.evaluation.records import FitRef


def seconds_by_kind(fits: Iterable[FitRef], served: Iterable[FitRef], base_seed: int) -> list[dict]:
    """One row per kind of fit: ``kind``, ``fits`` (how many), ``seconds`` (their sum) and,
    for deep fits, ``epochs`` (their sum); kinds with no fit are left out."""
    rows: dict[str, dict] = {}

    def add(kind: str, fit: FitRef) -> None:
        row = rows.setdefault(kind, {"kind": kind, "fits": 0, "seconds": 0.0, "epochs": 0})
        row["fits"] += 1
        row["seconds"] += fit.seconds
        row["epochs"] += fit.epochs or 0

    for fit in fits:
        if fit.kind == "deep" and fit.fit == TEST_FIT:
            add("deep: refits before the test period", fit)
        elif fit.kind == "deep":
            more = fit.seed != base_seed
            add(f"deep: backtest folds, {'more seeds' if more else 'base seed'}", fit)
        elif fit.fit != SERVE_FIT:
            add(f"reference {fit.forecaster}: backtest and pretest fits", fit)
    for fit in served:
        add(f"{'deep' if fit.kind == 'deep' else 'references'}: served refits", fit)
    # the deep fits in the run's order, the references by name, the served refits last
    deep_order = [
        "deep: backtest folds, base seed",
        "deep: backtest folds, more seeds",
        "deep: refits before the test period",
    ]

    def place(kind: str) -> tuple[int, str]:
        if kind.endswith("served refits"):
            return len(deep_order) + 1, kind
        return (deep_order.index(kind) if kind in deep_order else len(deep_order)), kind

    out = []
    for kind in sorted(rows, key=place):
        row = rows[kind]
        row["seconds"] = round(row["seconds"], 2)
        if not kind.startswith("deep"):
            row.pop("epochs")
        out.append(row)
    return out
