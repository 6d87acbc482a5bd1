"""A run's fit seconds by kind of fit (pure), on hand-made fit records."""

from __future__ import annotations

from seqcast.evaluation.costs import seconds_by_kind
from seqcast.evaluation.records import FitRef


def _fit(kind, label, seed, fit, seconds, epochs=None) -> FitRef:
    return FitRef(label=label, kind=kind, forecaster=label, seed=seed, fit=fit, timesteps=4,
                  prepared_dir="p", predictions=[], seconds=seconds, epochs=epochs)  # fmt: skip


def test_seconds_are_summed_by_kind_in_the_runs_order_served_last():
    fits = [
        _fit("deep", "gru", 42, "fold-1", 10.0, 50),
        _fit("deep", "gru", 42, "fold-2", 12.5, 60),
        _fit("deep", "gru", 43, "fold-1", 9.0, 40),
        _fit("deep", "gru", 42, "pretest", 8.0, 55),
        _fit("reference", "ridge", 42, "fold-1", 0.5),
        _fit("reference", "ridge", 42, "pretest", 0.75),
        _fit("reference", "arima", 42, "fold-1", 3.0),
    ]
    served = [_fit("deep", "gru", 42, "all", 7.0, 55), _fit("reference", "ridge", 42, "all", 1.0)]
    rows = seconds_by_kind(fits, served, base_seed=42)
    assert rows == [
        {"kind": "deep: backtest folds, base seed", "fits": 2, "seconds": 22.5, "epochs": 110},
        {"kind": "deep: backtest folds, more seeds", "fits": 1, "seconds": 9.0, "epochs": 40},
        {"kind": "deep: refits before the test period", "fits": 1, "seconds": 8.0, "epochs": 55},
        {"kind": "reference arima: backtest and pretest fits", "fits": 1, "seconds": 3.0},
        {"kind": "reference ridge: backtest and pretest fits", "fits": 2, "seconds": 1.25},
        {"kind": "deep: served refits", "fits": 1, "seconds": 7.0, "epochs": 55},
        {"kind": "references: served refits", "fits": 1, "seconds": 1.0},
    ]
    assert sum(r["seconds"] for r in rows) == sum(f.seconds for f in [*fits, *served])
