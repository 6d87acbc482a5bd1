"""The report's figures: what each one spans and says, drawn from small inputs."""

from __future__ import annotations

from dataclasses import replace

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pytest

from seqcast.report.figures import (
    _compared,
    _mae_of_one_step,
    actual_vs_predicted_figure,
    backtest_folds_figure,
    central_range,
    close_up_figure,
    close_up_start,
    learning_curves_figure,
    plain_numbers,
    residuals_figure,
    spacing_decimals,
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
    [
        actual_vs_predicted_figure,
        close_up_figure,
        learning_curves_figure,
        backtest_folds_figure,
        residuals_figure,
    ],
)
def test_legends_cover_no_title_and_no_plotting_area(draw):
    """Every legend sits beside the axes: it covers neither an axes' title nor its data."""
    fig = draw(hourly_report(folds=3))
    assert fig.legends or any(ax.get_legend() for ax in fig.axes)
    assert _overlaps(fig) == []
    plt.close(fig)


def _weeks(n: int) -> np.ndarray:
    return np.datetime64("2010-01-04T00", "h") + np.arange(n) * np.timedelta64(7 * 24, "h")


def test_close_up_starts_14_days_26_weeks_or_28_periods_before_the_end():
    """480 hourly windows (Oct 1 to 20, 2018): the last 336 (Oct 7 00:00 on); 30 weekly: the
    last 26; 30 daily: the last 28; a period that already fits: 0 (no close-up)."""
    hours = hourly_report(days=20).test_times[:, 0]
    assert close_up_start(hours, "hourly") == (144, "last 14 days")
    assert hours[144] == np.datetime64("2018-10-07T00")
    assert close_up_start(_weeks(30), "weekly-mon") == (4, "last 26 weeks")
    days = np.arange("2020-01-01", "2020-01-31", dtype="datetime64[D]")
    assert close_up_start(days, "daily") == (2, "last 28 periods")
    assert close_up_start(hours[:336], "hourly")[0] == 0


def _band_span(ax) -> tuple[float, float]:
    x = np.concatenate([p.vertices[:, 0] for c in ax.collections for p in c.get_paths()])
    return float(x.min()), float(x.max())


def test_close_up_draws_the_last_14_days_of_actual_champion_and_its_80_interval():
    """Hourly: the actual and gru lines and the 80 % band (not the 95 %) cover exactly
    2018-10-07 00:00 to 2018-10-20 23:00, 336 hours."""
    r = hourly_report(days=20)
    truth = r.test_truth
    bounds = {"80": (truth - 3, truth + 3), "95": (truth - 6, truth + 6)}
    fig = close_up_figure(replace(r, test_bounds=bounds))
    assert fig is not None
    ax = fig.axes[0]
    expected = np.arange("2018-10-07T00", "2018-10-21T00", dtype="datetime64[h]")
    assert [line.get_label() for line in ax.lines] == ["actual", "gru"]
    for line in ax.lines:
        np.testing.assert_array_equal(line.get_xdata(), expected)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), truth[144:, 0] + 2.0)
    assert [c.get_label() for c in ax.collections] == ["gru: 80 % interval"]
    first, last = (mdates.date2num(t) for t in (expected[0], expected[-1]))
    assert _band_span(ax) == pytest.approx((first, last))
    assert "last 14 days" in ax.get_title()
    plt.close(fig)


def test_close_up_of_weekly_data_is_the_last_26_weeks_and_left_out_when_all_fits():
    """480 weekly windows: the close-up's lines hold the last 26; 24 weekly windows fit in
    26 weeks, so there is no close-up."""
    r = hourly_report(days=20)
    fig = close_up_figure(replace(r, test_times=_weeks(480), frequency="weekly"))
    assert fig is not None
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_xdata(), _weeks(480)[-26:])
    assert "last 26 weeks" in fig.axes[0].get_title()
    plt.close(fig)
    short = hourly_report(days=1)
    assert close_up_figure(replace(short, test_times=_weeks(24), frequency="weekly")) is None


def test_value_axes_read_as_plain_numbers_at_the_ticks_precision():
    """An axis over 137,400 .. 138,900 reads like 137,500 (no offset, no 1.374e+05); one over
    0 .. 1 with quarter ticks reads 0.25; a count axis gets whole-number ticks only."""
    fig, (big, small, counts) = plt.subplots(1, 3)
    big.plot([137_400, 138_900])
    small.plot([0.0, 1.0])
    small.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    counts.plot([0.0, 2.0])
    plain_numbers(big.yaxis)
    plain_numbers(small.yaxis)
    plain_numbers(counts.yaxis, whole=True)
    fig.canvas.draw()
    labels = [t.get_text() for t in big.get_yticklabels() if t.get_text()]
    assert labels and all("," in t and "e" not in t for t in labels)
    assert big.yaxis.get_offset_text().get_text() == ""
    assert [t.get_text() for t in small.get_yticklabels()] == ["0.00", "0.25", "0.50", "0.75",
                                                                "1.00"]  # fmt: skip
    assert all(float(v).is_integer() for v in counts.get_yticks())
    assert [spacing_decimals(s) for s in (100, 1, 0.5, 0.25, 0.001)] == [0, 0, 1, 2, 3]
    plt.close(fig)


def test_one_step_mae_is_a_bar_per_model():
    """With one step the MAE figure has a bar per compared model on each split's panel."""
    r = hourly_report(days=3)
    one = replace(r, steps=(1,))
    fig = _mae_of_one_step(one)
    compared = [e["name"] for e in _compared(one)]
    fig.canvas.draw()
    assert [len(ax.patches) for ax in fig.axes] == [len(compared)] * 2
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == compared  # shared by both
    plt.close(fig)
