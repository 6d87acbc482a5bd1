"""Scaling: fitted on training rows only, JSON round trip, exact inverse."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqcast.data.scale import AffineScaler, fit_scaler


def test_minmax_maps_training_range_to_unit_interval():
    """Training min -> 0, max -> 1; later values outside the range stay outside."""
    train = np.array([[0.0, 10.0], [5.0, 20.0], [10.0, 30.0]])
    sc = fit_scaler(train, ["a", "b"], "minmax")
    assert sc.transform(train).tolist() == [[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]
    assert sc.transform(np.array([[20.0, 0.0]])).tolist() == [[2.0, -0.5]]
    assert sc.stats["data_min"].tolist() == [0.0, 10.0]
    assert sc.stats["data_max"].tolist() == [10.0, 30.0]


def test_standard_scaler_centres_training_rows():
    """StandardScaler: training mean -> 0, unit variance."""
    train = np.array([[1.0], [2.0], [3.0]])
    sc = fit_scaler(train, ["a"], "standard")
    assert sc.transform(train)[:, 0] == pytest.approx([-1.2247449, 0.0, 1.2247449])


@pytest.mark.parametrize("kind", ["minmax", "standard"])
def test_json_round_trip_and_inverse(kind):
    """Saved as JSON and loaded back, the scaler inverts its own transform exactly."""
    rng = np.random.default_rng(0)
    x = rng.normal(50, 20, size=(30, 3))
    sc = fit_scaler(x, ["a", "b", "c"], kind)
    loaded = AffineScaler.from_dict(json.loads(json.dumps(sc.to_dict())))
    assert loaded.names == ["a", "b", "c"]
    np.testing.assert_allclose(loaded.inverse(loaded.transform(x)), x, rtol=1e-12)
    np.testing.assert_allclose(loaded.transform(x), sc.transform(x))


def test_missing_values_are_ignored_when_fitting():
    """NaN (rows in a flagged gap) does not change the fitted range and stays NaN."""
    sc = fit_scaler(np.array([[0.0], [np.nan], [4.0]]), ["a"], "minmax")
    out = sc.transform(np.array([[2.0], [np.nan]]))
    assert out[0, 0] == 0.5 and np.isnan(out[1, 0])
