"""From fits to a ranked leaderboard and a champion: seed ensembles, the model ensemble and
the champion rule, on predictions already in original units. Pure.

Inputs are plain mappings: ``deep[label][seed][fit]`` and ``references[name][fit]``, each a
(samples,) array; ``fit`` is a backtest fold (``fold-1`` ..) or ``test`` (the refit before
the test period).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqcast.evaluate import (
    Candidate,
    choose_champion,
    ensemble_members,
    leaderboard,
)

ENSEMBLE = "ensemble"


@dataclass(frozen=True)
class Member:
    """One fitted model that a candidate's forecast averages: a deep variant's fit with one
    seed, or a reference model."""

    kind: str  # "deep" or "reference"
    label: str  # the variant's label (``lstm``, ``lstm-t48`` in a sweep) or the reference
    seed: int | None


@dataclass(frozen=True)
class Ranking:
    board: list[dict]
    champion: str | None
    reason: str
    members: dict[str, list[Member]]  # candidate -> the fits its forecast averages
    predictions: dict[str, dict[str, np.ndarray]]  # candidate -> fit -> (samples,)


def seed_label(label: str, seeds: int) -> str:
    return f"{label}-x{seeds}"


def mean_of(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The mean forecast of several candidates, on every fit all of them have."""
    common = set(parts[0]).intersection(*parts[1:])
    return {f: np.mean([p[f] for p in parts], axis=0) for f in sorted(common)}


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
        members[label] = [Member("deep", label, base_seed)]
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
            members[name] = [Member("deep", label, s) for s in seeds]
    for name, preds in references.items():
        out.append(Candidate(name, "reference", preds, {"base": name}))
        members[name] = [Member("reference", name, None)]
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


def rank(
    deep: dict[str, dict[int, dict[str, np.ndarray]]],
    references: dict[str, dict[str, np.ndarray]],
    truth: dict[str, np.ndarray],
    folds: list[str],
    base_seed: int,
    ensemble_size: int,
    info: dict[str, dict] | None = None,
) -> Ranking:
    """The leaderboard of every candidate (and the ``ensemble`` of the best
    ``ensemble_size`` on the backtest), and the champion by :func:`choose_champion`."""
    cands, members = candidates(deep, references, base_seed, info)
    persistence = references["persistence"]
    board = leaderboard(cands, truth, persistence, folds)
    chosen = ensemble_members(board, ensemble_size) if ensemble_size >= 2 else []
    if chosen:
        by_name = {c.name: c for c in cands}
        cands.append(
            Candidate(
                ENSEMBLE,
                "ensemble",
                mean_of([by_name[n].predictions for n in chosen]),
                {"members": chosen},
            )
        )
        members[ENSEMBLE] = [m for n in chosen for m in members[n]]
        board = leaderboard(cands, truth, persistence, folds)
    for entry in board:
        if entry.get("seeds") and entry["backtest"]:
            entry["seed_mae"] = seed_spread(deep[entry["base"]], truth, folds)
    champion, reason = choose_champion(board)
    return Ranking(board, champion, reason, members, {c.name: c.predictions for c in cands})
