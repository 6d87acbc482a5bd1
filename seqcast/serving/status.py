"""``seqcast status``: the live quality of a dataset's served forecasts against what the
champion's backtest promised, from the files every forecast run writes (no Prefect, no
registry): ``scored.parquet`` and the served bundle of the version that made them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seqcast.config import LiveConfig
from seqcast.evaluation.live import LiveQuality, Promise, live_quality, live_window
from seqcast.io import storage
from seqcast.io.paths import Layout
from seqcast.numbers import figure
from seqcast.serving.bundle import Bundle, read_bundle


def status_lines(layout: Layout, live: LiveConfig) -> list[str]:
    """A few lines: how many forecasts are served and scored, and the newest version's live
    quality by step against its promise."""
    if not layout.forecasts.exists():
        return [f"no forecast served yet for {layout.dataset} under {layout.root}"]
    served = storage.read_frame(layout.forecasts)
    if not layout.scored.exists() or storage.read_frame(layout.scored).empty:
        return [
            f"{len(served)} forecast row(s) served, none scored yet: their actuals are not in "
            "the source the forecast runs read"
        ]
    scored = storage.read_frame(layout.scored)
    version = str(scored.sort_values("scored_at")["model_version"].iloc[-1])
    bundle = _bundle(layout.served / version) if version else None
    lines = [
        f"{len(served)} forecast row(s) served, {len(scored)} scored against their actuals "
        f"(newest target time {pd.Timestamp(scored['target_time'].max())})"
    ]
    if bundle is None or not bundle.promise:
        mine = scored[scored["model_version"] == version] if version else scored
        return [
            *lines,
            f"model version {version or '?'}: live MAE {figure(mine['error'].abs().mean())} over "
            f"{len(mine)} scored forecast(s); no promise to compare with (the version was "
            "trained before seqcast recorded its backtest's; retrain to compare)",
        ]
    spec = bundle.spec
    window, quality = version_quality(
        scored, version, bundle.promise, spec.time_index.frequency, live
    )
    lines.append(f"model version {version} ({bundle.candidate}), window {window} periods:")
    lines += [f"  {line}" for line in quality.lines(spec.target)]
    for row in quality.by_step.itertuples():
        lines.append(
            f"  step {row.step}: {row.scored} scored, live MAE {figure(row.live_mae)}, promised "
            f"{figure(row.promised_mae)} ({row.ratio:.2f}x)"
        )
    return lines


def version_quality(
    scored: pd.DataFrame, version: str, promise: dict, frequency: str, live: LiveConfig
) -> tuple[int, LiveQuality]:
    """The live quality of model version ``version``'s scored forecasts (every row when the
    version is unknown) against its ``promise``, over the configured window or the one for
    ``frequency``: what the forecast flow publishes and ``seqcast status`` prints. Returns
    the window (periods) and the quality."""
    mine = scored[scored["model_version"] == version] if version else scored
    window = live.window or live_window(frequency)
    quality = live_quality(
        mine,
        Promise.from_dict(promise),
        window,
        live.factor,
        live.min_scored,
        live.coverage_floor,
    )
    return window, quality


def _bundle(folder: Path) -> Bundle | None:
    found = sorted(folder.rglob("bundle.json"))
    return read_bundle(found[0]) if found else None
