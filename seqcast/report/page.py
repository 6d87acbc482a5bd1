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
    test_times: np.ndarray
    test_truth: np.ndarray
    test_predictions: dict[str, np.ndarray]  # name -> (samples,) original units
    histories: dict[str, dict[str, list[float]]]
    profile: list[dict]
    config: dict
    fingerprint: dict
    versions: dict
    units: str
    loss_label: str  # what the learning curves measure, e.g. "MSE of the scaled target"
    settings: list[tuple[str, str, str]]  # (setting, value used, where it came from)
    refit_ema: float = 0.0  # refits keep a moving average of their weights (0: off)


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
    ax.plot(r.test_times, r.test_truth, label="actual", color="black", linewidth=1)
    for name in shown:
        ax.plot(r.test_times, r.test_predictions[name], label=name, linewidth=1, alpha=0.8)
    ax.set_title(f"{r.dataset}: test period, actual vs predicted")
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
        resid = r.test_predictions[name] - r.test_truth
        varied = np.ptp(resid) > 1e-6 * max(1.0, float(np.abs(resid).max()))
        axes[0].hist(resid, bins=40 if varied else 1, alpha=0.6, label=name)
        axes[1].plot(r.test_times, resid, linewidth=0.8, label=name, alpha=0.8)
    axes[0].set_title("test residuals, distribution")
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
    return out


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
    set_head = ["setting", "value used", "from"]
    settings = [list(row) for row in r.settings]
    return [
        ("Leaderboard (original units; sorted by mean backtest MAE)", lead_head, lead),
        ("Split periods", per_head, per),
        ("Fits: backtest folds, the refit before test, the served refit", fit_head, fit_rows),
        ("Settings used", set_head, settings),
        ("Feature profile (last timestep of each window, original units)", prof_head, prof),
    ]


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
        "used to choose."
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
    }
    for name, caption in captions.items():
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
