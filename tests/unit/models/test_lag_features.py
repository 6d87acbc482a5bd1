"""The forecaster-style features of lag-boosting, by hand on a series whose value is its row
number: every feature names the row it came from, and none comes after the origin."""

from __future__ import annotations

import numpy as np

from seqcast.models.lag_features import lag_features, seasonal_lags


def test_features_by_hand_for_a_season_of_four():
    """Series 0..19 (value = row), season 4, origin row 10, steps 1 and 6. Own lags: rows 10,
    9, 8, 7. Rolling means: rows 7..10 (8.5), and rows 0..10 of the 28-row span (5.0). Then
    the newest inputs, the seasonal lags and the step's covariates. Seasonal lags 4 and 8 of
    target row 11 (step 1): rows 7 and 3. Of target row 16 (step 6): lag 4 would read row 12,
    after the origin, so it moves a season back to 8 (row 8); lag 8 reads row 8 too."""
    history = np.arange(20.0)
    last = np.array([[0.5, -0.5]])  # (1, features)
    cov = np.array([[[1.0], [2.0]]])  # (1, steps, covariates)
    step1, step6 = lag_features(history, np.array([10]), last, cov, [1, 6], 4)
    assert step1[0].tolist() == [10, 9, 8, 7, 8.5, 5.0, 0.5, -0.5, 7, 3, 1.0]
    assert step6[0, -3:].tolist() == [8, 8, 2.0]
    assert max(step6[0, 8:10]) <= 10  # never a row after the origin


def test_rows_before_the_start_are_missing_and_relative_features_subtract_the_origin():
    """Origin row 1 of 10, 11, 13, ...: own lags rows 1, 0, -1 (NaN); relative to the origin's
    11 they are 0, -1, NaN."""
    history = np.array([10.0, 11.0, 13.0, 16.0, 20.0])
    (got,) = lag_features(history, np.array([1]), np.zeros((1, 0)), np.zeros((1, 1, 0)), [1], 3)
    assert np.isnan(got[0, 2]) and got[0, :2].tolist() == [11.0, 10.0]
    (rel,) = lag_features(
        history, np.array([1]), np.zeros((1, 0)), np.zeros((1, 1, 0)), [1], 3, relative=True
    )
    assert rel[0, :2].tolist() == [0.0, -1.0]


def test_hourly_data_also_looks_a_week_back():
    assert seasonal_lags(24) == [24, 48, 168] and seasonal_lags(52) == [52, 104]
