"""The evaluation report: Markdown (figures as PNG files beside it) and self-contained HTML
(figures embedded). Pure: returns text and PNG bytes; the caller writes them."""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from seqcast.evaluation.leaderboard import claims
from seqcast.evaluation.selection import weights_text


@dataclass
class ReportInput:
    dataset: str
    run_id: str
    board: list[dict]
    champion: str | None
    champion_reason: str
    periods: dict
    fits: dict  # fit name -> train / early_stop / scored periods (backtest.describe)
    test_times: np.ndarray  # (samples, steps) target times
    test_truth: np.ndarray  # (samples, steps)
    test_predictions: dict[str, np.ndarray]  # name -> (samples, steps) original units
    histories: dict[str, dict[str, list[float]]]
    profile: list[dict]
    config: dict
    fingerprint: dict
    versions: dict
    units: str
    loss_label: str  # what the learning curves measure, e.g. "MSE of the scaled target"
    settings: list[tuple[str, str, str]]  # (setting, value used, where it came from)
    refit_ema: float = 0.0  # refits keep a moving average of their weights (0: off)
    steps: tuple[int, ...] = (1,)  # the forecast steps of the columns above
    frequency: str = ""  # the data's frequency: hourly data gets MAE by hour of day
    # the champion's test-period bounds: level ("80") -> (lower, upper), each (samples, steps)
    test_bounds: dict[str, tuple[np.ndarray, np.ndarray]] | None = None

    def __post_init__(self) -> None:
        """One step given as (samples,) is the path (samples, 1)."""

        def path(a) -> np.ndarray:
            a = np.asarray(a)
            return a.reshape(len(a), -1)

        self.test_times, self.test_truth = path(self.test_times), path(self.test_truth)
        self.test_predictions = {n: path(p) for n, p in self.test_predictions.items()}


@dataclass
class Report:
    markdown: str
    html: str
    figures: dict[str, bytes]


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _shown(r: ReportInput) -> list[str]:
    """The champion (or, without one, the best deep candidate) and the best reference."""
    deep = [e for e in r.board if e["kind"] in ("deep", "ensemble") and e["backtest"]]
    refs = [e for e in r.board if e["kind"] == "reference" and e["backtest"]]
    names = [r.champion or (deep[0]["name"] if deep else None), refs[0]["name"] if refs else None]
    return [n for n in names if n and n in r.test_predictions]


def _time_axis(ax) -> None:
    """Dates that never overlap: ticks chosen for the width, labels without repetition."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def figures(r: ReportInput) -> dict[str, bytes]:
    out = {}
    shown = _shown(r)
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
        f"{r.dataset}: test period, actual vs predicted {_step_word(r.steps[0], r.frequency)}"
    )
    ax.set_ylabel(r.units)
    _time_axis(ax)
    ax.legend()
    ax.grid(alpha=0.3)
    out["actual_vs_predicted.png"] = _png(fig)

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
    fig.legend(handles, labels, loc="outside upper right", ncols=2, fontsize=8)
    fig.suptitle(f"learning curves, newest backtest fold: {r.loss_label} per epoch", fontsize=11)
    out["learning_curves.png"] = _png(fig)

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
    ax.set_title("backtest: MAE per fold (each fold scored after its own training period)")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    out["backtest_folds.png"] = _png(fig)

    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), width_ratios=(1, 2), layout="constrained")
    for name in shown:
        resid = r.test_predictions[name] - r.test_truth  # (samples, steps)
        varied = np.ptp(resid) > 1e-6 * max(1.0, float(np.abs(resid).max()))
        axes[0].hist(resid.reshape(-1), bins=40 if varied else 1, alpha=0.6, label=name)
        axes[1].plot(times, resid[:, 0], linewidth=0.8, label=name, alpha=0.8)
    axes[0].set_title("test residuals, every step")
    axes[0].set_xlabel(f"predicted - actual ({r.units})")
    axes[0].set_ylabel("windows")
    axes[1].set_title("test residuals over time")
    axes[1].set_ylabel(f"predicted - actual ({r.units})")
    axes[1].axhline(0, color="black", linewidth=0.5)
    _time_axis(axes[1])
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    out["residuals.png"] = _png(fig)
    out["mae_by_step.png"] = _mae_by_step(r)
    if r.frequency == "hourly":
        out["mae_by_hour.png"] = _mae_by_hour(r)
    return out


def _step_word(step: int, frequency: str) -> str:
    unit = {"hourly": "hour", "daily": "day", "monthly": "month"}.get(frequency, "step")
    if frequency.startswith("weekly") or frequency == "":
        unit = "week" if frequency else "step"
    return f"{step} {unit}{'s' if step != 1 else ''} ahead"


def _compared(r: ReportInput) -> list[dict]:
    """The champion (or the best deep candidate) and every reference with scores."""
    deep = [e for e in r.board if e["kind"] in ("deep", "ensemble") and e["backtest"]]
    lead = r.champion or (deep[0]["name"] if deep else None)
    return [e for e in r.board if e["backtest"] and (e["name"] == lead or e["kind"] == "reference")]


def _mae_by_step(r: ReportInput) -> bytes:
    """MAE by forecast step, backtest and test, the champion beside every reference."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True, layout="constrained")
    for e in _compared(r):
        style = {"linewidth": 2.2} if e["name"] == r.champion else {"linewidth": 1, "alpha": 0.8}
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
    axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _png(fig)


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
        style = {"linewidth": 2.2} if e["name"] == r.champion else {"linewidth": 1, "alpha": 0.8}
        ax.plot(range(24), by_hour, marker="o", markersize=3, label=e["name"], **style)
    ax.set_title("test MAE by hour of day of the target time (every step)")
    ax.set_xlabel("hour of day")
    ax.set_ylabel(f"MAE ({r.units})")
    ax.set_xticks(range(0, 24, 2))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _png(fig)


def _hours(times: np.ndarray) -> np.ndarray:
    import pandas as pd

    return np.asarray(pd.DatetimeIndex(np.asarray(times).reshape(-1)).hour)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _tables(r: ReportInput) -> list[tuple[str, list[str], list[list[str]]]]:
    lead_head = [
        "rank",
        "model",
        "kind",
        "backtest MAE",
        "MAE per fold",
        "val MAE",
        *(f"test {m}" for m in ("MAE", "RMSE", "R²", "MASE", "WAPE %")),
    ]
    lead = []
    for i, e in enumerate(r.board, 1):
        name = e["name"] + (" (champion)" if e["name"] == r.champion else "")
        if e.get("weights"):
            name += " = " + weights_text(e["weights"])
        if e.get("seeds"):
            name += f" (mean of seeds {', '.join(map(str, e['seeds']))}"
            if spread := e.get("seed_mae"):
                name += "; one seed alone: backtest " + " / ".join(
                    _fmt(v) for v in spread["backtest"]
                )
                if "test" in spread:
                    name += ", test " + " / ".join(_fmt(v) for v in spread["test"])
            name += ")"
        if e.get("collapsed"):
            name += f" (collapsed: {e['collapsed']})"
        if e.get("retried_after"):
            seeds = ", ".join(str(a["seed"]) for a in e["retried_after"])
            name += f" (refitted: seed {seeds} collapsed)"
        bt = e["backtest"] or {}
        cells = [
            str(i),
            name,
            e["kind"],
            _fmt(bt.get("mae")),
            " / ".join(_fmt(v) for v in bt.get("fold_mae", [])) or "-",
            _fmt((e["val"] or {}).get("mae")),
        ]
        m = e["test"] or {}
        cells += [_fmt(m.get(k)) for k in ("mae", "rmse", "r2", "mase", "wape")]
        lead.append(cells)
    prof_head = [
        "feature",
        *(f"{s} {k}" for s in ("train", "val", "test") for k in ("mean", "std", "min", "max")),
        "drift",
    ]
    prof = [
        [
            p["feature"],
            *(
                _fmt(p[s][k])
                for s in ("train", "val", "test")
                for k in ("mean", "std", "min", "max")
            ),
            p["drift"] or "-",
        ]
        for p in r.profile
    ]
    per_head = ["split", "rows", "first target", "last target"]
    per = [[s, str(p["rows"]), p["target_start"], p["target_end"]] for s, p in r.periods.items()]
    fit_head = ["fit", "trained on (targets)", "early stopping on", "scored on", "windows scored"]

    def span(p: dict | None) -> str:
        return f"{p['target_start']} to {p['target_end']} ({p['windows']})" if p else "-"

    fixed = "no (fixed epochs)"
    if r.refit_ema > 0:
        fixed = f"no (fixed epochs; weights averaged, momentum up to {r.refit_ema:g})"
    fit_rows = [
        [
            name,
            span(f["train"]),
            span(f["early_stop"]) if f["early_stop"] else fixed,
            span(f["scored"]) if f["scored"] else "- (the served model)",
            str(f["scored"]["windows"]) if f["scored"] else "-",
        ]
        for name, f in r.fits.items()
    ]
    iv_head = [
        "model",
        "method",
        *(
            f"{split} {what}"
            for split in ("backtest", "test")
            for what in ("cov 80 %", "cov 95 %", "width 80 %", "interval score 80 %", "pinball")
        ),
    ]
    iv_rows = []
    for e in r.board:
        iv = e.get("intervals")
        if not iv or (e["kind"] != "reference" and e["name"] != r.champion):
            continue
        cells = [e["name"], iv["method"]]
        for split in ("backtest", "test"):
            s = iv.get(split) or {}
            first = s.get("80") or {}
            cells += [
                _pct(first.get("coverage")),
                _pct((s.get("95") or {}).get("coverage")),
                _fmt(first.get("width")),
                _fmt(first.get("winkler")),
                _fmt(s.get("pinball")),
            ]
        iv_rows.append(cells)
    set_head = ["setting", "value used", "from"]
    settings = [list(row) for row in r.settings]
    return [
        ("Leaderboard (original units; sorted by mean backtest MAE)", lead_head, lead),
        (
            "Prediction intervals (conformal, from backtest residuals; the champion and every "
            "reference)",
            iv_head,
            iv_rows,
        ),
        ("Split periods", per_head, per),
        ("Fits: backtest folds, the refit before test, the served refit", fit_head, fit_rows),
        ("Settings used", set_head, settings),
        ("Feature profile (last timestep of each window, original units)", prof_head, prof),
    ]


def _steps_note(r: ReportInput) -> str:
    steps = list(r.steps)
    what = (
        f"Each origin forecasts steps {steps[0]} to {steps[-1]}; every metric is the mean over "
        "the steps (MAE by step below)."
        if len(steps) > 1
        else f"Each origin forecasts {_step_word(steps[0], r.frequency)}."
    )
    n_test = len(r.test_truth)
    small = (
        f" The test period has only {n_test} origins: an 80 % coverage measured on them has a "
        f"standard error of about {100 * (0.16 / max(n_test, 1)) ** 0.5:.1f} points."
        if n_test < 200
        else ""
    )
    return (
        what + " Prediction intervals are split-conformal: quantiles of each model's own "
        "signed backtest residuals per step (per step and calendar group where that scored "
        "better on the backtest), scored on later folds and on test; the served intervals "
        "also use the test period's residuals." + small
    )


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f} %"


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def render(r: ReportInput) -> Report:
    figs = figures(r)
    verdict = f"Champion: {r.champion}." if r.champion else "No champion promoted."
    headline = [f"{verdict} {r.champion_reason}."]
    shown = r.champion or next(
        (e["name"] for e in r.board if e["kind"] in ("deep", "ensemble")), None
    )
    if shown:
        headline += claims(r.board, shown)
    broken = [f"{e['name']} ({e['collapsed']})" for e in r.board if e.get("collapsed")]
    if broken:
        headline.append("Training collapsed, so never chosen: " + ", ".join(broken) + ".")
    note = (
        "Metrics are in original units. MASE divides by the persistence forecast's MAE on the "
        "same rows. WAPE = 100 * sum|error| / sum|actual|: unlike MAPE it stays defined when "
        "some actual values are 0. Backtest: the mean over expanding-window folds, each "
        "model fitted on the windows before a fold and scored on the fold (the newest fold "
        "is the validation split). Test: every model refitted on all windows before the test "
        "period, for the epochs its folds early-stopped at. The champion is chosen on the "
        "backtest only and must beat every reference there; test figures are reported, never "
        "used to choose. " + _steps_note(r)
    )
    title = f"seqcast run {r.run_id}: {r.dataset}"
    md = [f"# {title}", ""]
    md += [f"- {line}" for line in headline]
    md += ["", note]
    parts_html = [
        f"<h1>{html.escape(title)}</h1>",
        "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in headline) + "</ul>",
        f"<p>{html.escape(note)}</p>",
    ]
    for title, head, rows in _tables(r):
        md += ["", f"## {title}", "", _md_table(head, rows)]
        parts_html += [f"<h2>{html.escape(title)}</h2>", _html_table(head, rows)]
    captions = {
        "actual_vs_predicted.png": "Actual vs predicted, test period",
        "backtest_folds.png": "Backtest: error per fold",
        "learning_curves.png": "Learning curves",
        "residuals.png": "Residuals",
        "mae_by_step.png": "MAE by forecast step",
        "mae_by_hour.png": "MAE by hour of day",
    }
    for name, caption in captions.items():
        if name not in figs:
            continue
        md += ["", f"## {caption}", "", f"![{caption}](figures/{name})"]
        b64 = base64.b64encode(figs[name]).decode()
        parts_html += [
            f"<h2>{caption}</h2>",
            f'<img alt="{caption}" src="data:image/png;base64,{b64}">',
        ]
    provenance = json.dumps(
        {"data_fingerprint": r.fingerprint, "versions": r.versions, "config as given": r.config},
        indent=2,
        default=str,
    )
    md += ["", "## Config, data fingerprint and versions", "", "```json", provenance, "```", ""]
    parts_html += [
        "<h2>Config, data fingerprint and versions</h2>",
        f"<pre>{html.escape(provenance)}</pre>",
    ]
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
        "font-size:12px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
        "td:first-child,td:nth-child(2){text-align:left}img{max-width:100%}"
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(r.run_id)}</title>"
        f"<style>{style}</style></head><body>{''.join(parts_html)}</body></html>\n"
    )
    return Report("\n".join(md), page, figs)
