"""Leaderboard and champion choice: every candidate evaluated identically, in original units."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqcast.metrics import evaluate

EVAL_SPLITS = ("val", "test")
NAIVE = ("persistence", "seasonal-naive")


@dataclass
class Candidate:
    name: str
    kind: str  # "deep" or "reference"
    predictions: dict[str, np.ndarray]  # split -> (samples,) in original units
    info: dict = field(default_factory=dict)


def leaderboard(
    candidates: list[Candidate], truth: dict[str, np.ndarray], persistence: dict[str, np.ndarray]
) -> list[dict]:
    """One entry per candidate with val and test metrics, sorted by validation MAE.

    A candidate whose predictions are not all finite on a split (a seasonal-naive forecast
    with too little history, say) is kept with ``unavailable`` set and no metrics.
    """
    naive_mae = {s: float(np.mean(np.abs(persistence[s] - truth[s]))) for s in EVAL_SPLITS}
    board = []
    for c in candidates:
        entry: dict = {"name": c.name, "kind": c.kind, **c.info}
        bad = [s for s in EVAL_SPLITS if not np.isfinite(c.predictions[s]).all()]
        if bad:
            entry["unavailable"] = f"non-finite predictions on {', '.join(bad)}"
            entry.update({s: None for s in EVAL_SPLITS})
        else:
            for s in EVAL_SPLITS:
                entry[s] = evaluate(truth[s], c.predictions[s], naive_mae[s])
        board.append(entry)
    return sorted(board, key=lambda e: e["val"]["mae"] if e["val"] else float("inf"))


def choose_champion(board: list[dict]) -> tuple[str | None, str]:
    """The deep variant with the lowest validation MAE, if it beats both naive references."""
    deep = [e for e in board if e["kind"] == "deep" and e["val"]]
    if not deep:
        return None, "no deep variant was evaluated"
    best = min(deep, key=lambda e: e["val"]["mae"])
    for naive in NAIVE:
        ref = next((e for e in board if e["name"] == naive), None)
        if ref is None or ref["val"] is None:
            return None, f"{naive} could not be evaluated, so {best['name']} cannot be checked"
        if not best["val"]["mae"] < ref["val"]["mae"]:
            return None, (
                f"best deep variant {best['name']} (val MAE {best['val']['mae']:.4g}) does not "
                f"beat {naive} (val MAE {ref['val']['mae']:.4g})"
            )
    return best["name"], (
        f"{best['name']} has the lowest validation MAE of the deep variants "
        f"({best['val']['mae']:.4g}) and beats persistence and seasonal-naive"
    )


def best_reference(board: list[dict]) -> str | None:
    refs = [e for e in board if e["kind"] == "reference" and e["val"]]
    return min(refs, key=lambda e: e["val"]["mae"])["name"] if refs else None


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
