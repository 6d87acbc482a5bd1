"""The evaluation report's figures, as PNG bytes: the test period with the champion's bands,
the learning curves, the backtest per fold, the residuals, MAE by step and by hour of day."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from seqcast.numbers import number_text
from seqcast.report.inputs import ReportInput


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def shown_models(r: ReportInput) -> list[str]:
    """The champion (or, without one, the best deep candidate) and the best reference."""
    deep = [e for e in r.board if e["kind"] in ("deep", "ensemble") and e["backtest"]]
    refs = [e for e in r.board if e["kind"] == "reference" and e["backtest"]]
    names = [r.champion or (deep[0]["name"] if deep else None), refs[0]["name"] if refs else None]
    return [n for n in names if n and n in r.test_predictions]


def time_axis(ax) -> None:
    """Dates that never overlap: ticks chosen for the width, labels without repetition."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def plain_numbers(axis: Axis, whole: bool = False) -> None:
    """Tick labels on a value axis as plain numbers with thousands separators, as precise as
    the ticks' spacing needs (``143,200``, ``0.25``), never an offset or scientific notation
    (``1.374e+05``); ``whole``: only whole-number ticks (counts of windows)."""
    if whole:
        axis.set_major_locator(MaxNLocator(integer=True))

    def label(value: float, _pos) -> str:
        ticks = np.asarray(axis.get_majorticklocs(), dtype=float)
        spacing = np.diff(ticks)
        step = float(np.min(np.abs(spacing[spacing != 0]))) if (spacing != 0).any() else 1.0
        return number_text(value, spacing_decimals(step))

    axis.set_major_formatter(FuncFormatter(label))


def spacing_decimals(step: float) -> int:
    """The fewest decimals (0..6) that write every multiple of ``step`` exactly: 100 and 1
    need 0, 0.5 needs 1, 0.25 needs 2."""
    for decimals in range(7):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return decimals
    return 6


def legend_beside(ax: Axes) -> None:
    """The legend to the right of the axes, top-aligned: it never covers data or a title."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)


def figures(r: ReportInput) -> dict[str, bytes]:
    out = {
        "actual_vs_predicted.png": _png(actual_vs_predicted_figure(r)),
        **({"test_close_up.png": _png(close)} if (close := close_up_figure(r)) else {}),
        "learning_curves.png": _png(learning_curves_figure(r)),
        "backtest_folds.png": _png(backtest_folds_figure(r)),
        "residuals.png": _png(residuals_figure(r)),
        "mae_by_step.png": _mae_by_step(r),
    }
    if r.frequency == "hourly":
        out["mae_by_hour.png"] = _mae_by_hour(r)
    return out


def actual_vs_predicted_figure(r: ReportInput) -> Figure:
    """The first step of every test window: actual, the champion with its bands, the best
    reference."""
    shown = shown_models(r)
    fig, ax = plt.subplots(figsize=(11, 4), layout="constrained")
    times, truth = r.test_times[:, 0], r.test_truth[:, 0]  # the first step of every window
    if r.test_bounds and r.champion in shown:
        for level, alpha in zip(reversed(list(r.test_bounds)), (0.15, 0.3), strict=False):
            lo, hi = r.test_bounds[level]
            ax.fill_between(
                times,
                lo[:, 0],
                hi[:, 0],
                alpha=alpha,
                color="tab:blue",
                linewidth=0,
                label=f"{r.champion}: {level} % interval",
            )
    ax.plot(times, truth, label="actual", color="black", linewidth=1)
    for name in shown:
        ax.plot(times, r.test_predictions[name][:, 0], label=name, linewidth=1, alpha=0.8)
    ax.set_title(
        f"{r.dataset}: test period, actual vs predicted {step_word(r.steps[0], r.frequency)}"
    )
    ax.set_ylabel(r.units)
    plain_numbers(ax.yaxis)
    time_axis(ax)
    legend_beside(ax)
    ax.grid(alpha=0.3)
    return fig


def close_up_start(times: np.ndarray, frequency: str) -> tuple[int, str]:
    """Where the test period's close-up starts in ``times`` (the windows' first target times,
    in order) and what it spans: the last 14 days of hourly data, the last 26 weeks of weekly
    data, else the last 28 windows. 0 when the whole period fits in that span."""
    times = np.asarray(times, dtype="datetime64[ns]")
    if frequency == "hourly":
        span, words = np.timedelta64(14, "D"), "last 14 days"
    elif frequency.startswith("weekly"):
        span, words = np.timedelta64(26 * 7, "D"), "last 26 weeks"
    else:
        return max(len(times) - 28, 0), "last 28 periods"
    return int(np.searchsorted(times, times[-1] - span, side="right")), words


def close_up_figure(r: ReportInput) -> Figure | None:
    """The close-up of the test period's end (``close_up_start``): actual, the champion and its
    80 % interval (the narrowest level without one). None without a champion's test
    predictions or when the whole test period fits in the close-up (the full figure shows it)."""
    if r.champion not in r.test_predictions or len(r.test_times) == 0:
        return None
    start, words = close_up_start(r.test_times[:, 0], r.frequency)
    if start == 0:
        return None
    times, truth = r.test_times[start:, 0], r.test_truth[start:, 0]
    fig, ax = plt.subplots(figsize=(11, 3.6), layout="constrained")
    if r.test_bounds:
        level = "80" if "80" in r.test_bounds else min(r.test_bounds, key=float)
        lo, hi = r.test_bounds[level]
        ax.fill_between(
            times,
            lo[start:, 0],
            hi[start:, 0],
            alpha=0.25,
            color="tab:blue",
            linewidth=0,
            label=f"{r.champion}: {level} % interval",
        )
    ax.plot(times, truth, label="actual", color="black", linewidth=1.2)
    predicted = r.test_predictions[r.champion][start:, 0]
    ax.plot(times, predicted, label=r.champion, color="tab:blue", linewidth=1.2)
    ax.set_title(
        f"{r.dataset}: test period, {words}, actual vs the champion, "
        f"{step_word(r.steps[0], r.frequency)}"
    )
    ax.set_ylabel(r.units)
    plain_numbers(ax.yaxis)
    time_axis(ax)
    legend_beside(ax)
    ax.grid(alpha=0.3)
    return fig


def learning_curves_figure(r: ReportInput) -> Figure:
    """Training and early-stopping loss per epoch of each variant's newest fold."""
    n = max(len(r.histories), 1)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.8 * cols, 2.9 * rows), squeeze=False, layout="constrained"
    )
    for ax, (name, hist) in zip(axes.flat, sorted(r.histories.items()), strict=False):
        epochs = np.arange(1, len(hist["loss"]) + 1)
        ax.plot(epochs, hist["loss"], label="train")
        if "val_loss" in hist:
            ax.plot(epochs, hist["val_loss"], label="early-stopping windows")
        ax.set_title(name, fontsize=10)
        ax.set_yscale("log")
        ax.set_xlabel("epoch", fontsize=8)
        ax.set_ylabel("loss (log scale)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3, which="both")
    for ax in list(axes.flat)[len(r.histories) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8)  # under all
    fig.suptitle(f"learning curves, newest backtest fold: {r.loss_label} per epoch", fontsize=11)
    return fig


def backtest_folds_figure(r: ReportInput) -> Figure:
    """Each scored candidate's MAE on each backtest fold, best at the top."""
    scored = [e for e in r.board if e["backtest"]]
    folds = [f for f in r.fits if f.startswith("fold-")]
    fig, ax = plt.subplots(figsize=(11, max(2.8, 0.6 + 0.32 * len(scored))), layout="constrained")
    names = [e["name"] for e in scored][::-1]  # best at the top
    height = 0.8 / max(len(folds), 1)
    for k, fold in enumerate(folds):
        values = [e["backtest"]["fold_mae"][k] for e in scored][::-1]
        period = r.fits[fold]["scored"]
        ax.barh(
            np.arange(len(names)) + (k - (len(folds) - 1) / 2) * height,
            values,
            height=height,
            label=f"{fold}: {period['target_start'][:10]} to {period['target_end'][:10]}",
        )
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.set_xlabel(f"MAE ({r.units})")
    plain_numbers(ax.xaxis)
    ax.set_title("backtest: MAE per fold (each fold scored after its own training period)")
    legend_beside(ax)
    ax.grid(alpha=0.3, axis="x")
    return fig


CENTRAL = (1.0, 99.0)  # the percentiles of the residuals the histogram's axis spans


def central_range(values: np.ndarray, q: tuple[float, float] = CENTRAL) -> tuple[float, float, int]:
    """The ``q`` percentiles of ``values`` (linear interpolation) and how many values lie
    outside them: the span a histogram shows so that a few outliers do not squeeze the rest
    into one bar."""
    lo, hi = np.percentile(values, q)
    return float(lo), float(hi), int(((values < lo) | (values > hi)).sum())


def residuals_figure(r: ReportInput) -> Figure:
    """The test residuals (every step) as a histogram over their central 1st to 99th
    percentile, the outside count in its title, and the first step's residuals over time."""
    shown = shown_models(r)
    times = r.test_times[:, 0]
    resid = {n: r.test_predictions[n] - r.test_truth for n in shown}  # name -> (samples, steps)
    every = np.concatenate([v.reshape(-1) for v in resid.values()]) if resid else np.zeros(1)
    lo, hi, outside = central_range(every)
    tiny = 1e-6 * max(1.0, float(np.abs(every).max()))
    clipped = hi - lo > tiny  # else the central residuals are one value: show them all
    span = (lo, hi) if clipped else None
    bins = 40 if np.ptp(every) > tiny else 1
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), width_ratios=(1, 2), layout="constrained")
    for name, values in resid.items():
        axes[0].hist(values.reshape(-1), bins=bins, range=span, alpha=0.6, label=name)
        axes[1].plot(times, values[:, 0], linewidth=0.8, label=name, alpha=0.8)
    title = "test residuals, every step"
    if clipped:
        axes[0].set_xlim(lo, hi)
        low, high = (f"{p:g}" for p in CENTRAL)
        title += (
            f"\naxis: {_ordinal(low)} to {_ordinal(high)} percentile; "
            f"{outside} of {every.size} outside, not drawn"
        )
    axes[0].set_title(title, fontsize=10)
    axes[0].set_xlabel(f"predicted - actual ({r.units})")
    axes[0].set_ylabel("windows")
    axes[1].set_title("test residuals over time")
    axes[1].set_ylabel(f"predicted - actual ({r.units})")
    axes[1].axhline(0, color="black", linewidth=0.5)
    plain_numbers(axes[0].xaxis)
    plain_numbers(axes[0].yaxis, whole=True)
    plain_numbers(axes[1].yaxis)
    time_axis(axes[1])
    for ax in axes:
        ax.grid(alpha=0.3)
    legend_beside(axes[1])  # one legend for both: the same colours name the same models
    return fig


def _ordinal(number: str) -> str:
    suffix = {"1": "st", "2": "nd", "3": "rd"}.get(number[-1:], "th")
    return number + ("th" if number.endswith(("11", "12", "13")) else suffix)


def step_word(step: int, frequency: str) -> str:
    unit = {
        "hourly": "hour",
        "daily": "day",
        "monthly": "month",
        "quarterly": "quarter",
        "yearly": "year",
    }.get(frequency, "step")
    if frequency.startswith("weekly") or frequency == "":
        unit = "week" if frequency else "step"
    return f"{step} {unit}{'s' if step != 1 else ''} ahead"


def _compared(r: ReportInput) -> list[dict]:
    """The champion (or the best deep candidate) and every reference with scores."""
    deep = [e for e in r.board if e["kind"] in ("deep", "ensemble") and e["backtest"]]
    lead = r.champion or (deep[0]["name"] if deep else None)
    return [e for e in r.board if e["backtest"] and (e["name"] == lead or e["kind"] == "reference")]


def _mae_by_step(r: ReportInput) -> bytes:
    """MAE by forecast step, backtest and test, the champion beside every reference; with
    one step a bar per model (a line of one point per model says nothing)."""
    if len(r.steps) == 1:
        return _png(_mae_of_one_step(r))
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True, layout="constrained")
    for e in _compared(r):
        style: dict[str, Any] = (
            {"linewidth": 2.2} if e["name"] == r.champion else {"linewidth": 1, "alpha": 0.8}
        )
        for ax, split in zip(axes, ("backtest", "test"), strict=True):
            values = (e[split] or {}).get("mae_by_step")
            if values:
                ax.plot(list(r.steps), values, marker="o", markersize=3, label=e["name"], **style)
    for ax, split in zip(axes, ("backtest (mean over folds)", "test"), strict=True):
        ax.set_title(f"MAE by step, {split}")
        ax.set_xlabel("steps ahead")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel(f"MAE ({r.units})")
    plain_numbers(axes[0].yaxis)
    legend_beside(axes[1])
    return _png(fig)


def _mae_of_one_step(r: ReportInput) -> Figure:
    """The one step's MAE, backtest and test, as a bar per model (the champion darker)."""
    compared = _compared(r)
    names = [e["name"] for e in compared]
    fig, axes = plt.subplots(
        1, 2, figsize=(12, max(2.4, 0.6 + 0.3 * len(names))), sharey=True, layout="constrained"
    )
    for ax, split in zip(axes, ("backtest", "test"), strict=True):
        values = [((e[split] or {}).get("mae_by_step") or [np.nan])[0] for e in compared]
        colours = ["tab:blue" if n == r.champion else "tab:gray" for n in names]
        ax.barh(np.arange(len(names)), values, color=colours)
        ax.set_yticks(np.arange(len(names)), names, fontsize=8)
        ax.invert_yaxis()  # in the leaderboard's order, best at the top
        word = "backtest (mean over folds)" if split == "backtest" else "test"
        ax.set_title(f"MAE, {step_word(r.steps[0], r.frequency)}, {word}")
        ax.set_xlabel(f"MAE ({r.units})")
        plain_numbers(ax.xaxis)
        ax.grid(alpha=0.3, axis="x")
    return fig


def _mae_by_hour(r: ReportInput) -> bytes:
    """Test MAE by the target time's hour of day (every step), champion and references."""
    hours = _hours(r.test_times)  # (samples * steps,)
    fig, ax = plt.subplots(figsize=(11, 3.6), layout="constrained")
    for e in _compared(r):
        if e["name"] not in r.test_predictions:
            continue
        err = np.abs(r.test_predictions[e["name"]] - r.test_truth).reshape(-1)
        by_hour = [
            float(err[hours == h].mean()) if (hours == h).any() else np.nan for h in range(24)
        ]
        style: dict[str, Any] = (
            {"linewidth": 2.2} if e["name"] == r.champion else {"linewidth": 1, "alpha": 0.8}
        )
        ax.plot(range(24), by_hour, marker="o", markersize=3, label=e["name"], **style)
    ax.set_title("test MAE by hour of day of the target time (every step)")
    ax.set_xlabel("hour of day")
    ax.set_ylabel(f"MAE ({r.units})")
    plain_numbers(ax.yaxis)
    ax.set_xticks(range(0, 24, 2))
    ax.grid(alpha=0.3)
    legend_beside(ax)
    return _png(fig)


def _hours(times: np.ndarray) -> np.ndarray:
    import pandas as pd

    return np.asarray(pd.DatetimeIndex(np.asarray(times).reshape(-1)).hour)
