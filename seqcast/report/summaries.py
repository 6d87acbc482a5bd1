"""The closing lines a command prints, built from the documents its run wrote: the train run's
``metrics.json`` and ``mlflow.json``, a refresh's, a rerun fit's ``fit.json``, a re-ranking's
``ranking.json``, the prepared data's ``summary.json``, a replay's summaries and the forecast
store. Each document is read into a small typed model of what the lines need (unknown keys
are ignored: the documents carry much more), so a renamed key fails here, by name, instead of
as a ``KeyError`` in the console. The command line only prints these lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from seqcast.numbers import figure, row_numbers


class _Doc(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Figures(_Doc):
    mae: float


class BoardEntry(_Doc):
    """A leaderboard row of ``metrics.json``: a candidate or a reference with its MAEs."""

    name: str
    kind: str
    backtest: Figures | None = None
    val: Figures | None = None
    test: Figures | None = None


class TrainedOn(_Doc):
    target_end: str
    windows: int | None = None


class RefreshedFrom(_Doc):
    run_id: str


class RunMetrics(_Doc):
    """What the closing lines read of a run's ``metrics.json``."""

    mode: str = "full"
    champion: str | None = None
    champion_label: str | None = None
    champion_policy: str | None = None
    champion_reason: str = ""
    models: list[BoardEntry] = []
    warnings: list[str] = []
    # a refresh's
    refreshed_from: RefreshedFrom | None = None
    trained_on: TrainedOn | None = None
    refit_seconds: float = 0.0


class Tracked(_Doc):
    """A run's ``mlflow.json``: its MLflow run, where, and the registered version."""

    run_id: str
    tracking_uri: str
    url: str | None = None
    registered_model: str | None = None


def _read(path: Path, model: type[_Doc]) -> Any:
    return model.model_validate(json.loads(path.read_text()))


def run_summary(run_dir: str | Path) -> list[str]:
    """A train (or refresh) run's closing lines: the champion and what it is made of, the best
    other reference, every warning of the report, the report, the MLflow run and version."""
    out = Path(run_dir)
    metrics: RunMetrics = _read(out / "metrics.json", RunMetrics)
    if metrics.mode == "refresh":
        return _refresh_summary(out, metrics)
    champion = metrics.champion
    board = {e.name: e for e in metrics.models}

    def figures(e: BoardEntry) -> str:  # one precision for the line's three figures
        values = [e.backtest, e.val, e.test]
        backtest, val, test = row_numbers([v.mae if v else None for v in values])
        return f"backtest MAE {backtest}, val {val}, test {test}"

    label = metrics.champion_label or champion
    lines = []
    if champion and metrics.champion_policy == "fallback":
        lines.append(f"champion (fallback, not a deep model): {label}  {figures(board[champion])}")
        lines.append("  " + metrics.champion_reason)
        lines.append("  --require-deep keeps the strict rule (a deep champion or none)")
    elif champion:
        lines.append(f"champion: {label}  {figures(board[champion])}")
    else:
        lines.append("no champion promoted: " + metrics.champion_reason)
    refs = [
        e for e in metrics.models if e.kind == "reference" and e.backtest and e.name != champion
    ]
    if refs:
        best = min(refs, key=lambda e: e.backtest.mae if e.backtest else float("inf"))
        other = "other " if champion and board[champion].kind == "reference" else ""
        lines.append(f"best {other}reference: {best.name}  {figures(best)}")
    lines += [f"warning: {w}" for w in metrics.warnings]  # the report's own
    lines.append(f"report: {out / 'report.html'}")
    tracked_file = out / "mlflow.json"
    if tracked_file.exists():
        tracked: Tracked = _read(tracked_file, Tracked)
        root = out.parents[2]  # OUT/<dataset>/runs/<run id>
        ui = (
            "make mlflow"
            if root.resolve() == Path("outputs").resolve()
            else f"make mlflow OUT={root}"
        )
        lines.append(
            f"mlflow run: {tracked.run_id}  {tracked.url or f'{tracked.tracking_uri} ({ui})'}"
        )
        if tracked.registered_model:
            lines.append(f"registered: {tracked.registered_model}")
    return lines


def _refresh_summary(out: Path, metrics: RunMetrics) -> list[str]:
    fitted, source = metrics.trained_on, metrics.refreshed_from
    assert fitted is not None and source is not None, "a refresh records both"
    lines = [
        f"refreshed: {metrics.champion} (from run {source.run_id}), refitted on target times up "
        f"to {fitted.target_end} in {metrics.refit_seconds:.0f} s of fitting",
        "  no backtest: live forecasts stay held to that run's promise; when they stay "
        "degraded, train in full (--mode full)",
        f"report: {out / 'report.html'}",
    ]
    tracked_file = out / "mlflow.json"
    if tracked_file.exists() and (uri := _read(tracked_file, Tracked).registered_model):
        lines.append(f"registered: {uri}")
    return lines


class RankedEntry(_Doc):
    name: str
    backtest: Figures | None = None


class Ranked(_Doc):
    """A re-ranking's ``ranking.json``."""

    train_run: str
    champion: str | None = None
    policy: str
    reason: str
    board: list[RankedEntry] = []


def ranking_summary(out: str | Path) -> list[str]:
    """A re-ranking's lines: the train run it ranked, the champion and the top five."""
    doc: Ranked = _read(Path(out) / "ranking.json", Ranked)
    lines = [
        f"ranked again from the stored fits of train run {doc.train_run}",
        f"champion: {doc.champion or 'none'} ({doc.policy}). {doc.reason}",
    ]
    for i, e in enumerate(doc.board[:5], 1):
        lines.append(
            f"  {i}. {e.name}" + (f": backtest MAE {figure(e.backtest.mae)}" if e.backtest else "")
        )
    return [*lines, f"ranking: {Path(out) / 'ranking.md'}"]


class RerunFit(_Doc):
    """One fit of a rerun's ``fit.json``."""

    label: str
    kind: str
    seed: int | None = None
    fit: str
    seconds: float
    epochs: int | None = None
    best_epoch: int | None = None
    train_run: str | None = None
    mae: float | None = None
    scored_on: str | None = None
    run_mae: float | None = None


def rerun_summary(out: str | Path) -> list[str]:
    """A rerun fit's lines: each fit refitted, its epochs and its MAE beside the run's."""
    fits = [RerunFit.model_validate(f) for f in json.loads((Path(out) / "fit.json").read_text())]
    lines = [f"a fit of train run {fits[0].train_run}, with its settings"] if fits else []
    for f in fits:
        what = f.label + (f" seed {f.seed}" if f.kind == "deep" else "")
        epochs = f", {f.epochs} epochs (best {f.best_epoch})" if f.epochs else ""
        mae = ""
        if f.mae is not None:
            mae = f", MAE {figure(f.mae)} on {f.scored_on}"
            if f.run_mae is not None:
                same = abs(f.mae - f.run_mae) <= 1e-6 * max(1.0, abs(f.run_mae))
                mae += " as in the run" if same else f" (the run's: {figure(f.run_mae)})"
        lines.append(f"refitted {what} on {f.fit}: {f.seconds:.1f} s{epochs}{mae}")
    curve = Path(out) / "learning_curve.png"
    if curve.exists():
        lines.append(f"learning curve: {curve}")
    return lines


class Prepared(_Doc):
    """The prepared data's ``summary.json``: window counts per split."""

    shapes: dict[str, list[int]]  # split -> (samples, timesteps, features)
    timesteps: int | None = None
    steps: list[int] | None = None
    horizon: int | None = None


def prepared_summary(out: str | Path) -> list[str]:
    doc: Prepared = _read(Path(out) / "summary.json", Prepared)
    counts = ", ".join(f"{split} {shape[0]}" for split, shape in doc.shapes.items())
    steps = doc.steps or [doc.horizon or 1]  # before paths: the one horizon
    ahead = f"steps {steps[0]}..{steps[-1]}" if len(steps) > 1 else f"step {steps[0]}"
    return [f"windows: {counts} ({doc.timesteps} timesteps; each forecasts {ahead})"]


def replay_summary(out: str | Path) -> list[str]:
    """A replay's table: one row per policy, from each policy's ``summary.json``."""
    from seqcast.report.replay import rows_of

    policies = {}
    for found in sorted(Path(out).glob("*/summary.json")):
        doc = json.loads(found.read_text())
        policies[doc["policy"]] = (doc, None)
    head, rows = rows_of(policies)  # type: ignore[arg-type]
    width = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, width, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, width, strict=True)) for r in rows]
    return [*lines, f"report: {Path(out) / 'report.html'}"]


def forecast_summary(forecasts_file: str | Path) -> list[str]:
    """The newest forecast path as a table (in the target's unit, at its precision), the fan
    chart, and how the served forecasts did against their actuals."""
    import pandas as pd

    from seqcast.config import LiveConfig
    from seqcast.io.paths import Layout
    from seqcast.report.forecast_view import console_lines
    from seqcast.serving.status import status_lines

    out = Path(forecasts_file)
    stored = pd.read_parquet(out)
    newest = stored[stored["created_at"] == stored["created_at"].max()].sort_values("step")
    layout = Layout(out.parent.parent, out.parent.name)  # DIR/<dataset>/forecasts.parquet
    units, whole = target_of(layout, str(newest["model_version"].iloc[-1]))
    lines = console_lines(newest.reset_index(drop=True), units, whole)
    live = status_lines(layout, LiveConfig())
    return [*lines, f"fan chart: {out.with_name('forecast_fan.png')}", *live]


def target_of(layout, version: str) -> tuple[str, bool]:
    """The target's label (with its unit) and whether it is a count, from the spec of the
    served model ``version`` (its bundle under ``served/<version>``); ``forecast`` when that
    bundle is not there."""
    from seqcast.serving.bundle import read_bundle

    found = sorted((layout.served / version).rglob("bundle.json")) if version else []
    if not found:
        return "forecast", False
    spec = read_bundle(found[0]).spec
    return spec.target_label, spec.whole_target
