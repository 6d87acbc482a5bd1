"""From fits to a ranked leaderboard and a champion: seed ensembles, the model ensemble and
the champion rule, on predictions already in original units. Pure.

Inputs are plain mappings: ``deep[label][seed][fit]`` and ``references[name][fit]``, each a
(samples, steps) array; ``fit`` is a backtest fold (``fold-1`` ..) or ``test`` (the refit before
the test period).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from seqcast.evaluation.backtest import SERVE_FIT, TEST_FIT
from seqcast.evaluation.leaderboard import (
    NAIVE,
    Candidate,
    Policy,
    choose_champion,
    leaderboard,
    usable,
)
from seqcast.evaluation.plan import label_of

ENSEMBLE = "ensemble"
BY_STEP = "ensemble-by-step"


@dataclass(frozen=True)
class Member:
    """One fitted model that a candidate's forecast averages: a deep variant's fit with one
    seed, or a reference model."""

    kind: str  # "deep" or "reference"
    label: str  # the variant's label (``lstm``, ``lstm-t48`` in a sweep) or the reference
    seed: int | None
    weight: float = 1.0  # its share of the candidate's forecast; a candidate's shares sum to 1
    # its share at each step (a step-aware ensemble; ``weight`` is then their mean); None: the
    # same share at every step
    by_step: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Ranking:
    board: list[dict]
    champion: str | None
    reason: str
    members: dict[str, list[Member]]  # candidate -> the fits its forecast averages
    predictions: dict[str, dict[str, np.ndarray]]  # candidate -> fit -> (samples, steps)
    # the champion's served prediction intervals (``seqcast.evaluation.calibration``)
    intervals: dict | None = field(default=None)
    # how the champion was promoted: "deep" (the rule) or "fallback" (the best of all)
    policy: Policy = "deep"
    # the target transform chosen on the backtest ("auto"; ``seqcast.evaluation.transforms``)
    transform_choice: dict | None = None
    # the champion rule chosen on half the folds and scored on the others (:func:`nested_check`)
    nested: list[dict] = field(default_factory=list)

    @property
    def champion_members(self) -> list[Member]:
        """The fits the champion's forecast averages (none without a champion)."""
        return self.members.get(self.champion, []) if self.champion else []


def seed_label(label: str, seeds: int) -> str:
    return f"{label}-x{seeds}"


def weighted_mean(
    values: Sequence[np.ndarray], weights: Sequence[float | Sequence[float]] | None
) -> np.ndarray:
    """The weighted mean of several forecasts of the same windows: how every ensemble and seed
    average combines its members, in the backtest and when served
    (``seqcast.models.forecaster.Ensemble``). A member's weight may be one share per step
    (a step-aware ensemble): values (samples, steps), weights (steps,) each."""
    stacked = np.asarray(values, dtype=np.float64)  # (members, samples, steps)
    if weights is None or all(np.ndim(w) == 0 for w in weights):
        return np.average(stacked, axis=0, weights=weights)
    steps = stacked.shape[-1]
    w = np.stack([np.broadcast_to(np.asarray(x, np.float64), (steps,)) for x in weights])
    w = w[:, None, :]  # (members, 1, steps)
    return (stacked * w).sum(axis=0) / w.sum(axis=0)


def mean_of(
    parts: list[dict[str, np.ndarray]], weights: list[float] | None = None
) -> dict[str, np.ndarray]:
    """The (weighted) mean forecast of several candidates, on every fit all of them have."""
    common = set(parts[0]).intersection(*parts[1:])
    return {f: weighted_mean([p[f] for p in parts], weights) for f in sorted(common)}


def weights_text(weights: dict[str, float]) -> str:
    """An ensemble as the leaderboard names it: ``0.60 × lstm-x3 + 0.40 × gradient-boosting``."""
    return " + ".join(f"{w:.2f} × {n}" for n, w in weights.items())


def candidates(
    deep: dict[str, dict[int, dict[str, np.ndarray]]],
    references: dict[str, dict[str, np.ndarray]],
    base_seed: int,
    info: dict[str, dict] | None = None,
) -> tuple[list[Candidate], dict[str, list[Member]]]:
    """Every variant's single fit (its ``base_seed``), every variant with more than one seed
    as a seed ensemble ``<label>-x<n>`` (the mean of its seeds), and the references."""
    info = info or {}
    out: list[Candidate] = []
    members: dict[str, list[Member]] = {}
    for label, by_seed in deep.items():
        out.append(
            Candidate(label, "deep", by_seed[base_seed], {"base": label, **info.get(label, {})})
        )
        members[label] = [Member("deep", label, base_seed, 1.0)]
        if len(by_seed) > 1:
            name = seed_label(label, len(by_seed))
            seeds = sorted(by_seed)
            out.append(
                Candidate(
                    name,
                    "deep",
                    mean_of([by_seed[s] for s in seeds]),
                    {"base": label, "seeds": seeds, **info.get(label, {})},
                )
            )
            members[name] = [Member("deep", label, s, 1.0 / len(seeds)) for s in seeds]
    for name, preds in references.items():
        out.append(Candidate(name, "reference", preds, {"base": name, **info.get(name, {})}))
        members[name] = [Member("reference", name, None, 1.0)]
    return out, members


def seed_spread(
    by_seed: dict[int, dict[str, np.ndarray]], truth: dict[str, np.ndarray], folds: list[str]
) -> dict[str, list[float]]:
    """Each seed's own mean backtest MAE and test MAE (seed order): how much one fit varies
    with its seed, beside the seed ensemble that averages them."""

    def mae(pred: np.ndarray, fit: str) -> float:
        return float(np.mean(np.abs(pred - truth[fit])))

    seeds = sorted(by_seed)
    out = {"backtest": [float(np.mean([mae(by_seed[s][f], f) for f in folds])) for s in seeds]}
    if all("test" in by_seed[s] for s in seeds):
        out["test"] = [mae(by_seed[s]["test"], "test") for s in seeds]
    return out


def backtest_mae(
    pred: dict[str, np.ndarray], truth: dict[str, np.ndarray], folds: list[str]
) -> float:
    """The mean over the folds of each fold's MAE (how every candidate is ranked)."""
    return float(np.mean([np.mean(np.abs(pred[f] - truth[f])) for f in folds]))


def greedy_weights(
    predictions: dict[str, dict[str, np.ndarray]],
    truth: dict[str, np.ndarray],
    folds: list[str],
    first: str,
    pool: list[str],
    picks: int,
) -> dict[str, float]:
    """Forward ensemble selection with replacement (Caruana et al., 2004) on the backtest only.

    Start from ``first``; for ``picks - 1`` more picks add the ``pool`` candidate whose
    addition gives the running mean forecast the lowest mean backtest MAE (the same candidate
    again is allowed: a repeated pick is how a member's weight grows, so ``picks`` = 10 gives
    weights in tenths). Ties go to the earlier in ``pool``. Returns the best prefix of the
    picks (the earliest of equal scores) as each candidate's share of its picks, in the order
    first picked; ``{first: 1.0}`` when no mix beats ``first`` alone."""
    counts = {first: 1}
    total = {f: predictions[first][f].astype(np.float64) for f in folds}  # sum of the picks
    best, best_counts = backtest_mae(total, truth, folds), dict(counts)
    for n in range(2, picks + 1):
        scores = [
            (backtest_mae({f: (total[f] + predictions[c][f]) / n for f in folds}, truth, folds), c)
            for c in pool
        ]
        score, chosen = min(scores, key=lambda sc: sc[0])  # min keeps the first of ties
        counts[chosen] = counts.get(chosen, 0) + 1
        total = {f: total[f] + predictions[chosen][f] for f in folds}
        if score < best - 1e-12:
            best, best_counts = score, dict(counts)
    picked = sum(best_counts.values())
    return {c: k / picked for c, k in best_counts.items()}


def ensemble_weights(
    board: list[dict],
    predictions: dict[str, dict[str, np.ndarray]],
    truth: dict[str, np.ndarray],
    folds: list[str],
    picks: int,
    outside: Collection[str] = NAIVE,
) -> dict[str, float]:
    """The ``ensemble`` candidate's members and shares: :func:`greedy_weights` from the best
    deep candidate on the backtest, over every usable candidate but those ``outside`` it (the
    references that are no ensemble member: by default the naive ones), in backtest order.
    Empty when ``picks`` < 2, no deep candidate is usable, or no second member helps."""
    pool = [e for e in board if e["kind"] != "ensemble" and e["name"] not in outside and usable(e)]
    deep = [e["name"] for e in pool if e["kind"] == "deep"]
    if picks < 2 or not deep:
        return {}
    weights = greedy_weights(predictions, truth, folds, deep[0], [e["name"] for e in pool], picks)
    return weights if len(weights) >= 2 else {}


def step_weights(
    board: list[dict],
    predictions: dict[str, dict[str, np.ndarray]],
    truth: dict[str, np.ndarray],
    folds: list[str],
    picks: int,
    outside: Collection[str] = NAIVE,
) -> list[dict[str, float]]:
    """The ``ensemble-by-step`` candidate: for each step on its own, :func:`greedy_weights` on
    that step's column of the backtest, starting from the pool's best candidate at that step
    (deep or reference), so at every step its backtest MAE is at most every pool member's.
    The pool is :func:`ensemble_weights`'; each step's shares sum to 1. Empty with one step,
    fewer than 2 picks, no usable deep candidate, or when no step gives a deep candidate any
    weight (references alone are no deep champion)."""
    pool = [e for e in board if e["kind"] != "ensemble" and e["name"] not in outside and usable(e)]
    names = [e["name"] for e in pool]
    steps = truth[folds[0]].shape[1] if truth[folds[0]].ndim == 2 else 1
    if picks < 2 or steps < 2 or not any(e["kind"] == "deep" for e in pool):
        return []
    out = []
    for k in range(steps):
        column = {c: {f: predictions[c][f][:, k : k + 1] for f in folds} for c in names}
        actual = {f: truth[f][:, k : k + 1] for f in folds}
        first = min(names, key=lambda c: backtest_mae(column[c], actual, folds))
        out.append(greedy_weights(column, actual, folds, first, names, picks))
    deep = {e["name"] for e in pool if e["kind"] == "deep"}
    if not any(c in deep for step in out for c in step):
        return []  # references alone: not an ensemble the champion rule may call deep
    return out


def by_step_forecast(
    weights: list[dict[str, float]], predictions: dict[str, dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Each step's weighted mean of its members, on every fit all members have:
    fit -> (samples, steps)."""
    names = sorted({c for w in weights for c in w})
    common = set.intersection(*(set(predictions[c]) for c in names))
    out = {}
    for f in sorted(common):
        cols = [
            sum(w * predictions[c][f][:, k] for c, w in step.items())
            for k, step in enumerate(weights)
        ]
        out[f] = np.stack(cols, axis=1)  # (samples, steps)
    return out


def by_step_members(
    weights: list[dict[str, float]], members: dict[str, list[Member]]
) -> list[Member]:
    """The fits behind a step-aware ensemble, each once, with its share at every step
    (``by_step``) and their mean (``weight``)."""
    per_step = [combined_members(w, members) for w in weights]
    keys = list(dict.fromkeys((m.kind, m.label, m.seed) for ms in per_step for m in ms))
    out = []
    for kind, label, seed in keys:
        shares = tuple(
            next((m.weight for m in ms if (m.kind, m.label, m.seed) == (kind, label, seed)), 0.0)
            for ms in per_step
        )
        out.append(Member(kind, label, seed, float(np.mean(shares)), shares))
    return out


def combined_members(weights: dict[str, float], members: dict[str, list[Member]]) -> list[Member]:
    """The fits behind a weighted mean of candidates, each once, with its total share."""
    share: dict[tuple[str, str, int | None], float] = {}
    for name, w in weights.items():
        for m in members[name]:
            key = (m.kind, m.label, m.seed)
            share[key] = share.get(key, 0.0) + w * m.weight
    return [Member(kind, label, seed, weight) for (kind, label, seed), weight in share.items()]


def rank(
    deep: dict[str, dict[int, dict[str, np.ndarray]]],
    references: dict[str, dict[str, np.ndarray]],
    truth: dict[str, np.ndarray],
    folds: list[str],
    base_seed: int,
    ensemble_size: int,
    info: dict[str, dict] | None = None,
    outside: Collection[str] = NAIVE,
    require_deep: bool = False,
) -> Ranking:
    """The leaderboard of every candidate (and the ``ensemble``, chosen on the backtest by
    :func:`ensemble_weights` with at most ``ensemble_size`` picks), and the champion by
    :func:`choose_champion`."""
    cands, members = candidates(deep, references, base_seed, info)
    persistence = references["persistence"]
    board = leaderboard(cands, truth, persistence, folds)
    predictions = {c.name: c.predictions for c in cands}
    weights = ensemble_weights(board, predictions, truth, folds, ensemble_size, outside)
    if weights:
        predictions[ENSEMBLE] = mean_of([predictions[n] for n in weights], list(weights.values()))
        cands.append(
            Candidate(
                ENSEMBLE,
                "ensemble",
                predictions[ENSEMBLE],
                {"members": list(weights), "weights": {n: round(w, 4) for n, w in weights.items()}},
            )
        )
        members[ENSEMBLE] = combined_members(weights, members)
    per_step = step_weights(board, predictions, truth, folds, ensemble_size, outside)
    if per_step:
        predictions[BY_STEP] = by_step_forecast(per_step, predictions)
        cands.append(
            Candidate(
                BY_STEP,
                "ensemble",
                predictions[BY_STEP],
                {
                    "members": list(dict.fromkeys(c for w in per_step for c in w)),
                    "weights_by_step": [{n: round(w, 4) for n, w in s.items()} for s in per_step],
                    "weights": _mean_shares(per_step),
                },
            )
        )
        members[BY_STEP] = by_step_members(per_step, members)
    if weights or per_step:
        board = leaderboard(cands, truth, persistence, folds)
    for entry in board:
        if entry.get("seeds") and entry["backtest"]:
            entry["seed_mae"] = seed_spread(deep[entry["base"]], truth, folds)
    champion, reason, policy = choose_champion(board, require_deep)
    return Ranking(board, champion, reason, members, predictions, policy=policy)


def _mean_shares(per_step: list[dict[str, float]]) -> dict[str, float]:
    """Each candidate's share averaged over the steps (what the leaderboard lists)."""
    names = list(dict.fromkeys(c for w in per_step for c in w))
    return {c: round(float(np.mean([w.get(c, 0.0) for w in per_step])), 4) for c in names}


def halves(folds: list[str]) -> list[tuple[list[str], list[str]]]:
    """The nested check's two ways of splitting the folds: (choose on, score on) with the odd
    folds against the even ones and back, so each half spans the backtest's seasons; none
    with fewer than 2 folds.

    >>> halves(["fold-1", "fold-2", "fold-3"])
    [(['fold-1', 'fold-3'], ['fold-2']), (['fold-2'], ['fold-1', 'fold-3'])]"""
    if len(folds) < 2:
        return []
    odd, even = folds[0::2], folds[1::2]
    return [(odd, even), (even, odd)]


def nested_check(
    deep: dict[str, dict[int, dict[str, np.ndarray]]],
    references: dict[str, dict[str, np.ndarray]],
    truth: dict[str, np.ndarray],
    folds: list[str],
    base_seed: int,
    ensemble_size: int,
    info: dict[str, dict] | None = None,
    outside: Collection[str] = NAIVE,
    require_deep: bool = False,
) -> list[dict]:
    """Does the champion rule choose well on folds it never saw? For each of :func:`halves`:
    the whole rule (the ensemble's weights and the champion) run on the ``chosen_on`` folds
    only, and what it promotes scored on the ``scored_on`` folds (mean fold MAE), beside the
    reference the same folds would have picked (the best on ``chosen_on``) and the best
    reference in hindsight on ``scored_on``. Test plays no part."""
    # the references with every fold, all finite: the same for both halves
    finite = {
        n: p
        for n, p in references.items()
        if all(f in p and np.isfinite(p[f]).all() for f in folds)
    }

    def scored(pred: dict[str, np.ndarray], on: list[str]) -> float:
        return backtest_mae(pred, truth, on)

    out = []
    for chosen_on, scored_on in halves(folds):
        sub = rank(
            deep, references, truth, chosen_on, base_seed, ensemble_size, info, outside,
            require_deep,
        )  # fmt: skip
        row: dict = {"chosen_on": chosen_on, "scored_on": scored_on, "champion": sub.champion}
        if sub.champion is not None:
            row["champion_mae"] = scored(sub.predictions[sub.champion], scored_on)
            row["champion_mae_chosen_on"] = scored(sub.predictions[sub.champion], chosen_on)
            row["champion_weights"] = {m.label: round(m.weight, 4) for m in sub.champion_members}
        if finite:
            picked = min(finite, key=lambda n: scored(finite[n], chosen_on))
            hindsight = min(finite, key=lambda n: scored(finite[n], scored_on))
            row["reference"] = picked
            row["reference_mae"] = scored(finite[picked], scored_on)
            row["best_reference"] = hindsight
            row["best_reference_mae"] = scored(finite[hindsight], scored_on)
        out.append(row)
    return out


class FitRecord(Protocol):
    """What the ranking reads of one fit (``seqcast.evaluation.records.FitRef``)."""

    label: str
    kind: str  # "deep" or "reference"
    forecaster: str  # the registered Forecaster
    seed: int | None
    fit: str  # a fold name, TEST_FIT or SERVE_FIT
    timesteps: int
    prepared_dir: str
    predictions: list[list[float]]  # (samples, steps)
    params: int | None
    seconds: float
    collapsed_attempts: list[dict]


def rank_fits(
    fits: Iterable[FitRecord],
    truth: dict[str, np.ndarray],
    folds: list[str],
    first_prepared: str,
    sweep: bool,
    base_seed: int,
    ensemble_size: int,
    window_free: Collection[str] = NAIVE,
    outside: Collection[str] = NAIVE,
    require_deep: bool = False,
    minimum: float | None = None,
) -> Ranking:
    """:func:`rank` over a run's fits: each fit's scored predictions by candidate, seed and
    fit (``TEST_FIT`` as ``test``; served fits are not scored). A reference whose forecaster is
    ``window_free`` (it reads no window: the naive ones) is the same forecast at every window
    length, so only the first length's counts; references whose forecaster is ``outside``
    never join the ensemble; a seed ensemble is formed from the seeds that have every fold and
    the test refit. The sets come from the forecasters' capabilities
    (``seqcast.models.catalog``). ``minimum``: the target's lowest possible value (the spec's
    ``min``): every fit's forecasts below it are raised to it before anything is scored or
    averaged, as serving does, and each candidate's entry counts them (``clipped``)."""
    fixed: set[str] = set()
    deep: dict[str, dict[int, dict[str, np.ndarray]]] = {}
    refs: dict[str, dict[str, np.ndarray]] = {}
    info: dict[str, dict] = {}
    # a fixed order, whatever order the fits finished in: ties rank the same in every run
    for f in sorted(fits, key=lambda f: (f.kind, f.label, f.seed or 0, f.fit)):
        if f.fit == SERVE_FIT:
            continue
        key = "test" if f.fit == TEST_FIT else f.fit
        values = np.asarray(f.predictions, dtype=np.float64)
        below = 0
        if minimum is not None and values.size:
            below = int((values < minimum).sum())
            values = np.maximum(values, minimum)
        if f.kind == "deep":
            assert f.seed is not None
            deep.setdefault(f.label, {}).setdefault(f.seed, {})[key] = values
            entry = info.setdefault(f.label, {"timesteps": f.timesteps, "params": f.params})
            entry["train_seconds"] = round(entry.get("train_seconds", 0.0) + f.seconds, 2)
            if f.seed == base_seed:  # the candidate's own fits (its seed average: their mean)
                entry["clipped"] = entry.get("clipped", 0) + below
            if f.collapsed_attempts:
                entry.setdefault("retried_after", []).extend(f.collapsed_attempts)
        else:
            free = f.forecaster in window_free
            if free and f.prepared_dir != first_prepared:
                continue  # the same forecast at every window length
            label = f.label if free else label_of(f.label, f.timesteps, sweep)
            refs.setdefault(label, {})[key] = values
            entry = info.setdefault(label, {})
            entry["train_seconds"] = round(entry.get("train_seconds", 0.0) + f.seconds, 2)
            entry["clipped"] = entry.get("clipped", 0) + below
            if f.forecaster in outside:
                fixed.add(label)
    # a seed ensemble needs every seed on every fit
    deep = {
        label: {s: p for s, p in by_seed.items() if len(p) == len(folds) + 1} or by_seed
        for label, by_seed in deep.items()
    }
    ranking = rank(deep, refs, truth, folds, base_seed, ensemble_size, info, fixed, require_deep)
    nested = nested_check(
        deep, refs, truth, folds, base_seed, ensemble_size, info, fixed, require_deep
    )
    return replace(ranking, nested=nested)
