"""One fit's learning curve as a PNG (pure): what ``seqcast run-stage <fit>`` writes beside
the fit it reran."""

from __future__ import annotations

import io

import matplotlib

from seqcast.numbers import figure

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def learning_curve(name: str, history: dict[str, list[float]]) -> bytes:
    """Loss (and validation loss where the fit early-stopped on one) per epoch."""
    fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    for key, values in history.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", markersize=2, label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (the fit's units)")
    ax.set_title(name)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the lines
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def ranking_markdown(doc: dict) -> str:
    """A rerun ranking (``ranking.json``: champion, reason, policy, board) as Markdown: the
    champion and why, then every candidate by backtest MAE with its test MAE (reported,
    never used to choose)."""
    from seqcast.report.page import _md_table

    rows = []
    for i, e in enumerate(doc["board"], 1):
        bt, test = e.get("backtest") or {}, e.get("test") or {}
        name = e["name"] + (" (champion)" if e["name"] == doc["champion"] else "")
        rows.append([str(i), name, e["kind"], _number(bt.get("mae")), _number(test.get("mae"))])
    champion = doc["champion"] or "none"
    lines = [
        "# Ranking, rerun from the stored fits",
        "",
        f"Champion: **{champion}** ({doc['policy']}). {doc['reason']}",
        "",
        _md_table(["rank", "model", "kind", "backtest MAE", "test MAE"], rows),
    ]
    return "\n".join(lines) + "\n"


def _number(v) -> str:
    return figure(v)
