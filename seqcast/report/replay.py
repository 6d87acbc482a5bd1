"""The replay report: every policy replayed on one span side by side (pure: figures in,
text and PNG out). A table of live MAE (the mean over steps, and at step 2), coverage,
actions and compute per policy, and a chart of live MAE by day per policy against the
promise and the degradation limit, with each action marked."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import matplotlib

from seqcast.numbers import figure

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from seqcast.report.figures import time_axis
from seqcast.report.page import _html_table, _md_table


@dataclass(frozen=True)
class ReplayPage:
    markdown: str
    html: str
    png: bytes


def _fmt(v, digits: int = 4) -> str:
    return "-" if v is None else f"{v:.{digits}g}"


def rows_of(policies: dict[str, tuple[dict, pd.Series]]) -> tuple[list[str], list[list[str]]]:
    """The comparison table: one row per policy."""
    head = [
        "policy",
        "live MAE (mean over steps)",
        "live MAE step 2",
        "80 % coverage, static / online",
        "95 % coverage, static / online",
        "worst step, 80 % (points off), static / online",
        "worst hour, 80 % (points off), static / online",
        "scored",
        "refits",
        "refit minutes",
        "first training minutes",
        "forecast seconds",
    ]
    rows = []
    for name, (doc, _) in policies.items():

        def pair(level: str, doc: dict = doc) -> str:
            static, online = doc.get(f"coverage_{level}"), doc.get(f"coverage_online_{level}")
            text = "-" if static is None else f"{100 * static:.1f} %"
            return text if online is None else f"{text} / {100 * online:.1f} %"

        def worst(key: str, doc: dict = doc) -> str:
            w = doc.get(key)
            return "-" if not w else f"{100 * w['static']:.1f} / {100 * w['online']:.1f}"

        rows.append(
            [
                name,
                _fmt(doc["live_mae"]),
                _fmt(doc.get("live_mae_step2")),
                pair("80"),
                pair("95"),
                worst("worst_step_80"),
                worst("worst_hour_80"),
                str(doc["scored"]),
                str(doc["refits"]),
                f"{doc['seconds']['actions'] / 60:.1f}",
                f"{doc['seconds']['train'] / 60:.1f}",
                f"{doc['seconds']['forecast']:.0f}",
            ]
        )
    return head, rows


def chart(policies: dict[str, tuple[dict, pd.Series]]) -> bytes:
    fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
    promise, fault = None, None
    for i, (name, (doc, daily)) in enumerate(policies.items()):
        color = f"C{i}"
        if len(daily):
            ax.plot(daily.index, daily.to_numpy(), color=color, linewidth=1.4, label=name)
        for a in doc["actions"]:
            ax.axvline(pd.Timestamp(a["time"]), color=color, alpha=0.35, linestyle=":")
        promise = doc["promise_mae"]
        fault = doc.get("fault")
    if promise is not None:
        ax.axhline(promise, color="black", linewidth=1, label="promised MAE")
        factor = next(iter(policies.values()))[0]["live"]["factor"]
        ax.axhline(
            factor * promise, color="black", linestyle="--", linewidth=1,
            label=f"degradation limit ({factor:g}x)",
        )  # fmt: skip
    if fault:
        ax.axvline(pd.Timestamp(fault["start"]), color="red", linewidth=1, label="fault starts")
    ax.set_ylabel("live MAE by day (mean over steps)")
    ax.set_title("live MAE per policy; dotted lines: each policy's refits")
    time_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def _live_text(docs: list[dict], names: list[str]) -> str:
    """How live quality was judged: one sentence when every policy used the same live
    settings, else each policy's window and factor."""

    def judged(live: dict) -> str:
        return (
            f"over the newest {live['window']} periods, degraded above {live['factor']:g}x "
            f"the promise (at least {live['min_scored']} scored), with "
            f"{live['cooldown_hours']:g} h between degradation events"
        )

    if all(d["live"] == docs[0]["live"] for d in docs):
        return f"live quality is judged {judged(docs[0]['live'])}."
    each = "; ".join(f"{n}: {judged(d['live'])}" for n, d in zip(names, docs, strict=True))
    return f"live quality is judged per policy ({each})."


def replay_report(name: str, policies: dict[str, tuple[dict, pd.Series]]) -> ReplayPage:
    """The page for the replay folder ``name``: ``policies`` maps each policy to its
    ``summary.json`` and its live MAE by day (``evaluation.replay.daily_mae``)."""
    first = next(iter(policies.values()))[0]
    head, rows = rows_of(policies)
    png = chart(policies)
    fault = first.get("fault")
    intro = [
        f"Replay of {first['dataset']} on {first['source']}, forecast times {first['start']} .. "
        f"{first['end']} ({first['forecast_times']} forecasts of every step), each policy "
        "starting from the same training on the rows before the start.",
        f"The champion's backtest promised a mean MAE of {figure(first['promise_mae'])}; "
        + _live_text([doc for doc, _ in policies.values()], list(policies)),
    ]
    if fault:
        intro.append(
            f"Fault drill: the target multiplied by {fault['factor']:g} from {fault['start']} on."
        )
    actions = [
        f"- {n}: {a['time']} {a['action']} ({a['seconds'] / 60:.1f} min) because {a['reason']}"
        for n, (doc, _) in policies.items()
        for a in doc["actions"]
    ]
    md = [
        f"# Replay {name}",
        "",
        *[p + "\n" for p in intro],
        _md_table(head, rows),
        "",
        "![live MAE per policy](live_mae.png)",
        "",
        "## Refits",
        "",
        *(actions or ["none"]),
    ]
    encoded = base64.b64encode(png).decode()
    table = _html_table(head, rows)
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Replay {html.escape(name)}"
        "</title><style>body{font-family:sans-serif;max-width:70em;margin:2em auto}"
        "td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}</style></head>"
        f"<body><h1>Replay {html.escape(name)}</h1>"
        + "".join(f"<p>{html.escape(p)}</p>" for p in intro)
        + table
        + f"<p><img alt='live MAE per policy' src='data:image/png;base64,{encoded}'></p>"
        + "<h2>Refits</h2><ul>"
        + "".join(f"<li>{html.escape(a[2:])}</li>" for a in actions)
        + ("" if actions else "<li>none</li>")
        + "</ul></body></html>"
    )
    return ReplayPage("\n".join(md) + "\n", page, png)
