"""The ``ets`` reference's initial states: computed from the first seasons of whatever series
it runs over, so a served history that starts elsewhere in the season (an MLflow request with
the newest rows, a rolling extract) forecasts what the whole series forecasts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqcast.models import catalog
from seqcast.models import forecaster as fc
from tests.unit.models.test_theta import PATTERN, windows


def ets(season: int) -> fc.Forecaster:
    target = {"kind": "standard", "columns": ["y"], "scale": [1.0], "shift": [0.0]}
    units = {"features": None, "target": target, "season": season, "steps": [1, 2, 3]}
    return catalog.create("ets", fc.Settings(units=units))


def seasonal_series(n: int = 80) -> np.ndarray:
    """20 + 0.2 t + a season of 4 (3, -1, -4, 2) + N(0, 0.2)."""
    t = np.arange(n)
    return 20.0 + 0.2 * t + PATTERN[t % 4] + np.random.default_rng(0).normal(0, 0.2, n)


def test_a_history_that_starts_elsewhere_in_the_season_forecasts_the_same():
    """From row 77, the whole series and the series less its first 3 rows (the season now
    starts at its 4th place) give the same path to 0.1 (the season's swing is 7). Before the
    initial states were computed from the history itself, the shifted history put the season
    out of place: 21.4, 32.7, 38.9 instead of 15.5, 13.0, 19.4 on a series like this one."""
    series = seasonal_series()
    model = ets(season=4)
    model.fit(windows(series, [50, 60, 70]))  # the last training target: row 73
    form = model.form  # type: ignore[attr-defined]
    assert form["seasonal"] == "add" and form["init"] == "heuristic"
    full = model.predict(windows(series, [77]))
    shifted = model.predict(windows(series[3:], [74]))
    np.testing.assert_allclose(shifted, full, atol=0.1)
    truth = 20.0 + 0.2 * np.arange(78, 81) + PATTERN[np.arange(78, 81) % 4]
    np.testing.assert_allclose(full[0], truth, atol=1.0)  # the season at its place


def test_a_form_stored_before_keeps_its_estimated_initial_states(tmp_path):
    """A form without ``init`` (stored before the change) holds the initial states among its
    parameters: loaded back, it is run the old way and still forecasts."""
    series = seasonal_series()
    model = ets(season=4)
    model.fit(windows(series, [50, 60, 70]))
    form = dict(model.form)  # type: ignore[attr-defined]
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    old = ETSModel(
        series[:74], error="add", trend=form["trend"], damped_trend=form["trend"] is not None,
        seasonal="add", seasonal_periods=4,
    ).fit(disp=False)  # fmt: skip
    stored = {k: v for k, v in form.items() if k != "init"} | {
        "params": [float(p) for p in np.asarray(old.params)]
    }
    (tmp_path / "model.json").write_text(json.dumps(stored))
    back = catalog.load("ets", tmp_path / "model.json", model.settings)
    got = back.predict(windows(series, [77]))
    whole = ETSModel(
        series[:78], error="add", trend=form["trend"], damped_trend=form["trend"] is not None,
        seasonal="add", seasonal_periods=4,
    )  # fmt: skip
    expected = np.asarray(whole.smooth(old.params).predict(start=78, end=80, dynamic=0))
    np.testing.assert_allclose(got[0], expected, rtol=1e-9)


def test_ets_needs_its_heuristic_rows_and_says_so():
    """A season of 4 needs max(8, 10 + 4) = 14 rows of history up to the origin."""
    series = seasonal_series()
    model = ets(season=4)
    model.fit(windows(series, [50, 60, 70]))
    with pytest.raises(ValueError, match=r"at least 14 rows of history \(with a season of 4\)"):
        model.predict(windows(series[:13], [12]))


def test_no_row_after_the_fit_reaches_its_initial_states():
    """statsmodels' heuristic reads up to five seasons. Fitted on 4 seasons of 12 (rows up to
    47), a block whose newest origin is row 100 must still take the states from rows 0..47
    only: the forecast from origin 47 is the same whatever rows 48.. hold."""
    t = np.arange(120)
    series = 20.0 + 5 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(1).normal(0, 0.3, 120)
    model = ets(season=12)
    model.fit(windows(series, [30, 40, 44]))  # the last training target: row 47
    assert model.form["init_rows"] == 48  # type: ignore[attr-defined]
    changed = series.copy()
    changed[48:] += np.random.default_rng(2).normal(0, 5, 72)  # a different future
    here = model.predict(windows(series, [47, 100]))[0]
    there = model.predict(windows(changed, [47, 100]))[0]
    np.testing.assert_allclose(there, here, rtol=1e-12)
