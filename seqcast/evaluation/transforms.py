"""Choosing the target transform on the backtest (``target_transform = "auto"``). Pure.

The transforms that matter for a trending series are ``difference`` (learn the change from
the origin) and ``normalize`` (that change in units of the window's own spread, for a swing
that grows with the level) against ``none`` (learn the level). Each is tried with the
gradient-boosting reference on every backtest fold, and the one with the lower mean backtest
MAE is used by every model of the run. Test data plays no part. Gradient boosting judges,
not ridge: a linear model extrapolates a level it has not seen and barely tells the two
apart (on the synthetic trend of ``tests/unit/models/test_trend.py`` ridge scores 0.48 raw and 0.54
differenced, gradient boosting 37.2 and 0.54; on the growing swing there, gradient boosting
scores 4.10 differenced and 1.14 normalised), while trees, like a recurrent network fed
inputs past its training range, cannot. ``log1p`` changes only the deep variants' units,
which a reference cannot judge, so it is never chosen automatically.
"""

from __future__ import annotations

from collections.abc import Mapping

from seqcast.numbers import figure

AUTO = "auto"
CANDIDATES = ("none", "difference", "normalize")  # the transforms "auto" chooses between
PROXY = "gradient-boosting"  # the model each is judged with


def choose(backtest_mae: Mapping[str, float]) -> dict:
    """The transform with the lowest backtest MAE (ties: the first of :data:`CANDIDATES`),
    with the figures and a sentence for the report."""
    scores = {t: float(backtest_mae[t]) for t in CANDIDATES if t in backtest_mae}
    if not scores:
        raise ValueError("no transform was scored")
    chosen = min(scores, key=lambda t: (scores[t], CANDIDATES.index(t)))
    others = ", ".join(f"{t} {figure(v)}" for t, v in scores.items() if t != chosen)
    return {
        "chosen": chosen,
        "proxy": PROXY,
        "backtest_mae": scores,
        "reason": f"target transform {chosen!r} chosen on the backtest: {PROXY} MAE "
        f"{figure(scores[chosen])} against {others or 'nothing else'}",
    }
