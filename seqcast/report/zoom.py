"""A zoomable time-series figure for the HTML report, in one piece of inline SVG and a few lines
of script: no library, no network, so the page still works offline as one file. The lines are
drawn in Python (the figure reads without script); the script only zooms and pans along time
(wheel, drag, double-click to reset) and names the time and each value under the pointer."""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd

from seqcast.numbers import decimals_for, number_text
from seqcast.report.figures import shown_models, step_word
from seqcast.report.formats import time_text
from seqcast.report.inputs import ReportInput

HEIGHT = 1000  # the plot's y units: the data's range maps onto 0 (top) .. HEIGHT (bottom)
COLOURS = ("#000000", "#1f77b4", "#ff7f0e", "#2ca02c")

SCRIPT = """(function(){
var fig=document.currentScript.parentElement,svg=fig.querySelector('svg.plot');
var d=JSON.parse(fig.querySelector('script.data').textContent),n=d.times.length;
var span=fig.querySelector('.span'),read=fig.querySelector('.read');
var cur=fig.querySelector('.cursor'),ticks=fig.querySelectorAll('.tick');
var x0=0,w=Math.max(n-1,1),drag=null;
function at(e){var r=svg.getBoundingClientRect();return (e.clientX-r.left)/r.width;}
function show(){svg.setAttribute('viewBox',x0+' 0 '+w+' '+d.height);
 span.textContent=d.times[Math.round(x0)]+' to '+d.times[Math.round(x0+w)];
 ticks.forEach(function(t,k){t.textContent=d.times[Math.round(x0+w*k/(ticks.length-1))];});}
svg.addEventListener('wheel',function(e){e.preventDefault();var f=at(e),c=x0+f*w;
 w=Math.min(Math.max(n-1,1),Math.max(4,w*(e.deltaY>0?1.25:0.8)));
 x0=Math.min(Math.max(0,c-f*w),Math.max(n-1,1)-w);show();},{passive:false});
svg.addEventListener('mousedown',function(e){e.preventDefault();drag=[e.clientX,x0];});
window.addEventListener('mouseup',function(){drag=null;});
svg.addEventListener('mousemove',function(e){var r=svg.getBoundingClientRect();
 if(drag){x0=Math.min(Math.max(0,drag[1]-(e.clientX-drag[0])/r.width*w),Math.max(n-1,1)-w);show();}
 var i=Math.min(n-1,Math.max(0,Math.round(x0+at(e)*w)));
 cur.setAttribute('x1',i);cur.setAttribute('x2',i);
 read.textContent=d.times[i]+': '+d.names.map(function(k){return k+' '+d.values[k][i];})
  .join(', ');});
svg.addEventListener('dblclick',function(){x0=0;w=Math.max(n-1,1);show();});
show();})();"""


def _points(values: np.ndarray, low: float, high: float) -> str:
    """``values`` as SVG points: x is the window's index, y the value with ``high`` at 0 and
    ``low`` at ``HEIGHT``."""
    y = (high - values) / (high - low) * HEIGHT if high > low else np.full(len(values), HEIGHT / 2)
    return " ".join(f"{i},{v:.1f}" for i, v in enumerate(y))


TIME_TICKS = 5  # time labels under the plot: both ends and three between, kept on zoom


def zoomable_figure(
    title: str,
    times: np.ndarray,
    lines: dict[str, np.ndarray],
    frequency: str,
    units: str,
    band: tuple[str, np.ndarray, np.ndarray] | None = None,
    whole: bool = False,
) -> str:
    """The HTML of one zoomable figure: ``lines`` (name -> (samples,) values, the first drawn
    black) over ``times`` (samples,), with an optional ``band`` (label, lower, upper) behind
    them; y spans every value drawn, labelled at its bottom, middle and top in ``units``, and
    time along the bottom at :data:`TIME_TICKS` places. Every number (the labels, the values
    named under the pointer) is written at one precision (``numbers.decimals_for``; whole
    numbers for a count, ``whole``)."""
    drawn = [*lines.values(), *(band[1:] if band else ())]
    low = float(min(np.min(v) for v in drawn))
    high = float(max(np.max(v) for v in drawn))
    decimals = decimals_for(np.concatenate([np.asarray(v, dtype=float) for v in drawn]), whole)
    n = len(times)
    labels = [time_text(str(t), frequency) for t in pd.DatetimeIndex(np.asarray(times))]
    parts = []
    if band:
        upper = _points(np.asarray(band[2]), low, high).split()
        lower = _points(np.asarray(band[1]), low, high).split()[::-1]
        parts.append(f'<polygon points="{" ".join(upper + lower)}" fill="#1f77b4" opacity="0.2"/>')
    for (name, values), colour in zip(lines.items(), COLOURS, strict=False):
        parts.append(
            f'<polyline points="{_points(np.asarray(values), low, high)}" fill="none" '
            f'stroke="{colour}" stroke-width="1.2" vector-effect="non-scaling-stroke">'
            f"<title>{html.escape(name)}</title></polyline>"
        )
    parts.append(
        f'<line class="cursor" x1="0" x2="0" y1="0" y2="{HEIGHT}" stroke="#888" '
        'stroke-width="1" vector-effect="non-scaling-stroke"/>'
    )
    data = {
        "height": HEIGHT,
        "times": labels,
        "names": list(lines),
        "values": {
            k: [number_text(float(x), decimals) for x in np.asarray(v)] for k, v in lines.items()
        },
    }
    legend = " ".join(
        f'<span style="color:{c}">&#9644; {html.escape(k)}</span>'
        for k, c in zip(lines, COLOURS, strict=False)
    )
    if band:
        legend += f' <span style="color:#1f77b4;opacity:.5">&#9632; {html.escape(band[0])}</span>'
    ticks = "".join(
        f'<div style="position:absolute;top:{top}%;right:4px">{number_text(value, decimals)}</div>'
        for top, value in ((0, high), (48, (low + high) / 2), (94, low))
    )
    at = [round((n - 1) * k / (TIME_TICKS - 1)) for k in range(TIME_TICKS)]
    time_ticks = "".join(
        f'<span class="tick" style="flex:1;text-align:{align}">{html.escape(labels[i])}</span>'
        for i, align in zip(at, ("left", "center", "center", "center", "right"), strict=True)
    )
    return (
        '<figure class="zoomable">'
        f"<figcaption>{html.escape(title)}: wheel to zoom, drag to pan, double-click to reset. "
        f'Showing <span class="span"></span>.</figcaption>'
        f'<div style="display:flex"><div style="position:relative;width:70px;font-size:11px"'
        f' title="{html.escape(units)}">{ticks}</div>'
        f'<svg class="plot" viewBox="0 0 {max(n - 1, 1)} {HEIGHT}" preserveAspectRatio="none" '
        f'style="width:100%;height:340px;border:1px solid #ccc;cursor:crosshair">'
        f"{''.join(parts)}</svg></div>"
        '<div class="time-axis" style="display:flex;margin-left:70px;font-size:11px">'
        f"{time_ticks}</div>"
        f'<div style="font-size:12px">{legend} ({html.escape(units)})</div>'
        '<div class="read" style="font-size:12px;min-height:1.4em"></div>'
        f'<script type="application/json" class="data">{_json(data)}</script>'
        f"<script>{SCRIPT}</script></figure>"
    )


def _json(data: dict) -> str:
    """JSON safe inside a <script> element: no ``</`` can close it early."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def zoomable_test_period(r: ReportInput) -> str | None:
    """The test period's first step as a zoomable figure: actual, the champion with its 80 %
    interval (the narrowest level without one) and the best reference. None without a
    champion's test predictions."""
    if r.champion not in r.test_predictions:
        return None
    lines = {"actual": r.test_truth[:, 0]}
    lines |= {name: r.test_predictions[name][:, 0] for name in shown_models(r)}
    band = None
    if r.test_bounds:
        level = "80" if "80" in r.test_bounds else min(r.test_bounds, key=float)
        lo, hi = r.test_bounds[level]
        band = (f"{r.champion}: {level} % interval", lo[:, 0], hi[:, 0])
    title = f"{r.dataset}: test period, actual vs predicted {step_word(r.steps[0], r.frequency)}"
    return zoomable_figure(title, r.test_times[:, 0], lines, r.frequency, r.units, band, r.whole)
