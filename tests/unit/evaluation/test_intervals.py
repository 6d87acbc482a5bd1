"""Conformal intervals and interval scores, on residual sets small enough to check by hand,
and on synthetic errors of known spread."""

from __future__ import annotations

import numpy as np
import pytest

from seqcast.evaluation.intervals import (
    conformal_quantile,
    coverage,
    fit_intervals,
    interval_score,
    mean_width,
    pinball_loss,
)


def test_the_conformal_quantile_is_the_ceil_q_n_plus_1_th_smallest():
    values = np.arange(1.0, 10.0)  # 1..9, n = 9
    assert conformal_quantile(values[::-1], 0.8) == 8.0  # ceil(0.8 * 10) = 8th smallest
    assert conformal_quantile(values, 0.5) == 5.0  # ceil(0.5 * 10) = 5th
    assert conformal_quantile(values, 0.95) == 9.0  # ceil(9.5) = 10 > n: the largest
    with pytest.raises(ValueError, match="no residuals"):
        conformal_quantile(np.array([]), 0.8)


def test_offsets_follow_each_tail_of_skewed_residuals():
    # n = 9, level 0.8: each tail at 0.9 -> the ceil(0.9 * 10) = 9th value of that tail
    residuals = np.array([-1.0, 0, 0, 0, 1, 2, 3, 5, 8])  # actual - predicted
    iv = fit_intervals(residuals, levels=(0.8,))
    assert iv.lower[0.8].tolist() == [-1.0] and iv.upper[0.8].tolist() == [8.0]
    (lo, hi) = iv.bounds(np.array([[100.0]]))[0.8]
    assert (lo[0, 0], hi[0, 0]) == (99.0, 108.0)


def test_each_step_gets_its_own_offsets():
    residuals = np.stack([np.arange(-4.0, 5.0), 10 * np.arange(-4.0, 5.0)], axis=1)  # (9, 2)
    iv = fit_intervals(residuals, levels=(0.8,))
    assert iv.lower[0.8].tolist() == [-4.0, -40.0] and iv.upper[0.8].tolist() == [4.0, 40.0]


def test_a_lower_bound_never_goes_below_the_minimum():
    iv = fit_intervals(np.arange(-4.0, 5.0), levels=(0.8,), minimum=0.0)
    lo, hi = iv.bounds(np.array([[2.0], [10.0]]))[0.8]
    assert lo[:, 0].tolist() == [0.0, 6.0] and hi[:, 0].tolist() == [6.0, 14.0]


def test_levels_outside_0_1_are_refused():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        fit_intervals(np.zeros(5), levels=(80,))


def test_coverage_width_interval_score_and_pinball_by_hand():
    actual = np.array([[0.0], [5.0], [12.0]])
    lo, hi = np.full((3, 1), 2.0), np.full((3, 1), 10.0)
    assert coverage(actual, lo, hi).tolist() == pytest.approx([1 / 3])
    assert mean_width(lo, hi).tolist() == [8.0]
    # alpha 0.2: width 8, plus 10 x the miss: 8 + 20, 8, 8 + 20
    assert interval_score(actual, lo, hi, 0.8).tolist() == pytest.approx([64 / 3])
    # q 0.9 at 2: actual 1 -> 0.1 x 1, actual 3 -> 0.9 x 1
    assert pinball_loss(np.array([1.0, 3.0]), np.array([2.0, 2.0]), 0.9).tolist() == [0.5]


def test_intervals_from_residuals_of_known_noise_cover_new_errors_at_their_level():
    rng = np.random.default_rng(0)
    iv = fit_intervals(rng.normal(size=(4000, 3)))  # N(0, 1) errors at 3 steps
    actual = rng.normal(size=(20000, 3))  # new errors around a forecast of 0
    for level, (lo, hi) in iv.bounds(np.zeros((20000, 3))).items():
        assert np.abs(coverage(actual, lo, hi) - level).max() < 0.02
        # and the width is the normal distribution's (1.28 and 1.96 standard deviations)
        z = {0.8: 1.2816, 0.95: 1.9600}[level]
        assert np.abs(mean_width(lo, hi) - 2 * z).max() < 0.15


def test_intervals_conditioned_on_a_group_cover_each_group_where_global_ones_do_not():
    """Night errors (group 0) spread 1, peak errors (group 1) spread 10: one global width
    covers the night and misses the peak; one width per group covers both."""
    rng = np.random.default_rng(1)

    def errors(n):
        groups = rng.integers(0, 2, size=(n, 1))
        return rng.normal(size=(n, 1)) * np.where(groups == 1, 10.0, 1.0), groups

    res, groups = errors(4000)
    actual, new_groups = errors(20000)
    pred = np.zeros_like(actual)
    by_group = fit_intervals(res, levels=(0.8,), groups=groups).bounds(pred, new_groups)[0.8]
    overall = fit_intervals(res, levels=(0.8,)).bounds(pred)[0.8]
    peak = new_groups[:, 0] == 1
    cov = {
        name: [coverage(actual[m], lo[m], hi[m])[0] for m in (~peak, peak)]
        for name, (lo, hi) in (("group", by_group), ("global", overall))
    }
    assert abs(cov["group"][0] - 0.8) < 0.03 and abs(cov["group"][1] - 0.8) < 0.03
    assert cov["global"][0] > 0.95 and cov["global"][1] < 0.7


def test_a_group_with_too_few_residuals_uses_the_steps_offsets():
    residuals = np.concatenate([np.arange(-20.0, 20.0), [100.0] * 5])  # 40 + 5
    groups = np.array([0] * 40 + [1] * 5)[:, None]
    iv = fit_intervals(residuals, levels=(0.8,), groups=groups, min_group=30)
    assert set(iv.by_group[0.8][0]) == {0}  # group 1 holds 5 residuals: no offsets of its own
    lo, hi = iv.bounds(np.zeros((2, 1)), np.array([[0], [1]]))[0.8]
    assert (lo[1, 0], hi[1, 0]) == (iv.lower[0.8][0], iv.upper[0.8][0])
    assert (lo[0, 0], hi[0, 0]) == iv.by_group[0.8][0][0]
