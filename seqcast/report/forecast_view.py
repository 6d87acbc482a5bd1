"""A served forecast path as a person reads it: a short table (console and Prefect artifact)
and a fan chart (the recent actuals, then the forecast with its interval bands). Pure:
returns text, rows and PNG bytes."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seqcast.numbers import decimals_for, number_text
from seqcast.report.figures import plain_numbers, time_axis


def levels_of(rows: pd.DataFrame) -> list[str]:
    """The interval levels the rows carry, narrowest first: ``["80", "95"]``."""
    found = {c.split("_", 1)[1] for c in rows.columns if c.startswith("lower_")}
    return sorted(found, key=float)


def when(value) -> str:
    """A time as the console names it: the date alone at midnight, else to the minute."""
    t = pd.Timestamp(value)
    return f"{t:%Y-%m-%d}" if t == t.normalize() else f"{t:%Y-%m-%d %H:%M}"


def _values(rows: pd.DataFrame) -> np.ndarray:
    """Every number the table shows: the forecasts and each level's bounds."""
    columns = ["prediction", *(c for c in rows.columns if c.startswith(("lower_", "upper_")))]
    return rows[columns].to_numpy(dtype=float).reshape(-1)


def forecast_table(rows: pd.DataFrame, units: str, whole: bool = False) -> list[dict]:
    """One dict per step: target period, step, forecast and each level's bounds, in ``units``,
    every number at one precision (``seqcast.numbers.decimals_for``: whole numbers for
    a count, ``whole``, and from 1,000 up; four significant digits below)."""
    decimals = decimals_for(_values(rows), whole)
    out = []
    for _, r in rows.iterrows():
        value = number_text(float(r["prediction"]), decimals)
        entry = {"target": str(r["period"]), "step": int(r["step"]), units: value}
        for level in levels_of(rows):
            low = number_text(float(r[f"lower_{level}"]), decimals)
            high = number_text(float(r[f"upper_{level}"]), decimals)
            entry[f"{level} % interval"] = f"{low} to {high}"
        out.append(entry)
    return out


def console_lines(
    rows: pd.DataFrame, units: str, whole: bool = False, max_rows: int = 48
) -> list[str]:
    """The forecast path as aligned text lines with a header saying what and from when."""
    first = rows.iloc[0]
    table = forecast_table(rows, units, whole)
    fallback = (
        ", promoted as the fallback: no deep model beat every reference"
        if first.get("promoted_as") == "fallback"
        else ""
    )
    head = [
        f"forecast of {units} from data up to {when(first['origin_time'])} "
        f"(model {first['model']}{fallback}, {len(rows)} step(s) ahead):"
    ]
    columns = list(table[0])
    width = {c: max(len(c), *(len(str(t[c])) for t in table)) for c in columns}
    lines = ["  " + "  ".join(c.ljust(width[c]) for c in columns)]
    shown = table if len(table) <= max_rows else table[:max_rows]
    lines += ["  " + "  ".join(str(t[c]).ljust(width[c]) for c in columns) for t in shown]
    if len(table) > max_rows:
        lines.append(f"  ... {len(table) - max_rows} more step(s) in the forecasts file")
    return head + lines


def fan_chart(rows: pd.DataFrame, recent: list[list], units: str) -> bytes:
    """The recent actuals, then the forecast path with its interval bands (widest palest);
    a one-step forecast draws each interval as a bar at its target time (a band of one
    point has no area)."""
    fig, ax = plt.subplots(figsize=(10, 3.6), layout="constrained")
    if recent:
        times = pd.to_datetime([t for t, _ in recent])
        ax.plot(times, [v for _, v in recent], color="black", linewidth=1.2, label="actual")
    target = pd.to_datetime(rows["target_time"])
    levels = list(reversed(levels_of(rows)))  # widest first
    for k, (level, alpha) in enumerate(zip(levels, (0.18, 0.32, 0.45), strict=False)):
        low, high = rows[f"lower_{level}"], rows[f"upper_{level}"]
        label = f"{level} % interval"
        if len(rows) == 1:
            ax.vlines(target, low, high, color="tab:blue", alpha=alpha + 0.2,
                      linewidth=6 + 6 * k, label=label)  # fmt: skip
        else:
            ax.fill_between(
                target, low, high, color="tab:blue", alpha=alpha, linewidth=0, label=label
            )
    ax.plot(
        target,
        rows["prediction"],
        color="tab:blue",
        marker="o",
        markersize=3,
        linewidth=1.5,
        label="forecast",
    )
    first = rows.iloc[0]
    ax.set_title(f"forecast from data up to {when(first['origin_time'])} ({first['model']})")
    ax.set_ylabel(units)
    plain_numbers(ax.yaxis)
    time_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside, never on the lines
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def forecast_markdown(rows: pd.DataFrame, png: bytes, units: str, whole: bool = False) -> str:
    """The fan chart (embedded) above the forecast table, as a Markdown artifact."""
    table = forecast_table(rows, units, whole)
    head = list(table[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(t[c]) for c in head) + " |" for t in table]
    b64 = base64.b64encode(png).decode()
    return "\n".join([f"![forecast fan chart](data:image/png;base64,{b64})", "", *lines])
