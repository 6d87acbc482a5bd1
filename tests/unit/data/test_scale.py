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


def test_log1p_target_round_trip_by_hand():
    """Training targets 0, e-1, e²-1: log1p gives 0, 1, 2 (mean 1, sd sqrt(2/3)); e-1 maps to
    0 in model units, and every value comes back exactly in original units."""
    import math

    from seqcast.data.scale import target_document, to_model_units, to_original_units

    y = np.array([0.0, math.e - 1, math.e**2 - 1])
    doc = target_document(y, "log1p")
    z = to_model_units(y, doc)
    np.testing.assert_allclose(z, [-1 / math.sqrt(2 / 3), 0.0, 1 / math.sqrt(2 / 3)], atol=1e-12)
    np.testing.assert_allclose(to_original_units(z, {"target": doc}), y, atol=1e-9)


def test_log1p_target_refuses_negative_training_targets():
    """log1p of a negative target is undefined: a clear error, not NaN training."""
    import pytest

    from seqcast.data.scale import target_document

    with pytest.raises(ValueError, match="target >= 0"):
        target_document(np.array([1.0, -2.0]), "log1p")


def test_difference_target_round_trip_by_hand():
    """Two windows with origin values 10 and 20 and two steps each: targets 11, 13 and 18,
    26 are the changes 1, 3, -2, 6 (mean 2, sd sqrt(8.5)), standardised; back in original
    units they come back exactly, added to their own window's origin. Without the origins
    there is nothing to add them to: a clear error."""
    import math

    from seqcast.data.scale import (
        relative,
        target_document,
        to_model_units,
        to_original_units,
    )

    y = np.array([[11.0, 13.0], [18.0, 26.0]])  # (samples, steps)
    origin = np.array([10.0, 20.0])
    doc = target_document(y, "difference", origin)
    assert doc["transform"] == "difference" and relative({"target": doc})
    z = to_model_units(y, doc, origin)
    sd = math.sqrt(8.5)
    np.testing.assert_allclose(z, [[-1 / sd, 1 / sd], [-4 / sd, 4 / sd]], atol=1e-12)
    np.testing.assert_allclose(to_original_units(z, {"target": doc}, origin), y, atol=1e-9)
    with pytest.raises(ValueError, match="origin value"):
        to_original_units(z, {"target": doc})
    assert not relative({"target": None}) and not relative(None)


def test_a_differenced_fit_reads_the_target_relative_to_its_origin():
    """Window rows (target, other) = (5, 1), (7, 2), (6, 3) with the target in column 0:
    the model reads the target as -1, 1, 0 (minus the origin's 6) and the other column as
    it was. Without a difference target the window is read as it is."""
    from seqcast.data.scale import model_inputs_of

    x = np.array([[[5.0, 1.0], [7.0, 2.0], [6.0, 3.0]]], np.float32)  # (1, 3, 2)
    units = {"target": {"transform": "difference", "origin_feature": 0}}
    got = model_inputs_of(x, units)
    assert got[0].tolist() == [[-1.0, 1.0], [1.0, 2.0], [0.0, 3.0]]
    assert x[0, 0, 0] == 5.0  # the input is not changed in place
    assert model_inputs_of(x, {"target": None}) is x


def test_normalised_target_round_trip_by_hand():
    """Two windows of the target alone (feature scale 2: the fit's units are twice the
    original), original values 1, 3 (spread 1, origin 3) and 10, 20 (spread 5, origin 20).
    Targets 4, 5 and 30, 15 are the changes 1, 2 and 10, -5, divided by their window's spread:
    1, 2, 2, -1 (mean 1, sd sqrt(1.5)), standardised; back in original units they come back
    exactly, each multiplied by its own window's spread and added to its own origin."""
    import math

    from seqcast.data.scale import (
        relative,
        target_document,
        to_model_units,
        to_original_units,
        window_spread,
    )

    x = np.array([[[2.0], [6.0]], [[20.0], [40.0]]], np.float32)  # (2, 2, 1), fit units
    y = np.array([[4.0, 5.0], [30.0, 15.0]])  # (samples, steps), original units
    origin = np.array([3.0, 20.0])
    doc = target_document(y, "normalize", origin, 0, x=x, feature_scale=2.0)
    assert doc["transform"] == "normalize" and relative({"target": doc})
    assert doc["spread_floor"] == 0.1 * 3.0  # a tenth of the median spread (1 and 5)
    np.testing.assert_allclose(window_spread(x, doc), [1.0, 5.0])
    z = to_model_units(y, doc, origin, x)
    sd = math.sqrt(1.5)
    np.testing.assert_allclose(z, [[0.0, 1 / sd], [1 / sd, -2 / sd]], atol=1e-12)
    np.testing.assert_allclose(to_original_units(z, {"target": doc}, origin, x), y, atol=1e-9)
    with pytest.raises(ValueError, match="window's own target values"):
        to_original_units(z, {"target": doc}, origin)  # no windows: no spread
    with pytest.raises(ValueError, match="use difference"):
        target_document(y, "normalize", origin, None, x=x, feature_scale=2.0)


def test_a_flat_window_is_divided_by_the_floor_not_by_zero():
    """Spreads 0, 2 and 4 (feature scale 1): the floor is a tenth of the median, 0.2, so the
    flat window's change is measured in 0.2s."""
    from seqcast.data.scale import target_document, window_spread

    x = np.array([[[5.0], [5.0]], [[0.0], [4.0]], [[0.0], [8.0]]], np.float32)  # (3, 2, 1)
    doc = target_document(np.ones((3, 1)), "normalize", np.ones(3), 0, x=x, feature_scale=1.0)
    np.testing.assert_allclose(window_spread(x, doc), [0.2, 2.0, 4.0])


def test_a_normalised_fit_reads_the_window_as_its_shape():
    """Window rows (target, other) = (5, 1), (7, 2), (6, 3), the target in column 0 at feature
    scale 2 (so its spread in original units is sd(5, 7, 6) / 2): the model reads the target
    as its change from the origin in units of the window's own spread, -1, 1, 0 divided by
    sd(5, 7, 6), and the other column as it was."""
    from seqcast.data.scale import model_inputs_of

    x = np.array([[[5.0, 1.0], [7.0, 2.0], [6.0, 3.0]]], np.float32)  # (1, 3, 2)
    units = {
        "target": {
            "transform": "normalize",
            "origin_feature": 0,
            "feature_scale": 2.0,
            "spread_floor": 0.01,
        }
    }
    got = model_inputs_of(x, units)
    sd = float(np.std([5.0, 7.0, 6.0]))
    np.testing.assert_allclose(got[0, :, 0], [-1 / sd, 1 / sd, 0.0], rtol=1e-6)
    assert got[0, :, 1].tolist() == [1.0, 2.0, 3.0]
    x2 = x.copy()
    x2[0, :, 0] = x2[0, :, 0] * 10 + 100  # ten times the size, another level: the same shape
    np.testing.assert_allclose(model_inputs_of(x2, units)[0, :, 0], got[0, :, 0], rtol=1e-5)
