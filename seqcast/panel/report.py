"""The report of a panel train: one page for every series, summarised across them.

What it shows: the series used and those left out (with reasons and lines), the leaderboard
(mean and median MASE over series on the backtest and the test, sMAPE, how many series the
champion beats each candidate on), the champion's interval coverage, the distribution of the
champion's per-series test MASE beside the best reference's, the worst series, and a picker
that draws any series' history, test actuals, forecast and interval (drawn in the page from
the data it embeds; at most :data:`PICKER_SERIES` series, the worst first).
"""

from __future__ import annotations

import base64
import html
import io
import json

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
from matplotlib import pyplot as plt

PICKER_SERIES = 400
HISTORY_SHOWN = 3  # horizons of history before the test drawn in the picker


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def distribution_png(scores: pd.DataFrame, champion: str, reference: str | None) -> str:
    """Histogram of per-series test MASE: the champion and the best reference."""
    test = scores[(scores["split"] == "test") & scores["candidate"].isin([champion, reference])]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    top = float(np.nanquantile(test["mase"], 0.99)) if len(test) else 1.0
    bins = np.linspace(0, max(top, 1e-9), 40).tolist()
    for name, color in ((champion, "#1f77b4"), (reference, "#ff7f0e")):
        if name is None:
            continue
        v = test.loc[test["candidate"] == name, "mase"].clip(upper=top)
        ax.hist(v, bins=bins, alpha=0.55, color=color, label=f"{name} (mean {v.mean():.3f})")
    ax.set_xlabel("test MASE of a series (values above the 99th percentile drawn at it)")
    ax.set_ylabel("series")
    ax.legend(frameon=False)
    return _png(fig)


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(f'{v:.3f}' if isinstance(v, float) else str(v))}</td>" for v in row
        )
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


PICKER_JS = """
const data = JSON.parse(document.getElementById('series-data').textContent);
const pick = document.getElementById('pick');
function draw(id) {
  const s = data[id]; const svg = document.getElementById('plot');
  const W = 760, H = 300, P = 40;
  const all = s.history.concat(s.actual, s.forecast, s.lower, s.upper).filter(v => v !== null);
  const lo = Math.min(...all), hi = Math.max(...all), n = s.history.length + s.forecast.length;
  const x = i => P + (W - 2 * P) * i / Math.max(n - 1, 1);
  const y = v => H - P - (H - 2 * P) * (v - lo) / Math.max(hi - lo, 1e-9);
  const line = (vals, off) => vals.map((v, i) => v === null ? '' : `${x(i + off)},${y(v)}`)
    .filter(p => p).join(' ');
  const h0 = s.history.length;
  const last = h0 ? [s.history[h0 - 1]] : [];  // the test lines start at the last known row
  const band = s.upper.map((v, i) => `${x(i + h0)},${y(v)}`).concat(
    s.lower.map((v, i) => `${x(i + h0)},${y(v)}`).reverse()).join(' ');
  svg.innerHTML = `<polygon points="${band}" fill="#1f77b4" opacity="0.18"/>` +
    `<polyline points="${line(s.history, 0)}" fill="none" stroke="#333"/>` +
    `<polyline points="${line(last.concat(s.actual), h0 - last.length)}" fill="none"
      stroke="#333" stroke-dasharray="4 3"/>` +
    `<polyline points="${line(last.concat(s.forecast), h0 - last.length)}" fill="none"
      stroke="#1f77b4" stroke-width="2"/>` +
    `<text x="${P}" y="16" font-size="12">${id}: test MASE ${s.mase.toFixed(3)}` +
    ` (range ${lo.toPrecision(4)} to ${hi.toPrecision(4)})</text>`;
}
pick.addEventListener('change', e => draw(e.target.value));
draw(pick.value);
"""


def picker_data(
    bounded: pd.DataFrame,
    history: dict[str, np.ndarray],
    order: list[str],
    champion: str,
    level: int,
    test_mase: dict[str, float],
    horizon: int,
) -> dict:
    """Per series (in ``order``, at most PICKER_SERIES): the history shown, the test actuals,
    the champion's test forecast and its ``level`` interval."""
    test = bounded[bounded["evaluation"] == "test"].sort_values(["series", "start", "step"])
    out = {}
    by = dict(tuple(test.groupby("series", sort=False)))
    for sid in order[:PICKER_SERIES]:
        g = by.get(sid)
        if g is None:
            continue
        start = int(g["start"].min())
        y = history[sid]
        shown = y[max(0, start - HISTORY_SHOWN * horizon) : start]

        def clean(v) -> list:
            return [None if not np.isfinite(x) else round(float(x), 4) for x in v]

        out[sid] = {
            "history": clean(shown),
            "actual": clean(g["actual"].to_numpy()),
            "forecast": clean(g[champion].to_numpy()),
            "lower": clean(g[f"lower_{level}"].to_numpy()),
            "upper": clean(g[f"upper_{level}"].to_numpy()),
            "mase": float(test_mase.get(sid, float("nan"))),
        }
    return out


def page(
    title: str,
    facts: list[str],
    leaderboard: pd.DataFrame,
    left_out: pd.DataFrame,
    worst: pd.DataFrame,
    distribution: str,
    picker: dict,
    notes: list[str],
) -> str:
    options = "".join(f'<option value="{html.escape(s)}">{html.escape(s)}</option>' for s in picker)
    left = _table(left_out) if len(left_out) else "<p>None: every series in the file was used.</p>"
    payload = json.dumps(picker).replace("</", "<\\/")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1000px}}
table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;
text-align:right}}th{{background:#f3f3f3}}td:first-child{{text-align:left}}</style></head><body>
<h1>{html.escape(title)}</h1>
<ul>{"".join(f"<li>{html.escape(f)}</li>" for f in facts)}</ul>
<h2>Leaderboard (mean MASE over series; chosen on the backtest)</h2>{_table(leaderboard)}
<h2>Per-series test MASE</h2><img alt="distribution of per-series test MASE"
src="data:image/png;base64,{distribution}">
<h2>Worst series (champion's test MASE)</h2>{_table(worst)}
<h2>One series</h2><p>Series: <select id="pick">{options}</select>
(the {len(picker)} worst first; dashed: the test actuals; band: the champion's interval)</p>
<svg id="plot" width="760" height="300" role="img"></svg>
<h2>Series left out</h2>{left}
<h2>Notes</h2><ul>{"".join(f"<li>{html.escape(n)}</li>" for n in notes) or "<li>none</li>"}</ul>
<script type="application/json" id="series-data">{payload}</script>
<script>{PICKER_JS}</script></body></html>"""
