"""The ``theta`` reference on series whose forecast can be worked out by hand: a straight
line, a line plus a season of 4, statsmodels' own Theta at the last training row, and a
history that starts at another place in the season."""

from __future__ import annotations

import numpy as np
import pytest

from seqcast.data.windows import WindowSet
from seqcast.models import catalog
from seqcast.models import forecaster as fc

STEPS = 3
PATTERN = np.array([3.0, -1.0, -4.0, 2.0])  # a season of 4 that sums to 0


def windows(history: np.ndarray, origins: list[int]) -> WindowSet:
    """Windows at ``origins`` (rows of ``history``) forecasting steps 1..3; theta reads only
    the series and the origins, so the rest is filler of the right shapes."""
    n = len(origins)
    y_raw = np.zeros((n, STEPS))
    return WindowSet(
        x=np.zeros((n, 2, 1), dtype=np.float32),
        y=y_raw.astype(np.float32),
        y_raw=y_raw,
        target_time=np.zeros((n, STEPS), dtype="datetime64[h]"),
        covariates=np.zeros((n, STEPS, 0), dtype=np.float32),
        feature_names=["y"],
        covariate_names=[],
        meta={"steps": [1, 2, 3]},
        y_last_raw=history[origins],
        origin_row=np.asarray(origins),
        history=history,
    )


def theta(season: int, transform: str | None = None) -> fc.Forecaster:
    target = {"kind": "standard", "columns": ["y"], "scale": [1.0], "shift": [0.0]}
    if transform:
        target["transform"] = transform
    units = {"features": None, "target": target, "season": season, "steps": [1, 2, 3]}
    return catalog.create("theta", fc.Settings(units=units))


def test_on_a_straight_line_theta_forecasts_the_last_value_plus_half_the_slope():
    """On 10 + 2t (t = 0..39) the drift b0 is the slope, 2, and smoothing follows the line
    (alpha near 1), so from the origin at row 39 (value 88) the standard Theta method's
    forecast is 88 + b0 / 2 per step: 89, 90, 91 (half the trend, by the method's design)."""
    line = 10.0 + 2.0 * np.arange(40)
    model = theta(season=1)
    model.fit(windows(line, [30, 33, 36]))  # the last training target is row 39
    form = model.form  # type: ignore[attr-defined]
    assert form["b0"] == pytest.approx(2.0) and form["alpha"] == pytest.approx(1.0, abs=1e-3)
    assert form["seasonal"] is False
    np.testing.assert_allclose(model.predict(windows(line, [39])), [[89, 90, 91]], atol=1e-3)


def test_on_a_line_plus_a_season_theta_puts_the_season_back_at_its_place():
    """On -10 + 0.5t + a season of 4 (3, -1, -4, 2), a series that crosses 0 (so the season
    is additive), the decomposition recovers the season exactly and the deseasonalised rows
    are the line: from row 39 (the season's 4th place) the forecast is the line's 9.5 plus
    0.25 per step plus the season's 1st, 2nd and 3rd places: 12.75, 9.0, 6.25."""
    t = np.arange(40)
    series = -10.0 + 0.5 * t + PATTERN[t % 4]
    model = theta(season=4)
    model.fit(windows(series, [30, 33, 36]))
    form = model.form  # type: ignore[attr-defined]
    assert form["seasonal"] is True and form["method"] == "add"
    np.testing.assert_allclose(model.predict(windows(series, [39])), [[12.75, 9, 6.25]], atol=1e-3)


def test_a_history_that_starts_elsewhere_in_the_season_gives_the_same_forecast():
    """Served histories start at any row: the seasonal indices come from the rows up to the
    origin, so dropping the first 3 rows (the season now starts at its 4th place) forecasts
    the same path."""
    t = np.arange(60)
    series = -10.0 + 0.5 * t + PATTERN[t % 4]
    model = theta(season=4)
    model.fit(windows(series, [40, 45, 50]))
    full = model.predict(windows(series, [52, 57]))
    shifted = model.predict(windows(series[3:], [49, 54]))
    np.testing.assert_allclose(shifted, full, atol=1e-3)
    np.testing.assert_allclose(full[0], 16 + 0.25 * np.arange(1, 4) + PATTERN[1:], atol=1e-3)


def test_at_the_last_training_row_theta_is_statsmodels_theta():
    """Fitted on the rows up to the last training target, the forecast from that row is
    statsmodels' ``ThetaModel(rows, period=24).fit().forecast(3)``, season and all."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    rng = np.random.default_rng(0)
    t = np.arange(200)
    series = 50.0 + 0.1 * t + 10.0 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, 200)
    model = theta(season=24)
    model.fit(windows(series, [150, 170, 196]))  # the last training target: row 199
    expected = np.asarray(ThetaModel(series, period=24).fit().forecast(3))
    np.testing.assert_allclose(model.predict(windows(series, [199])), [expected], rtol=1e-12)


@pytest.mark.parametrize("name", ["ets", "theta"])
def test_a_differenced_target_changes_no_statistical_forecast(name):
    """ets and theta read the series in original units and forecast original units: the
    ``difference`` target transform (for the models that learn the change from the origin)
    gives the same forecasts as none."""
    rng = np.random.default_rng(1)
    series = 100.0 + 0.5 * np.arange(80) + rng.normal(0, 1, 80)
    target = {"kind": "standard", "columns": ["y"], "scale": [1.0], "shift": [0.0]}
    forecasts = []
    for transform in (None, "difference"):
        units = {"features": None, "target": {**target, "transform": transform}, "steps": [1, 2, 3]}
        model = catalog.create(name, fc.Settings(units=units))
        model.fit(windows(series, [40, 50, 60]))
        forecasts.append(model.predict(windows(series, [70, 75])))
    np.testing.assert_array_equal(forecasts[0], forecasts[1])
