"""Leaderboard and champion choice: every candidate evaluated identically, in original units."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np

from seqcast.evaluation.metrics import evaluate_path
from seqcast.numbers import figure, row_numbers

Policy = Literal["deep", "fallback"]  # how a champion was promoted (DEEP or FALLBACK)

SCORED = ("backtest", "val", "test")  # what every leaderboard entry reports
NAIVE = ("persistence", "seasonal-naive", "drift")


@dataclass
class Candidate:
    """A forecaster's predictions in original units: fit name -> (samples, steps). Fit names are
    the backtest folds (``fold-1`` ..) and ``test`` (the refit before the test period);
    a candidate without ``test`` predictions is reported without test metrics."""

    name: str
    kind: str  # "deep", "ensemble" or "reference"
    predictions: dict[str, np.ndarray]
    info: dict = field(default_factory=dict)


def leaderboard(
    candidates: list[Candidate],
    truth: dict[str, np.ndarray],
    persistence: dict[str, np.ndarray],
    folds: list[str],
) -> list[dict]:
    """One entry per candidate, sorted by mean backtest MAE: ``backtest`` (every metric
    averaged over the steps and then over the folds, ``fold_mae`` and ``mae_by_step``),
    ``val`` (the newest fold: the validation split in the default fold layout) and ``test``
    (the refit's test period, with ``mae_by_step``). ``truth`` and ``persistence``: fit ->
    (samples, steps).

    A candidate whose predictions are not all finite (a seasonal-naive forecast with too little
    history, say) is kept with ``unavailable`` set and no metrics.
    """
    naive_mae = {  # per step: (steps,)
        f: np.mean(np.abs(_path(persistence[f]) - _path(truth[f])), axis=0) for f in truth
    }
    board = []
    for c in candidates:
        entry: dict = {"name": c.name, "kind": c.kind, **c.info}
        bad = [f for f in truth if f in c.predictions and not np.isfinite(c.predictions[f]).all()]
        if bad or any(f not in c.predictions for f in folds):
            entry["unavailable"] = (
                f"non-finite predictions on {', '.join(bad)}" if bad else "not backtested"
            )
            entry.update({s: None for s in SCORED})
            board.append(entry)
            continue
        paths = [_scores(truth[f], c.predictions[f], naive_mae[f]) for f in folds]
        per_fold = [means for means, _ in paths]
        entry["backtest"] = {m: float(np.mean([p[m] for p in per_fold])) for m in per_fold[0]} | {
            "fold_mae": [p["mae"] for p in per_fold],
            "mae_by_step": np.mean([steps for _, steps in paths], axis=0).tolist(),
        }
        entry["val"] = {**per_fold[-1], "mae_by_step": paths[-1][1]}  # the newest fold
        if "test" in c.predictions:
            means, steps = _scores(truth["test"], c.predictions["test"], naive_mae["test"])
            entry["test"] = {**means, "mae_by_step": steps}
        else:
            entry["test"] = None
        if c.kind != "reference":
            for f, p in zip(folds, per_fold, strict=True):
                if collapse := collapsed(c.predictions[f], p):
                    entry["collapsed"] = f"{collapse} ({f})"
                    break
        board.append(entry)
    return sorted(board, key=lambda e: e["backtest"]["mae"] if e["backtest"] else float("inf"))


def _path(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values.reshape(len(values), -1)  # (samples,) or (samples, steps) -> (samples, steps)


def _scores(truth: np.ndarray, predicted: np.ndarray, naive_mae: np.ndarray):
    """Every metric averaged over the steps, and the MAE of each step."""
    out = evaluate_path(_path(truth), _path(predicted), naive_mae)
    return {k: v for k, v in out.items() if k != "by_step"}, [s["mae"] for s in out["by_step"]]


def collapsed(predictions: np.ndarray, metrics: dict[str, float]) -> str | None:
    """Why a deep fit counts as collapsed on a scored block, or None: a flat prediction
    (every forecast within 1e-6 of each other, relative to their size) or R² <= 0 (no better
    than predicting the block's mean)."""
    spread = float(np.ptp(predictions))
    if spread <= 1e-6 * max(1.0, float(np.max(np.abs(predictions)))):
        return "flat prediction"
    r2 = metrics["r2"]
    if np.isfinite(r2) and r2 <= 0:
        return f"R² {r2:.3g} <= 0"
    return None


def usable(e: dict) -> bool:
    """Evaluated on the backtest and not collapsed: may be ranked, shortlisted or a member."""
    return bool(e["backtest"]) and not e.get("collapsed")


def shortlist(board: list[dict], size: int) -> list[str]:
    """The ``size`` single-seed deep variants with the lowest backtest MAE (not collapsed):
    those that get more seeds."""
    deep = [e for e in board if e["kind"] == "deep" and not e.get("seeds") and usable(e)]
    return [e["name"] for e in sorted(deep, key=lambda e: e["backtest"]["mae"])[:size]]


DEEP: Final = "deep"  # how a champion was promoted: by the rule
FALLBACK: Final = "fallback"  # or as the best candidate of all


def choose_champion(
    board: list[dict], require_deep: bool = False
) -> tuple[str | None, str, Policy]:
    """The champion, the reason, and how it was promoted. ``deep``: the deep candidate (a
    variant, a seed ensemble, or an ensemble with a deep member) with the lowest mean backtest
    MAE, when it beats every reference on the backtest. Otherwise ``fallback``: the candidate
    of all (references included) with the lowest mean backtest MAE, so there is always a
    forecast to serve; with ``require_deep``, nothing. Collapsed fits are never chosen; test
    figures play no part."""
    champion, reason = _deep_champion(board)
    if champion is not None:
        return champion, reason, DEEP
    if require_deep:
        return None, f"{reason}, and a deep champion is required; nothing promoted", DEEP
    pool = [e for e in board if usable(e)]
    if not pool:
        return None, f"{reason}; no candidate was evaluated, nothing promoted", FALLBACK
    best = min(pool, key=lambda e: e["backtest"]["mae"])
    mae = best["backtest"]["mae"]
    deep = [e for e in pool if e["kind"] in ("deep", "ensemble")]
    if best["kind"] != "reference":
        why = (
            f"{best['name']} has the lowest backtest MAE of all ({figure(mae)}) but is served "
            f"as the fallback: {reason}"
        )
    elif deep:
        top = min(deep, key=lambda e: e["backtest"]["mae"])
        ahead = 100 * (1 - mae / top["backtest"]["mae"])
        why = (
            f"{best['name']} (backtest MAE {figure(mae)}) beat every deep candidate on the "
            f"backtest, the best of them {top['name']} ({figure(top['backtest']['mae'])}) by "
            f"{ahead:.0f} %"
        )
    else:
        why = f"{best['name']} has the lowest backtest MAE ({figure(mae)}); {reason}"
    return best["name"], f"fallback: {why}", FALLBACK


def _deep_champion(board: list[dict]) -> tuple[str | None, str]:
    """The strict rule: the best deep candidate if it beats every reference, and why."""
    deep = [e for e in board if e["kind"] in ("deep", "ensemble") and usable(e)]
    if not deep:
        return None, "no deep candidate was evaluated without collapsing"
    best = min(deep, key=lambda e: e["backtest"]["mae"])
    mae = best["backtest"]["mae"]
    for ref in (e for e in board if e["kind"] == "reference"):
        if ref["backtest"] is None:
            return (
                None,
                f"{ref['name']} could not be evaluated, so {best['name']} cannot be checked",
            )
        if not mae < ref["backtest"]["mae"]:
            return None, (
                f"best deep candidate {best['name']} (backtest MAE {figure(mae)}) does not beat "
                f"{ref['name']} (backtest MAE {figure(ref['backtest']['mae'])})"
            )
    return best["name"], (
        f"{best['name']} has the lowest mean backtest MAE of the deep candidates ({figure(mae)}) "
        "and beats every reference on the backtest"
    )


DEEP_SHARE_WARNING = 0.5  # an ensemble champion with less deep weight than this is flagged


def deep_share(board: list[dict], name: str) -> float:
    """How much of candidate ``name``'s forecast comes from deep models: 1 for a deep
    candidate (a variant or a seed ensemble), 0 for a reference, and for the ``ensemble`` the
    summed weights of its deep members."""
    entry = next(e for e in board if e["name"] == name)
    if entry["kind"] != "ensemble":
        return 1.0 if entry["kind"] == "deep" else 0.0
    kinds = {e["name"]: e["kind"] for e in board}
    return float(sum(w for m, w in entry["weights"].items() if kinds.get(m) == "deep"))


def champion_label(board: list[dict], name: str) -> str:
    """``name`` with what it is made of when it is the ensemble: ``ensemble (11 % deep:
    multi-input 0.11; theta 0.33, arima 0.33, lag-boosting 0.22)``; any other candidate by its
    name alone."""
    entry = next(e for e in board if e["name"] == name)
    if entry["kind"] != "ensemble":
        return name
    return f"{name} ({100 * deep_share(board, name):.0f} % deep: {members_text(board, name)})"


def members_text(board: list[dict], name: str) -> str:
    """The ensemble ``name``'s members and weights, the deep ones first: ``multi-input 0.11;
    theta 0.33, arima 0.33, lag-boosting 0.22``."""
    weights = next(e for e in board if e["name"] == name)["weights"]
    kinds = {e["name"]: e["kind"] for e in board}
    deep = [f"{m} {w:.2f}" for m, w in weights.items() if kinds.get(m) == "deep"]
    other = [f"{m} {w:.2f}" for m, w in weights.items() if kinds.get(m) != "deep"]
    return ", ".join(deep) + ("; " if deep and other else "") + ", ".join(other)


def claims(board: list[dict], name: str) -> list[str]:
    """``name`` against every reference, split by split: which it beats and which it does
    not (MAE), so that no claim stands without the split it holds on."""
    me = next(e for e in board if e["name"] == name)
    out = []
    for split in SCORED:
        if not me[split]:
            continue
        better: list[str] = []
        worse: list[str] = []
        refs = [e for e in board if e["kind"] == "reference" and e[split]]
        # the split's figures at one precision (1.570 beside 1.634)
        mine, *texts = row_numbers([me[split]["mae"], *(e[split]["mae"] for e in refs)])
        for e, text in zip(refs, texts, strict=True):
            item = f"{e['name']} {text}"
            (better if me[split]["mae"] < e[split]["mae"] else worse).append(item)
        label = {"val": "validation", "backtest": "the backtest (mean of the folds)"}.get(
            split, split
        )
        line = f"On {label}, {name} (MAE {mine})"
        if better:
            line += f" beats {', '.join(better)}"
        if worse:
            line += f"{' but' if better else ''} does not beat {', '.join(worse)}"
        out.append(line + ".")
    return out


def best_reference(board: list[dict]) -> str | None:
    """The reference with the lowest mean backtest MAE."""
    refs = [e for e in board if e["kind"] == "reference" and e["backtest"]]
    return min(refs, key=lambda e: e["backtest"]["mae"])["name"] if refs else None


def feature_profile(
    last_rows: dict[str, np.ndarray], names: list[str], threshold: float = 0.5
) -> list[dict]:
    """Mean, std, min, max of each feature per split; ``drift`` where a split's mean moves
    more than ``threshold`` training standard deviations from the training mean.

    last_rows: split -> (samples, features), in original units.
    """
    rows = []
    train = last_rows["train"]
    t_mean, t_std = np.nanmean(train, axis=0), np.nanstd(train, axis=0)
    for j, name in enumerate(names):
        row: dict = {"feature": name}
        drift = []
        for split, values in last_rows.items():
            col = values[:, j]
            row[split] = {
                "mean": float(np.nanmean(col)),
                "std": float(np.nanstd(col)),
                "min": float(np.nanmin(col)),
                "max": float(np.nanmax(col)),
            }
            if split != "train" and t_std[j] > 0:
                shift = abs(float(np.nanmean(col)) - t_mean[j]) / t_std[j]
                if shift > threshold:
                    drift.append(f"{split} ({shift:.2f} sd)")
        row["drift"] = ", ".join(drift)
        rows.append(row)
    return rows
