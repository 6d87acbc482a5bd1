"""Prediction intervals for every ranked candidate, from its own backtest residuals, scored on
later folds and on test; the method (one set of offsets per step, or offsets per step and
calendar group) chosen on the backtest. Pure.

- **Backtest scores**: fold ``k`` (k >= 2) is scored with intervals fitted on the residuals of
  folds ``1 .. k-1`` only, so every interval is judged on errors it never saw; averaged over
  those folds. With one fold there is nothing to score on, and the method stays ``global``.
- **Test scores**: intervals fitted on every fold's residuals, scored on the test period.
- **Served intervals** (the champion's, stored in its bundle): fitted on every fold's and the
  test period's residuals, the newest out-of-sample errors there are.
- **Method**: ``global`` (offsets per step) or ``by <group>`` (per step and group, e.g. the
  target time's hour of day, falling back to the step's offsets in a thin group): the one
  with the lower backtest interval score, averaged over the levels. Never chosen on test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from seqcast.evaluation.intervals import (
    Intervals,
    fit_intervals,
    interval_scores,
    level_key,
)
from seqcast.evaluation.online import RATES, mean_winkler, stream_scores
from seqcast.evaluation.selection import Ranking

GLOBAL = "global"


@dataclass(frozen=True)
class Grouping:
    """The calendar group intervals may be conditioned on: its name and each scored fit's
    group per window and step (fit -> (samples, steps) ints)."""

    name: str
    of_fit: dict[str, np.ndarray]


# The calendar group of a frequency: its name and the DatetimeIndex field that gives it.
CALENDAR_GROUPS = {"hourly": ("hour of day", "hour"), "daily": ("day of week", "dayofweek")}


def group_name(frequency: str) -> str | None:
    """The calendar group of a frequency: the hour of day for hourly data, the day of week
    for daily data; None (global intervals only) otherwise."""
    return CALENDAR_GROUPS[frequency][0] if frequency in CALENDAR_GROUPS else None


def calendar_groups(target_time: np.ndarray, frequency: str) -> np.ndarray | None:
    """Each target time's group (:func:`group_name`): (samples, steps) ints, or None."""
    if frequency not in CALENDAR_GROUPS:
        return None
    times = pd.DatetimeIndex(np.asarray(target_time).reshape(-1))
    field = getattr(times, CALENDAR_GROUPS[frequency][1])
    return np.asarray(field).reshape(np.asarray(target_time).shape)


def grouping_of(frequency: str, times: dict[str, np.ndarray]) -> Grouping | None:
    """The grouping of a run's scored fits (fit -> target times (samples, steps)), or None
    when the frequency has no calendar group."""
    name = group_name(frequency)
    if name is None:
        return None
    return Grouping(name, {f: calendar_groups(t, frequency) for f, t in times.items()})  # type: ignore[misc]


def interval_bounds(
    doc: dict, predicted: np.ndarray, target_time: np.ndarray, frequency: str
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The bounds of stored intervals (``Intervals.to_dict`` form with its ``group``) around
    ``predicted`` (samples, steps) at ``target_time`` (samples, steps): level key (``"80"``)
    -> (lower, upper), each (samples, steps). What the served forecast and the report's test
    figure both draw."""
    groups = calendar_groups(target_time, frequency) if doc.get("group") else None
    bounds = Intervals.from_dict(doc).bounds(predicted, groups)
    return {level_key(level): pair for level, pair in bounds.items()}


def _fit(residuals: list[np.ndarray], levels, groups: list[np.ndarray] | None, minimum):
    res = np.concatenate(residuals)  # (samples of every fit, steps)
    g = None if groups is None else np.concatenate(groups)
    return fit_intervals(res, levels, g, minimum)


def _mean_scores(scores: list[dict]) -> dict:
    """Scores averaged over folds (coverage per step and per group too)."""
    if len(scores) == 1:
        return scores[0]
    out: dict = {}
    if "pinball" in scores[0]:
        out["pinball"] = float(np.mean([s["pinball"] for s in scores]))
    for key in scores[0]:
        if key == "pinball":
            continue
        entry: dict = {}
        for name, value in scores[0][key].items():
            if isinstance(value, dict):
                entry[name] = {g: float(np.mean([s[key][name][g] for s in scores])) for g in value}
            elif isinstance(value, list):
                entry[name] = np.mean([s[key][name] for s in scores], axis=0).tolist()
            else:
                entry[name] = float(np.mean([s[key][name] for s in scores]))
        out[key] = entry
    return out


def _winkler(scores: dict, levels: Sequence[float]) -> float:
    return float(np.mean([scores[level_key(lv)]["winkler"] for lv in levels]))


def candidate_intervals(
    predictions: dict[str, np.ndarray],
    truth: dict[str, np.ndarray],
    folds: list[str],
    levels: Sequence[float],
    minimum: float | None,
    grouping: Grouping | None,
) -> tuple[dict, Intervals, Intervals]:
    """One candidate's interval report (``method``, ``backtest`` and ``test`` scores of the
    chosen method, and ``methods``: each method's backtest and test interval score), its
    served intervals and the intervals it was scored with on test."""
    res = {f: truth[f] - predictions[f] for f in predictions if f in truth}  # (samples, steps)
    methods: dict[str, dict] = {}
    for method in [GLOBAL] + ([f"by {grouping.name}"] if grouping else []):
        groups = None if method == GLOBAL or grouping is None else grouping.of_fit

        def fitted(fits: list[str], groups=groups) -> Intervals:
            g = None if groups is None else [groups[f] for f in fits]
            return _fit([res[f] for f in fits], levels, g, minimum)

        def scored(fit: str, iv: Intervals, groups=groups) -> dict:
            g = None if groups is None else groups[fit]
            return interval_scores(truth[fit], predictions[fit], iv, g)

        later = [scored(folds[k], fitted(folds[:k])) for k in range(1, len(folds))]
        on_test = fitted(folds)
        methods[method] = {
            "backtest": _mean_scores(later) if later else None,
            "test": scored("test", on_test) if "test" in res else None,
            "served": fitted([*folds, "test"]) if "test" in res else on_test,
            "test_fit": on_test,
        }
    chosen = GLOBAL
    if len(methods) > 1 and methods[GLOBAL]["backtest"] is not None:
        chosen = min(methods, key=lambda m: _winkler(methods[m]["backtest"], levels))
    report = {
        "method": chosen,
        "backtest": methods[chosen]["backtest"],
        "test": methods[chosen]["test"],
        "methods": {
            m: {
                split: None if v[split] is None else _winkler(v[split], levels)
                for split in ("backtest", "test")
            }
            for m, v in methods.items()
        },
    }
    return report, methods[chosen]["served"], methods[chosen]["test_fit"]


def online_report(
    predictions: dict[str, np.ndarray],
    truth: dict[str, np.ndarray],
    folds: list[str],
    levels: Sequence[float],
    minimum: float | None,
    groups: dict[str, np.ndarray] | None,
    clocks: dict[str, tuple[np.ndarray, np.ndarray]],
    rates: Sequence[float] = RATES,
) -> dict:
    """Intervals that adapt online (``seqcast.evaluation.online``) for one candidate, with the
    calibration ``groups`` its intervals use (None: per step only).

    The rate is chosen on the backtest: fold ``k`` (k >= 2) scored as a stream starting from
    the offsets of folds ``1 .. k-1``, for every rate in ``rates`` (``online.RATES``; 0:
    static); the lowest interval score averaged over the levels wins (the lower rate of
    equals). The test period is then scored the same way from the folds' offsets.
    ``clocks``: fit -> (origin clock (n,), known clock (n, steps)). Returns ``rate``,
    ``by_rate`` (rate -> mean backtest interval score), and the chosen rate's ``backtest``
    scores (mean over the streams) and ``test`` scores (as serving would have run on the test
    period)."""
    res = {f: truth[f] - predictions[f] for f in predictions if f in truth}

    def start(fits: list[str]) -> Intervals:
        g = None if groups is None else [groups[f] for f in fits]
        return _fit([res[f] for f in fits], levels, g, minimum)

    def stream(fit: str, iv: Intervals, rate: float) -> dict:
        origin, known = clocks[fit]
        g = None if groups is None else groups[fit]
        return stream_scores(truth[fit], predictions[fit], iv, rate, origin, known, g)

    starts = [(folds[k], start(folds[:k])) for k in range(1, len(folds))]
    streams = {rate: [stream(f, iv, rate) for f, iv in starts] for rate in rates} if starts else {}
    backtest = {rate: mean_winkler(scores, levels) for rate, scores in streams.items()}
    rate = min(backtest, key=lambda r: (backtest[r], r)) if backtest else 0.0
    test = stream("test", start(folds), rate) if "test" in res and "test" in clocks else None
    return {
        "rate": rate,
        "by_rate": {str(r): v for r, v in backtest.items()},
        "backtest": _mean_scores(streams[rate]) if streams else None,
        "test": test,
    }


def calibrate(
    ranking: Ranking,
    truth: dict[str, np.ndarray],
    folds: list[str],
    levels: Sequence[float],
    minimum: float | None,
    grouping: Grouping | None,
    clocks: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> Ranking:
    """The ranking with an ``intervals`` report on every evaluated candidate's leaderboard
    entry and the champion's served intervals (``Ranking.intervals``, JSON form, with the
    method and grouping). With ``clocks`` (fit -> (origin clock, known clock), see
    :func:`online_report`) the champion's entry also gets ``intervals.online`` and its served
    intervals the online ``rate`` a forecast run adapts them with."""
    board = []
    served: dict | None = None
    for entry in ranking.board:
        preds = ranking.predictions.get(entry["name"])
        if entry.get("unavailable") or preds is None:
            board.append(entry)
            continue
        report, intervals, on_test = candidate_intervals(
            preds, truth, folds, levels, minimum, grouping
        )
        if entry["name"] == ranking.champion:
            group = None if report["method"] == GLOBAL or grouping is None else grouping.name
            served = {
                **intervals.to_dict(),
                "method": report["method"],
                "group": group,
                "test_fit": {**on_test.to_dict(), "group": group},
            }
            if clocks:
                by = None if group is None or grouping is None else grouping.of_fit
                online = online_report(preds, truth, folds, levels, minimum, by, clocks)
                report = {**report, "online": online}
                served["online"] = {"rate": online["rate"]}
        board.append({**entry, "intervals": report})
    return replace(ranking, board=board, intervals=served)
