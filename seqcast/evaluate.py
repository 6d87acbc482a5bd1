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
            if c.kind == "deep" and (collapse := collapsed(c.predictions["val"], entry["val"])):
                entry["collapsed"] = collapse
        board.append(entry)
    return sorted(board, key=lambda e: e["val"]["mae"] if e["val"] else float("inf"))


def collapsed(val_predictions: np.ndarray, val_metrics: dict[str, float]) -> str | None:
    """Why a deep fit counts as collapsed, or None: a flat prediction (every validation
    forecast within 1e-6 of each other, relative to their size) or validation R² <= 0 (no
    better than predicting the validation mean)."""
    spread = float(np.ptp(val_predictions))
    if spread <= 1e-6 * max(1.0, float(np.max(np.abs(val_predictions)))):
        return "flat prediction on validation"
    r2 = val_metrics["r2"]
    if np.isfinite(r2) and r2 <= 0:
        return f"validation R² {r2:.3g} <= 0"
    return None


def choose_champion(board: list[dict]) -> tuple[str | None, str]:
    """The deep variant with the lowest validation MAE, if it beats both naive references on
    validation. Collapsed fits (:func:`collapsed`) are never chosen."""
    deep = [e for e in board if e["kind"] == "deep" and e["val"] and not e.get("collapsed")]
    if not deep:
        return None, "no deep variant was evaluated without collapsing"
    best = min(deep, key=lambda e: e["val"]["mae"])
    for naive in NAIVE:
        ref = next((e for e in board if e["name"] == naive), None)
        if ref is None or ref["val"] is None:
            return None, f"{naive} could not be evaluated, so {best['name']} cannot be checked"
        if not best["val"]["mae"] < ref["val"]["mae"]:
            return None, (
                f"best deep variant {best['name']} (val MAE {best['val']['mae']:.4g}) does not "
                f"beat {naive} (val MAE {ref['val']['mae']:.4g}) on validation"
            )
    return best["name"], (
        f"{best['name']} has the lowest validation MAE of the deep variants "
        f"({best['val']['mae']:.4g}) and beats persistence and seasonal-naive on validation"
    )


def claims(board: list[dict], name: str) -> list[str]:
    """``name`` against every reference, split by split: which it beats and which it does
    not (MAE), so that no claim stands without the split it holds on."""
    me = next(e for e in board if e["name"] == name)
    out = []
    for split in EVAL_SPLITS:
        if not me[split]:
            continue
        better: list[str] = []
        worse: list[str] = []
        for e in board:
            if e["kind"] != "reference" or not e[split]:
                continue
            item = f"{e['name']} {e[split]['mae']:.4g}"
            (better if me[split]["mae"] < e[split]["mae"] else worse).append(item)
        label = "validation" if split == "val" else split
        line = f"On {label}, {name} (MAE {me[split]['mae']:.4g})"
        if better:
            line += f" beats {', '.join(better)}"
        if worse:
            line += f"{' but' if better else ''} does not beat {', '.join(worse)}"
        out.append(line + ".")
    return out


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
