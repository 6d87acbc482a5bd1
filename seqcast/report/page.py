"""The evaluation report: Markdown (figures as PNG files beside it) and self-contained HTML
(figures embedded). Pure: returns text and PNG bytes; the caller writes them."""

from __future__ import annotations

import base64
import html
import json

from seqcast.evaluation.leaderboard import claims
from seqcast.evaluation.selection import weights_text
from seqcast.numbers import decimals_for, figure, number_text, row_numbers
from seqcast.report.figures import close_up_start, figures, step_word
from seqcast.report.formats import time_text
from seqcast.report.inputs import Report, ReportInput
from seqcast.report.trust import trust_summary
from seqcast.report.zoom import zoomable_test_period

__all__ = ["Report", "ReportInput", "render"]


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return figure(v)
    return str(v)


def _columns_at_one_precision(rows: list[list], first: int, one_fold: bool) -> list[list[str]]:
    """The leaderboard's rows with every number column (from ``first``) at its column's
    precision (``seqcast.numbers``: 1.570 beside 1.634, not 1.57); ``rows`` hold
    [rank, name, kind, folds text, numbers...]; the folds text goes after the backtest MAE
    unless there is one fold."""
    width = len(rows[0]) if rows else 0
    columns = [[r[c] for r in rows] for c in range(first, width)]
    texts = [[number_text(v, decimals_for(col)) for v in col] for col in columns]
    out = []
    for j, r in enumerate(rows):
        cells = [t[j] for t in texts]
        head = [*r[:3], cells[0]] + ([] if one_fold else [r[3]])
        out.append([*head, *cells[1:]])
    return out


ONE_FOLD_NOTE = (
    "The backtest has one fold: its MAE is the backtest's mean, the fold's MAE and the "
    "validation MAE at once (val is the newest fold's MAE), so one column shows all three."
)


def _tables(r: ReportInput) -> list[tuple[str, list[str], list[list[str]], str]]:
    """Each table of the report: title, head, rows and a note to print under it ('' none)."""
    one_fold = len([f for f in r.fits if f.startswith("fold-")]) == 1
    scored_head = (
        ["backtest MAE = fold-1 = val MAE"]
        if one_fold
        else ["backtest MAE", "MAE per fold", "val MAE"]
    )
    lead_head = [
        "rank",
        "model",
        "kind",
        *scored_head,
        *(f"test {m}" for m in ("MAE", "RMSE", "R²", "MASE", "WAPE %")),
        "fit seconds",
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
        m = e["test"] or {}
        numbers = [  # each a column read at one precision (below)
            bt.get("mae"),
            *([] if one_fold else [(e["val"] or {}).get("mae")]),
            *(m.get(k) for k in ("mae", "rmse", "r2", "mase", "wape")),
            e.get("train_seconds"),
        ]
        folds = " / ".join(_fmt(v) for v in bt.get("fold_mae", [])) or "-"
        lead.append([str(i), name, e["kind"], folds, *numbers])
    lead = _columns_at_one_precision(lead, first=4, one_fold=one_fold)
    prof_head = [
        "feature",
        *(f"{s} {k}" for s in ("train", "val", "test") for k in ("mean", "std", "min", "max")),
        "drift",
    ]
    prof = [
        [
            p["feature"],
            *row_numbers(
                [p[s][k] for s in ("train", "val", "test") for k in ("mean", "std", "min", "max")]
            ),
            p["drift"] or "-",
        ]
        for p in r.profile
    ]

    def when(text: str) -> str:
        return time_text(text, r.frequency)

    per_head = ["split", "rows", "first target", "last target"]
    per = [
        [s, str(p["rows"]), when(p["target_start"]), when(p["target_end"])]
        for s, p in r.periods.items()
    ]
    fit_head = ["fit", "trained on (targets)", "early stopping on", "scored on", "windows scored"]

    def span(p: dict | None) -> str:
        if not p:
            return "-"
        return f"{when(p['target_start'])} to {when(p['target_end'])} ({p['windows']})"

    fixed = "no (fixed epochs)"
    if r.refit_ema > 0:
        fixed = f"no (fixed epochs; weights averaged, momentum up to {r.refit_ema:g})"
    fold_fits = [name for name, f in r.fits.items() if f["early_stop"]]

    def refit(name: str) -> str:
        """A refit's line: fixed epochs, and with warm-started refits where it starts from."""
        if not r.refit_warm or not fold_fits:
            return fixed
        before = fold_fits[-1] if name == "pretest" else "pretest"
        return f"{fixed[:-1]}; from {before}'s weights, {r.refit_warm:g} of the epochs)"

    fit_rows = [
        [
            name,
            span(f["train"]),
            span(f["early_stop"]) if f["early_stop"] else refit(name),
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
        iv_rows.append([e["name"], iv["method"], *_interval_cells(iv)])
        if online := iv.get("online"):  # no pinball: the online report has none ("-")
            how = f"rate {online['rate']:g} from {iv['method']}"
            iv_rows.append([f"{e['name']}, online", how, *_interval_cells(online)])
    set_head = ["setting", "value used", "from"]
    settings = [list(row) for row in r.settings]
    return [
        (
            "Leaderboard (original units; sorted by mean backtest MAE)",
            lead_head,
            lead,
            ONE_FOLD_NOTE if one_fold else "",
        ),
        (
            "Prediction intervals (conformal, from backtest residuals; the champion and every "
            "reference)",
            iv_head,
            iv_rows,
            online_note(r.board, r.champion),
        ),
        ("Split periods", per_head, per, ""),
        ("Fits: backtest folds, the refit before test, the served refit", fit_head, fit_rows, ""),
        ("Settings used", set_head, settings, ""),
        ("Feature profile (last timestep of each window, original units)", prof_head, prof, ""),
    ]


def _interval_cells(report: dict) -> list[str]:
    """An interval report's cells, backtest then test: coverage 80 % and 95 %, width and
    interval score 80 %, pinball."""
    cells = []
    for split in ("backtest", "test"):
        s = report.get(split) or {}
        first = s.get("80") or {}
        cells += [
            _pct(first.get("coverage")),
            _pct((s.get("95") or {}).get("coverage")),
            _fmt(first.get("width")),
            _fmt(first.get("winkler")),
            _fmt(s.get("pinball")),
        ]
    return cells


def online_note(board: list[dict], champion: str | None) -> str:
    """How the champion's online intervals were chosen and how far from nominal their worst
    step and calendar group fell on test, beside the static ones."""
    entry = next((e for e in board if e["name"] == champion), None)
    iv = (entry or {}).get("intervals") or {}
    online = iv.get("online")
    if not online:
        return ""

    def worst(scores: dict | None, level: str, nominal: float) -> str:
        s = (scores or {}).get(level) or {}
        if not s:
            return "-"
        step = max(abs(c - nominal) for c in s["coverage_by_step"])
        text = f"{100 * s['coverage']:.1f} % (worst step {100 * step:.1f} points off"
        if s.get("coverage_by_group"):
            group = max(abs(c - nominal) for c in s["coverage_by_group"].values())
            text += f", worst calendar group {100 * group:.1f}"
        return text + ")"

    rate = online["rate"]
    how = (
        f"The champion's served intervals adapt online as actuals arrive (rate {rate:g}, "
        "chosen on the backtest: each fold scored origin by origin from the earlier folds' "
        "offsets, every rate in " + ", ".join(online["by_rate"]) + "; 0 keeps them static)."
        if rate
        else "Online adaptation did not score better on the backtest than the static offsets "
        "(rate 0 of " + ", ".join(online["by_rate"]) + "), so the served intervals stay static."
    )
    static, adapted = iv.get("test"), online.get("test")
    return (
        f"{how} Test 80 % coverage, static: {worst(static, '80', 0.8)}; online, each origin "
        f"from the actuals before it: {worst(adapted, '80', 0.8)}."
    )


def _steps_note(r: ReportInput) -> str:
    steps = list(r.steps)
    what = (
        f"Each origin forecasts steps {steps[0]} to {steps[-1]}; every metric is the mean over "
        "the steps (MAE by step below)."
        if len(steps) > 1
        else f"Each origin forecasts {step_word(steps[0], r.frequency)}."
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


def clipped_note(board: list[dict]) -> str:
    """How many forecasts each candidate made below the target's minimum (the spec's ``min``),
    which were raised to it before scoring, as they are when served; empty when none."""
    counts = [(e["name"], e["clipped"]) for e in board if e.get("clipped")]
    if not counts:
        return ""
    listed = ", ".join(f"{name} {n:,}" for name, n in counts)
    return (
        "Forecasts below the target's minimum were raised to it before scoring, as served: "
        f"{listed} (forecasts of every step, backtest folds and test)."
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


def nested_lines(nested: list[dict]) -> list[str]:
    """The nested check in words: what the champion rule promotes when it sees half the folds,
    and how that scores on the others beside the reference the same folds pick."""
    lines = []
    for row in nested:
        chosen, scored = ", ".join(row["chosen_on"]), ", ".join(row["scored_on"])
        if row.get("champion") is None:
            lines.append(f"Nested check: chosen on {chosen} only, the rule promotes nothing.")
            continue
        line = (
            f"Nested check: chosen on {chosen} only, the rule promotes {row['champion']}; "
            f"on {scored}, which it never saw, it scores MAE {figure(row['champion_mae'])}"
        )
        if "reference" in row:
            verdict = "beating" if row["champion_mae"] < row["reference_mae"] else "losing to"
            line += (
                f", {verdict} {figure(row['reference_mae'])} for the reference the same folds "
                f"pick ({row['reference']}); the best reference there in hindsight: "
                f"{row['best_reference']} {figure(row['best_reference_mae'])}"
            )
        lines.append(line + ".")
    return lines


def render(r: ReportInput) -> Report:
    figs = figures(r)
    verdict = f"Champion: {r.champion}." if r.champion else "No champion promoted."
    if r.champion and r.champion_policy == "fallback":
        verdict = f"Champion (fallback, no deep model qualified): {r.champion}."
    headline = [f"{verdict} {r.champion_reason}."]
    shown = r.champion or next(
        (e["name"] for e in r.board if e["kind"] in ("deep", "ensemble")), None
    )
    if shown:
        headline += claims(r.board, shown)
    if r.transform_note:
        headline.append(r.transform_note[0].upper() + r.transform_note[1:] + ".")
    headline += nested_lines(r.nested)
    broken = [f"{e['name']} ({e['collapsed']})" for e in r.board if e.get("collapsed")]
    if broken:
        headline.append("Training collapsed, so never chosen: " + ", ".join(broken) + ".")
    if clipped := clipped_note(r.board):
        headline.append(clipped)
    note = (
        "Metrics are in original units. MASE divides by the persistence forecast's MAE on the "
        "same rows. WAPE = 100 * sum|error| / sum|actual|: unlike MAPE it stays defined when "
        "some actual values are 0. Backtest: the mean over expanding-window folds, each "
        "model fitted on the windows before a fold and scored on the fold (the split periods "
        "below give each fold's dates). Test: every model refitted on all windows before the test "
        "period, for the epochs its folds early-stopped at. The champion is chosen on the "
        "backtest only and must beat every reference there; test figures are reported, never "
        "used to choose. " + _steps_note(r)
    )
    title = f"seqcast run {r.run_id}: {r.dataset}"
    glance = trust_summary(r)
    md = [f"# {title}", "", "## At a glance", ""]
    md += [f"- {line}" for line in glance.lines]
    md += [f"- **Warning:** {line}" for line in glance.warnings]
    md += ["", "## How the champion was chosen", ""]
    md += [f"- {line}" for line in headline]
    md += ["", note]
    glance_html = "".join(f"<li>{html.escape(line)}</li>" for line in glance.lines)
    glance_html += "".join(
        f"<li class='warning'><b>Warning:</b> {html.escape(line)}</li>" for line in glance.warnings
    )
    parts_html = [
        f"<h1>{html.escape(title)}</h1>",
        f"<div class='glance'><h2>At a glance</h2><ul>{glance_html}</ul></div>",
        "<h2>How the champion was chosen</h2>",
        "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in headline) + "</ul>",
        f"<p>{html.escape(note)}</p>",
    ]
    for title, head, rows, under in _tables(r):
        md += ["", f"## {title}", "", _md_table(head, rows)]
        parts_html += [f"<h2>{html.escape(title)}</h2>", _html_table(head, rows)]
        if under:
            md += ["", under]
            parts_html.append(f"<p>{html.escape(under)}</p>")
    captions = {
        "actual_vs_predicted.png": "Actual vs predicted, test period",
        "test_close_up.png": "Actual vs the champion, test period: the close-up",
        "backtest_folds.png": "Backtest: error per fold",
        "learning_curves.png": "Learning curves",
        "residuals.png": "Residuals",
        "mae_by_step.png": "MAE by forecast step",
        "mae_by_hour.png": "MAE by hour of day",
    }
    if "test_close_up.png" in figs:
        words = close_up_start(r.test_times[:, 0], r.frequency)[1]
        captions["test_close_up.png"] = f"Actual vs the champion, test period: {words}"
    for name, caption in captions.items():
        if name not in figs:
            continue
        md += ["", f"## {caption}", "", f"![{caption}](figures/{name})"]
        b64 = base64.b64encode(figs[name]).decode()
        parts_html += [
            f"<h2>{caption}</h2>",
            f'<img alt="{caption}" src="data:image/png;base64,{b64}">',
        ]
        if name == "actual_vs_predicted.png" and (zoom := zoomable_test_period(r)):
            parts_html += ["<h2>Test period, to zoom into</h2>", zoom]
    provenance = json.dumps(
        {"data_fingerprint": r.fingerprint, "versions": r.versions, "config as given": r.config},
        indent=2,
        default=str,
    )
    where = (
        "The config as given, the data fingerprint and the library versions, with every fit's "
        "periods and the metrics, are in the run's manifest.json"
    )
    md += [
        "",
        "## Config, data fingerprint and versions",
        "",
        where.replace("manifest.json", "[manifest.json](manifest.json)") + ".",
        "",
    ]
    parts_html += [
        "<h2>Config, data fingerprint and versions</h2>",
        f"<details><summary>{html.escape(where)}; shown here on a click.</summary>"
        f"<pre>{html.escape(provenance)}</pre></details>",
    ]
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
        "font-size:12px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
        "td:first-child,td:nth-child(2){text-align:left}img{max-width:100%}"
        ".glance{border:1px solid #999;background:#f6f6f6;padding:0 1em;font-size:15px}"
        ".warning{color:#a00}"
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(r.run_id)}</title>"
        f"<style>{style}</style></head><body>{''.join(parts_html)}</body></html>\n"
    )
    return Report("\n".join(md), page, figs)
