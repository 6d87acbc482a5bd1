"""``seqcast train`` and ``seqcast forecast`` on a many-series (panel) dataset: the options
that apply to it become a :class:`~seqcast.panel.config.PanelRunConfig`, and one that does
not is refused by name instead of being ignored."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from seqcast.errors import ConfigError
from seqcast.io import storage
from seqcast.panel.config import PanelRunConfig, panel_spec_path

# train options a panel run reads (argparse dest -> config field)
PANEL_OPTIONS = {
    "seed": "seed",
    "variants": "variants",
    "references": "references",
    "seeds": "seeds",
    "max_epochs": "max_epochs",
    "folds": "folds",
    "dask_address": "dask_address",
    "workers": "workers",
    "windows_per_series": "windows_per_series",
    "series_identity": "series_identity",
    "task_runner": "task_runner",
}
COMMON = {"command", "dataset", "source", "out", "verbose", "quiet", "known"}


def is_panel(args: argparse.Namespace) -> bool:
    return args.command in ("train", "forecast") and panel_spec_path(args.dataset) is not None


def panel_config(args: argparse.Namespace, defaults: argparse.Namespace) -> PanelRunConfig:
    """The panel run ``args`` ask for; an option set away from its default that a panel run
    does not read is an error naming it."""
    unused = [
        "--" + k.replace("_", "-")
        for k, v in vars(args).items()
        if k not in PANEL_OPTIONS and k not in COMMON and v != getattr(defaults, k, None)
    ]
    if unused:
        raise ConfigError(
            f"{args.dataset} is a many-series dataset; these options apply to single-series "
            f"datasets only: {', '.join(sorted(unused))}"
        )
    given: dict[str, Any] = {
        field: getattr(args, dest, None)
        for dest, field in PANEL_OPTIONS.items()
        if getattr(args, dest, None) is not None
    }
    for key in ("variants", "references"):
        value = given.get(key)
        if isinstance(value, str):
            given[key] = [v.strip() for v in value.split(",") if v.strip()]
    try:
        return PanelRunConfig.model_validate(
            {"dataset": args.dataset, "source": getattr(args, "source", None), "out": args.out}
            | given
        )
    except ValidationError as exc:
        lines = [f"  - {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid options for a many-series run:\n" + "\n".join(lines)) from None


def train_summary(folder: str) -> list[str]:
    """The closing lines of a panel train: the leaderboard, the champion, the report."""
    m = storage.read_json(Path(folder) / "metrics.json")
    lines = [
        f"{m['series']} series ({m['rows']:,} rows), {len(m['left_out'])} left out; horizon "
        f"{m['horizon']}, {m['folds']} backtest fold(s); seeds {m['seeds']}"
    ]
    lines += [f"  left out: {x}" for x in m["left_out"][:10]]
    lines.append(f"{'candidate':<16} {'backtest MASE':>13} {'test MASE':>10} {'test sMAPE':>10}")
    rows = sorted(m["candidates"].items(), key=lambda kv: kv[1]["backtest MASE"])
    for name, c in rows:
        mark = "  <- champion" if name == m["champion"] else ""
        lines.append(
            f"{name:<16} {c['backtest MASE']:>13.3f} {c['test MASE']:>10.3f} "
            f"{c['test sMAPE']:>10.2f}{mark}"
        )
    w = m["wins"]["test"]
    m["ensemble_members"]
    lines.append(
        f"champion {m['champion']}"
        + (
            f" (mean of {', '.join(m['ensemble_members'])})"
            if m["ensemble_members"] and m["champion"] == "ensemble"
            else ""
        )
        + f": beats every reference on {w.get('all', 0)} of {w['series']} series on test; "
        + "coverage "
        + ", ".join(f"{k} %: {v:.1f} %" for k, v in m["coverage"].items())
    )
    lines.append(f"report: {Path(folder) / 'report.html'}")
    return lines


def forecast_summary(path: str) -> list[str]:
    import pandas as pd

    f = pd.read_parquet(path)
    return [
        f"{f['series'].nunique()} series x {f['step'].max()} steps from champion "
        f"{f['champion'].iloc[0]} (run {f['run'].iloc[0]})"
    ]


def status_lines(cfg: PanelRunConfig) -> list[str]:
    """``seqcast status`` on a many-series dataset: the newest forecast run's live quality."""
    layout = cfg.layout()
    if not layout.panel_status.is_file():
        return [
            f"{layout.dataset}: nothing scored yet ({layout.panel_status} is written by a "
            "forecast run once actuals have arrived for forecasts served before it)"
        ]
    s = storage.read_json(layout.panel_status)
    verdict = "DEGRADED" if s["degraded"] else "within the promise"
    lines = [
        f"{layout.dataset}: champion {s['champion']} (run {s['run']}); {s['scored_series']} "
        f"series scored; live MASE {s['live_mase']:.3f} against the promised "
        f"{s['promised_mase']:.3f} ({s['ratio']:.2f} x): {verdict}",
    ]
    lines += [f"  worst: {sid} MASE {v:.3f}" for sid, v in s["worst"]]
    return lines
