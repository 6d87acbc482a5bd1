"""One fit's learning curve as a PNG (pure): what ``seqcast run-stage <fit>`` writes beside
the fit it reran."""

from __future__ import annotations

import io

import matplotlib

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
