"""The ``arima`` reference: the differences its tests choose, the AR(1) forecast worked out by
hand from its own fitted parameters, a seasonal series, a history that starts elsewhere, and
the series too long for it left out with the reason."""

from __future__ import annotations

import numpy as np
import pytest

from seqcast.models import arima, catalog
from seqcast.models import forecaster as fc
from tests.unit.models.test_theta import PATTERN, windows


def model(season: int = 1) -> fc.Forecaster:
    target = {"kind": "standard", "columns": ["y"], "scale": [1.0], "shift": [0.0]}
    units = {"features": None, "target": target, "season": season, "steps": [1, 2, 3]}
    return catalog.create("arima", fc.Settings(units=units))


def ar1(n: int = 200, phi: float = 0.7, mean: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    y = np.empty(n)
    y[0] = mean
    for t in range(1, n):
        y[t] = mean + phi * (y[t - 1] - mean) + rng.normal()
    return y


def test_an_ar1_series_is_forecast_as_its_fitted_mean_plus_the_decaying_gap():
    """On AR(1) data (phi 0.7 around 10) the search keeps the levels (d = 0, no season). An
    AR(1) with a mean fitted on the same rows has phi within 0.12 of 0.7, and each step's
    forecast is mean + phi^s (y[origin] - mean) with those parameters."""
    y = ar1()
    m = model()
    m.fit(windows(y, [100, 140, 170]))  # the last training target: row 173
    chosen = m.form  # type: ignore[attr-defined]
    assert chosen["order"][1] == 0 and chosen["seasonal_order"] == [0, 0, 0]
    form = {"order": [1, 0, 0], "seasonal_order": [0, 0, 0], "season": 1, "trend": "c"}
    fitted = arima._arma(y[:174], form).fit(disp=False, cov_type="none")
    m.form = {**form, "params": [float(v) for v in fitted.params]}  # type: ignore[attr-defined]
    c, phi = m.form["params"][0], m.form["params"][1]  # type: ignore[attr-defined]
    assert phi == pytest.approx(0.7, abs=0.12)
    mean = c / (1 - phi)
    got = m.predict(windows(y, [180, 190]))
    for row, path in zip([180, 190], got, strict=True):
        expected = [mean + phi**s * (y[row] - mean) for s in (1, 2, 3)]
        np.testing.assert_allclose(path, expected, rtol=1e-6)


def test_the_search_differences_a_random_walk_and_fits_its_drift():
    """A random walk with drift 0.5: the KPSS test calls for one difference; the forecast
    climbs about 0.5 a step from the origin's value."""
    y = 50.0 + np.cumsum(0.5 + np.random.default_rng(1).normal(0, 0.3, 150))
    assert arima.differences(y, 1) == (1, 0)
    m = model()
    m.fit(windows(y, [100, 120]))
    path = m.predict(windows(y, [140]))[0]
    assert np.diff(np.r_[y[140], path]) == pytest.approx([0.5] * 3, abs=0.2)


def test_a_strong_season_is_differenced_and_forecast_at_its_place():
    """A season of 4 (3, -1, -4, 2) with little noise: one seasonal difference, and the path
    from row 77 follows the season within 1."""
    t = np.arange(80)
    y = 20.0 + PATTERN[t % 4] + np.random.default_rng(0).normal(0, 0.2, 80)
    assert arima.differences(y, 4)[1] == 1
    m = model(season=4)
    m.fit(windows(y, [50, 60, 70]))
    assert m.form["seasonal_order"][1] == 1  # type: ignore[attr-defined]
    full = m.predict(windows(y, [77]))
    np.testing.assert_allclose(full[0], 20.0 + PATTERN[np.arange(78, 81) % 4], atol=1.0)
    shifted = m.predict(windows(y[3:], [74]))  # a history that starts at the season's 4th place
    np.testing.assert_allclose(shifted, full, atol=0.1)


def test_no_row_after_the_origin_or_after_the_fit_reaches_it():
    """The fit reads rows up to its last training target only: changing every later row
    changes neither the chosen form nor a forecast from an origin before them."""
    y = ar1()
    a, b = model(), model()
    a.fit(windows(y, [100, 140, 170]))
    later = y.copy()
    later[174:] += 100.0
    b.fit(windows(later, [100, 140, 170]))
    assert a.form == b.form  # type: ignore[attr-defined]
    np.testing.assert_allclose(a.predict(windows(later, [150])), a.predict(windows(y, [150])))


def test_a_series_longer_than_its_budget_is_left_out_with_the_reason(monkeypatch):
    monkeypatch.setattr(arima, "MAX_ROWS", 150)
    with pytest.raises(fc.NotApplicable, match=r"at most 150 rows.*holds 200"):
        model().fit(windows(ar1(), [100, 140]))


def test_too_short_a_history_is_a_clear_error(tmp_path):
    m = model(season=4)
    m.form = {  # type: ignore[attr-defined]
        "order": [1, 0, 0],
        "seasonal_order": [0, 1, 0],
        "season": 4,
        "trend": "n",
        "params": [0.5, 1.0],
    }
    with pytest.raises(ValueError, match=r"at least 18 rows of history \(with a season of 4\)"):
        m.predict(windows(np.arange(12.0), [11]))


def test_the_differences_are_undone_by_hand():
    """A line of slopes 1, 2, 3 continued by 4, 5; the squares from their second difference;
    a season of 3 shifted up by 10 a season."""
    y = np.array([1.0, 2.0, 4.0, 7.0])
    np.testing.assert_array_equal(arima.differenced(y, 1, 0, 1), [1, 2, 3])
    np.testing.assert_array_equal(arima.integrated(y, np.array([4.0, 5.0]), 1, 0, 1), [11, 16])
    squares = np.array([0.0, 1.0, 4.0, 9.0])
    np.testing.assert_array_equal(arima.differenced(squares, 2, 0, 1), [2, 2])
    np.testing.assert_array_equal(
        arima.integrated(squares, np.array([2.0, 2.0]), 2, 0, 1), [16, 25]
    )
    seasonal = np.array([1.0, 2.0, 3.0, 11.0, 12.0, 13.0])
    np.testing.assert_array_equal(arima.differenced(seasonal, 0, 1, 3), [10, 10, 10])
    path = arima.integrated(seasonal, np.full(4, 10.0), 0, 1, 3)
    np.testing.assert_array_equal(path, [21, 22, 23, 31])


def test_an_origin_before_its_differences_is_a_clear_error():
    """A seasonal difference of 4 needs 4 rows before an origin; an earlier one in the same
    block is refused by name, not an index error."""
    t = np.arange(80)
    y = 20.0 + PATTERN[t % 4] + np.random.default_rng(0).normal(0, 0.2, 80)
    m = model(season=4)
    # a stored form with one seasonal difference (what the search picks here), no search run
    m.form = {  # type: ignore[attr-defined]
        "order": [0, 0, 0],
        "seasonal_order": [0, 1, 0],
        "season": 4,
        "trend": "n",
        "params": [0.04],
    }
    assert m.predict(windows(y, [77])).shape == (1, 3)
    with pytest.raises(ValueError, match=r"at least 4 rows before them.*row 1"):
        m.predict(windows(y, [1, 77]))
