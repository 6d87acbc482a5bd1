"""The report's figures: what each one spans and says, drawn from small inputs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from seqcast.report.figures import (
    actual_vs_predicted_figure,
    backtest_folds_figure,
    central_range,
    learning_curves_figure,
    residuals_figure,
)
from tests.unit.report.samples import hourly_report


def test_central_range_is_the_1st_to_99th_percentile_and_counts_the_rest():
    """-1000, 0..97, 1000: the 1st percentile lies 0.99 of the way from -1000 to 0 (-10), the
    99th 0.01 of the way from 97 to 1000 (106.03); only the two extremes are outside."""
    values = np.array([-1000.0, *range(98), 1000.0])
    lo, hi, outside = central_range(values)
    assert (lo, hi) == (pytest.approx(-10.0), pytest.approx(106.03))
    assert outside == 2


def test_residual_histogram_spans_the_central_residuals_and_says_how_many_are_outside():
    """gru's 480 test residuals alternate -1 / +1 except one -1000 and one +1000; ridge's are
    all +1. The histogram's axis spans -1 to 1, not -1000 to 1000, and its title says 2 of
    the 960 residuals lie outside."""
    residuals = np.tile([-1.0, 1.0], 240)
    residuals[0], residuals[-1] = -1000.0, 1000.0
    fig = residuals_figure(hourly_report(residuals=residuals, reference_offset=1.0))
    hist = fig.axes[0]
    assert hist.get_xlim() == pytest.approx((-1.0, 1.0))
    assert "1st to 99th percentile" in hist.get_title()
    assert "2 of 960 outside" in hist.get_title()
    plt.close(fig)


def _overlaps(fig) -> list[str]:
    """What each legend of ``fig``, once drawn, covers: an axes' plotting area or a title."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    shown = [ax for ax in fig.axes if ax.axison]
    texts = [ax.title for ax in shown if ax.get_title()]
    if fig._suptitle is not None:
        texts.append(fig._suptitle)
    out = []
    for legend in legends:
        box = legend.get_window_extent(renderer)
        out += [f"axes {ax.get_title()!r}" for ax in shown if box.overlaps(ax.bbox)]
        out += [f"title {t.get_text()!r}" for t in texts if box.overlaps(t.get_window_extent())]
    return out


@pytest.mark.parametrize(
    "draw",
    [actual_vs_predicted_figure, learning_curves_figure, backtest_folds_figure, residuals_figure],
)
def test_legends_cover_no_title_and_no_plotting_area(draw):
    """Every legend sits beside the axes: it covers neither an axes' title nor its data."""
    fig = draw(hourly_report(folds=3))
    assert fig.legends or any(ax.get_legend() for ax in fig.axes)
    assert _overlaps(fig) == []
    plt.close(fig)
