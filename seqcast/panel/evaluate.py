"""Scoring many series, the ensemble, the champion rule and the champion's intervals.

Every candidate's forecasts share one long frame (series, evaluation, start, step, one
column per candidate). Each (series, block) is scored by MASE and sMAPE; a series' backtest
score is the mean over its folds, its test score the mean over its test blocks; a candidate's
aggregate is the mean over series (the field's mean MASE), beside the median.

The champion rule reads only the backtest: the candidate with the lowest mean MASE over
series, among the references, each deep variant (the mean of its seeds) and ``ensemble``,
the mean of the best ``k`` candidates (``k`` from 2 to ``ensemble_size``, chosen on the
backtest as well). The test is scored after the choice and never changes it.

Intervals: the champion's backtest errors divided by each series' MASE scale, per step; the
``level`` quantile of their absolute values, times a series' scale, either side of its
forecast (split-conformal, pooled over series and folds).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqcast.panel.data import Panel
from seqcast.panel.metrics import mase_scale
from seqcast.panel.spec import PanelSpec

KEYS = ["series", "evaluation", "start", "step"]
BLOCK = ["series", "evaluation", "start"]
ENSEMBLE = "ensemble"


def with_actuals(forecasts: pd.DataFrame, panel: Panel, spec: PanelSpec) -> pd.DataFrame:
    """``forecasts`` with ``actual`` (NaN past a series' end and where a gap was filled) and
    ``scale`` (the series' MASE
    scale from the rows before the block) columns."""
    index = {sid: i for i, sid in enumerate(panel.ids)}
    blocks = forecasts[BLOCK].drop_duplicates()
    scales = [
        mase_scale(panel.values[index[sid]][:start], spec.period)
        for sid, start in zip(blocks["series"], blocks["start"], strict=True)
    ]
    out = forecasts.merge(blocks.assign(scale=scales), on=BLOCK, how="left")
    actual = np.full(len(out), np.nan)
    for sid, rows in out.groupby("series", sort=False).indices.items():
        i = index[sid]
        y = panel.values[i]
        at = out["start"].to_numpy()[rows] + out["step"].to_numpy()[rows] - 1
        inside = at < len(y)
        if panel.gaps and panel.gaps[i].any():  # a filled value is not an actual
            inside[inside] &= ~panel.gaps[i][at[inside]]
        actual[rows[inside]] = y[at[inside]]
    out["actual"] = actual
    return out


def series_scores(scored: pd.DataFrame, candidates: list[str]) -> pd.DataFrame:
    """One row per (series, split, candidate): ``mase`` and ``smape``, where split is
    ``backtest`` (the mean over folds) or ``test``."""
    known = scored[scored["actual"].notna()]
    parts = []
    for c in candidates:
        err = (known["actual"] - known[c]).abs()
        den = known["actual"].abs() + known[c].abs()
        sm = np.where(den > 0, 200.0 * err / den.where(den > 0, 1.0), 0.0)
        frame = known[BLOCK].assign(ae=err / known["scale"], sm=sm)
        per_block = frame.groupby(BLOCK, sort=False)[["ae", "sm"]].mean().reset_index()
        per_block["split"] = np.where(per_block["evaluation"] == "test", "test", "backtest")
        per_series = (
            per_block.groupby(["series", "split"], sort=False)[["ae", "sm"]].mean().reset_index()
        )
        per_series = per_series.rename(columns={"ae": "mase", "sm": "smape"})
        parts.append(per_series.assign(candidate=c))
    return pd.concat(parts, ignore_index=True)


def aggregate(scores: pd.DataFrame) -> pd.DataFrame:
    """Per (candidate, split): mean and median MASE over series, mean sMAPE, series count."""
    g = scores.groupby(["candidate", "split"])
    return pd.DataFrame(
        {
            "mase": g["mase"].mean(),
            "median_mase": g["mase"].median(),
            "smape": g["smape"].mean(),
            "series": g["mase"].size(),
        }
    ).reset_index()


@dataclass
class Choice:
    champion: str
    candidates: list[str]
    members: list[str] = field(default_factory=list)  # the ensemble's
    backtest: dict[str, float] = field(default_factory=dict)  # mean MASE per candidate


def backtest_mase(scored: pd.DataFrame, candidates: list[str]) -> dict[str, float]:
    s = series_scores(scored[scored["evaluation"] != "test"], candidates)
    return s.groupby("candidate")["mase"].mean().to_dict()


def choose(
    scored: pd.DataFrame, candidates: list[str], ensemble_size: int
) -> tuple[pd.DataFrame, Choice]:
    """Add the ``ensemble`` column and choose the champion, both on the backtest only."""
    base = backtest_mase(scored, candidates)
    order = sorted(candidates, key=lambda c: (base[c], c))
    members: list[str] = []
    if ensemble_size >= 2 and len(order) >= 2:
        trials = {}
        for k in range(2, min(ensemble_size, len(order)) + 1):
            trials[k] = scored[order[:k]].mean(axis=1)
        bt = scored["evaluation"] != "test"
        probe = scored.loc[bt, [*BLOCK, "step", "actual", "scale"]].copy()
        best_k, best = None, np.inf
        for k, col in trials.items():
            probe[f"k{k}"] = col[bt].to_numpy()
            score = series_scores(probe, [f"k{k}"])["mase"].mean()
            if score < best:
                best_k, best = k, score
        assert best_k is not None
        scored = scored.assign(**{ENSEMBLE: trials[best_k]})
        members = order[:best_k]
        base[ENSEMBLE] = float(best)
    pool = [*candidates, ENSEMBLE] if members else list(candidates)
    champion = min(pool, key=lambda c: (base[c], c))
    return scored, Choice(champion, pool, members, base)


def wins(scores: pd.DataFrame, champion: str, references: list[str], split: str) -> dict[str, int]:
    """How many series the champion's MASE beats each reference's on ``split``, and every one
    of them (``all``)."""
    s = scores[scores["split"] == split].pivot(index="series", columns="candidate", values="mase")
    out = {r: int((s[champion] < s[r]).sum()) for r in references if r in s}
    if references:
        out["all"] = int(
            (s[champion].to_frame().values < s[[r for r in references if r in s]].values)
            .all(axis=1)
            .sum()
        )
    out["series"] = len(s)
    return out


def interval_offsets(
    scored: pd.DataFrame, column: str, levels: tuple[int, ...], horizon: int
) -> dict[int, list[float]]:
    """Per level, per step: the quantile of |error| / scale over the backtest rows."""
    bt = scored[(scored["evaluation"] != "test") & scored["actual"].notna()]
    r = ((bt["actual"] - bt[column]).abs() / bt["scale"]).to_numpy()
    steps = bt["step"].to_numpy()
    out = {}
    for level in levels:
        out[level] = [
            float(np.quantile(r[steps == j], level / 100)) if (steps == j).any() else float("nan")
            for j in range(1, horizon + 1)
        ]
    return out


def with_bounds(frame: pd.DataFrame, column: str, offsets: dict[int, list[float]]) -> pd.DataFrame:
    """``lower_L`` / ``upper_L`` columns around ``column`` for each level ``L``."""
    out = frame.copy()
    for level, q in offsets.items():
        width = np.asarray(q)[out["step"].to_numpy() - 1] * out["scale"].to_numpy()
        out[f"lower_{level}"] = out[column] - width
        out[f"upper_{level}"] = out[column] + width
    return out


def coverage(bounded: pd.DataFrame, levels: tuple[int, ...]) -> pd.DataFrame:
    """Per series, the test coverage (percent) of each level."""
    test = bounded[(bounded["evaluation"] == "test") & bounded["actual"].notna()]
    cols = {}
    for level in levels:
        inside = (test["actual"] >= test[f"lower_{level}"]) & (
            test["actual"] <= test[f"upper_{level}"]
        )
        cols[f"cover_{level}"] = inside.groupby(test["series"], sort=False).mean() * 100.0
    return pd.DataFrame(cols).reset_index()
