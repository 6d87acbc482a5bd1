"""A panel train's results put together: the candidates' forecasts in one frame, their scores,
the champion, its intervals, the metrics document and the report page. Pure: the tasks read
and write."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from seqcast.panel import evaluate, report
from seqcast.panel.data import Panel
from seqcast.panel.spec import PanelSpec
from seqcast.panel.train import GlobalFit

KEYS = evaluate.KEYS


def combine(reference_frames: list[pd.DataFrame], fits: list[GlobalFit]) -> pd.DataFrame:
    """One frame (series, evaluation, start, step, one column per candidate): the references'
    chunks stacked, each deep variant the mean of its seeds."""
    refs = pd.concat(reference_frames, ignore_index=True) if reference_frames else None
    deep: dict[str, list[pd.DataFrame]] = {}
    for f in fits:
        deep.setdefault(f.variant, []).append(f.forecasts.set_index(KEYS)["forecast"])
    frame = refs.set_index(KEYS) if refs is not None else None
    for variant, parts in deep.items():
        mean = pd.concat(parts, axis=1).mean(axis=1).rename(variant)
        frame = mean.to_frame() if frame is None else frame.join(mean, how="inner")
    assert frame is not None, "a panel train needs at least one candidate"
    return frame.reset_index().sort_values(KEYS, ignore_index=True)


@dataclass
class Summary:
    metrics: dict
    scores: pd.DataFrame  # series, split, candidate, mase, smape
    bounded: pd.DataFrame  # every candidate's forecasts, actuals, scale, champion's bounds
    page: str
    offsets: dict[int, list[float]]
    members: list[str]


def summarise(
    panel: Panel,
    spec: PanelSpec,
    forecasts: pd.DataFrame,
    fits: list[GlobalFit],
    notes: list[str],
    facts: dict,
) -> Summary:
    """Score every candidate, choose the champion on the backtest, calibrate its intervals
    on the backtest, and score everything on the test."""
    references: list[str] = [r for r in spec.training.references if r in forecasts.columns]
    deep = sorted({f.variant for f in fits})
    candidates = references + deep
    scored = evaluate.with_actuals(forecasts, panel, spec)
    scored, choice = evaluate.choose(scored, candidates, spec.training.ensemble_size)
    champion = choice.champion
    scores = evaluate.series_scores(scored, choice.candidates)
    agg = evaluate.aggregate(scores)
    offsets = evaluate.interval_offsets(scored, champion, spec.levels, spec.horizon)
    bounded = evaluate.with_bounds(scored, champion, offsets)
    cover = evaluate.coverage(bounded, spec.levels)
    test_wins = evaluate.wins(scores, champion, references, "test")
    back_wins = evaluate.wins(scores, champion, references, "backtest")
    table = agg.pivot(index="candidate", columns="split")
    others = [c for c in choice.candidates if c != champion]
    beaten = evaluate.wins(scores, champion, others, "test")  # per candidate, on test
    rows = []
    for c in choice.candidates:
        rows.append(
            {
                "candidate": c + (" (champion)" if c == champion else ""),
                "kind": "reference" if c in references else "deep" if c in deep else "ensemble",
                "backtest MASE": float(table.loc[c, ("mase", "backtest")]),
                "test MASE": float(table.loc[c, ("mase", "test")]),
                "test median MASE": float(table.loc[c, ("median_mase", "test")]),
                "test sMAPE": float(table.loc[c, ("smape", "test")]),
                "champion better on (series)": "" if c == champion else str(beaten[c]),
            }
        )
    board = pd.DataFrame(rows).sort_values("backtest MASE", ignore_index=True)
    test_scores = scores[(scores["split"] == "test") & (scores["candidate"] == champion)]
    test_mase = dict(zip(test_scores["series"], test_scores["mase"], strict=True))
    best_ref = (
        min(references, key=lambda r: float(table.loc[r, ("mase", "backtest")]))
        if references
        else None
    )
    worst = test_scores.sort_values("mase", ascending=False).head(10)
    ref_mase = (
        scores[(scores["split"] == "test") & (scores["candidate"] == best_ref)].set_index("series")[
            "mase"
        ]
        if best_ref
        else pd.Series(dtype=float)
    )
    worst_table = pd.DataFrame(
        {
            "series": worst["series"].to_numpy(),
            f"{champion} MASE": worst["mase"].to_numpy(),
            f"{best_ref} MASE": [float(ref_mase.get(s, np.nan)) for s in worst["series"]],
        }
    )
    level = min(spec.levels)
    history = dict(zip(panel.ids, panel.values, strict=True))
    order = list(test_scores.sort_values("mase", ascending=False)["series"])
    picker = report.picker_data(bounded, history, order, champion, level, test_mase, spec.horizon)
    left_out = pd.DataFrame(
        {
            "series": [x.series for x in panel.left_out],
            "reason": [x.reason for x in panel.left_out],
            "lines": [
                ", ".join(map(str, x.lines[:5])) + (" ..." if len(x.lines) > 5 else "")
                for x in panel.left_out
            ],
        }
    )
    coverage = {f"{lv}": float(cover[f"cover_{lv}"].mean()) for lv in spec.levels}
    metrics = {
        "dataset": spec.name,
        "series": len(panel),
        "left_out": [x.text() for x in panel.left_out],
        "rows": panel.rows(),
        "horizon": spec.horizon,
        "period": spec.period,
        "folds": spec.folds,
        "champion": champion,
        "ensemble_members": choice.members,
        "candidates": {
            str(r["candidate"]).replace(" (champion)", ""): {
                k: r[k]
                for k in ("kind", "backtest MASE", "test MASE", "test median MASE", "test sMAPE")
            }
            for r in rows
        },
        "wins": {"test": test_wins, "backtest": back_wins},
        "coverage": coverage,
        "interval_offsets": {str(k): v for k, v in offsets.items()},
        "fits": [{"variant": f.variant, "seed": f.seed, "fits": f.fits} for f in fits],
        "notes": notes,
        **facts,
    }
    facts_lines = [
        f"{len(panel)} series ({panel.rows():,} rows) from {panel.source}; "
        f"{len(panel.left_out)} left out (listed below)",
        f"horizon {spec.horizon}, period {spec.period}; test: each series' last "
        f"{spec.test_rows} rows; backtest: {spec.folds} block(s) of {spec.horizon} before it",
        f"champion: {champion}"
        + (f" (the mean of {', '.join(choice.members)})" if champion == evaluate.ENSEMBLE else "")
        + f", chosen on the backtest (mean MASE {choice.backtest[champion]:.3f})",
        f"test: mean MASE {float(table.loc[champion, ('mase', 'test')]):.3f} over "
        f"{test_wins['series']} series; it beats every reference on {test_wins.get('all', 0)} "
        "of them",
        "interval coverage on test (mean over series): "
        + ", ".join(f"{lv} %: {coverage[str(lv)]:.1f} %" for lv in spec.levels),
        f"seeds: {facts.get('seeds')}",
    ]
    page = report.page(
        f"seqcast panel: {spec.name}",
        facts_lines,
        board,
        left_out,
        worst_table,
        report.distribution_png(scores, champion, best_ref),
        picker,
        notes,
    )
    return Summary(metrics, scores, bounded, page, offsets, choice.members)


def served_paths(
    reference_frame: pd.DataFrame | None,
    deep_paths: dict[str, pd.DataFrame],
    champion: str,
    members: list[str],
) -> pd.DataFrame:
    """The champion's served path per series and step: its own column, or the mean of the
    ensemble's members."""
    parts = []
    if reference_frame is not None:
        parts.append(reference_frame.set_index(KEYS))
    for name, frame in deep_paths.items():
        parts.append(frame.set_index(KEYS)["forecast"].rename(name).to_frame())
    joined = pd.concat(parts, axis=1, join="inner")
    use = members if champion == evaluate.ENSEMBLE else [champion]
    return joined[use].mean(axis=1).rename("forecast").reset_index()
