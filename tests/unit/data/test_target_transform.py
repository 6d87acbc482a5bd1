"""Target transforms as objects: each fitted on training targets only, to model units and
back by hand, stored and read back as the same transform."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from seqcast.data.scale import AffineScaler
from seqcast.data.target_transform import (
    RELATIVE,
    TRANSFORMS,
    Difference,
    Normalize,
    TargetData,
    TargetTransform,
    fit_target_transform,
    target_transform_of,
)

UNIT = AffineScaler("standard", ["y"], np.ones(1), np.zeros(1))  # an affine map that does nothing


def test_log1p_target_round_trip_by_hand():
    """Training targets 0, e-1, e²-1: log1p gives 0, 1, 2 (mean 1, sd sqrt(2/3)); e-1 maps to
    0 in model units, and every value comes back exactly in original units."""
    y = np.array([[0.0], [math.e - 1], [math.e**2 - 1]])
    t = fit_target_transform("log1p", TargetData(y=y))
    z = t.to_model(y)
    np.testing.assert_allclose(
        z[:, 0], [-1 / math.sqrt(2 / 3), 0.0, 1 / math.sqrt(2 / 3)], atol=1e-12
    )
    np.testing.assert_allclose(t.to_original(z), y, atol=1e-9)


def test_log1p_target_refuses_negative_training_targets():
    """log1p of a negative target is undefined: a clear error, not NaN training."""
    with pytest.raises(ValueError, match="target >= 0"):
        fit_target_transform("log1p", TargetData(y=np.array([1.0, -2.0])))


def test_scale_maps_the_training_range_to_the_unit_interval():
    """minmax on training targets 10..30: 20 is 0.5 in model units, 40 (beyond the training
    range) 1.5, and both come back."""
    t = fit_target_transform("scale", TargetData(y=np.array([[10.0], [30.0]]), kind="minmax"))
    z = t.to_model(np.array([[20.0], [40.0]]))
    assert z[:, 0].tolist() == pytest.approx([0.5, 1.5])
    assert t.to_original(z)[:, 0].tolist() == pytest.approx([20.0, 40.0])


def test_difference_target_round_trip_by_hand():
    """Two windows with origin values 10 and 20 and two steps each: targets 11, 13 and 18,
    26 are the changes 1, 3, -2, 6 (mean 2, sd sqrt(8.5)), standardised; back in original
    units they come back exactly, added to their own window's origin. Without the origins
    there is nothing to add them to: a clear error."""
    y = np.array([[11.0, 13.0], [18.0, 26.0]])  # (samples, steps)
    origin = np.array([10.0, 20.0])
    t = fit_target_transform("difference", TargetData(y=y, origins=origin))
    assert t.to_dict()["transform"] == "difference" and t.relative
    z = t.to_model(y, origin)
    sd = math.sqrt(8.5)
    np.testing.assert_allclose(z, [[-1 / sd, 1 / sd], [-4 / sd, 4 / sd]], atol=1e-12)
    np.testing.assert_allclose(t.to_original(z, origin), y, atol=1e-9)
    with pytest.raises(ValueError, match="origin value"):
        t.to_original(z)
    assert not target_transform_of(None).relative


def test_a_differenced_fit_reads_the_target_relative_to_its_origin():
    """Window rows (target, other) = (5, 1), (7, 2), (6, 3) with the target in column 0:
    the model reads the target as -1, 1, 0 (minus the origin's 6) and the other column as
    it was. Without a difference target the window is read as it is."""
    x = np.array([[[5.0, 1.0], [7.0, 2.0], [6.0, 3.0]]], np.float32)  # (1, 3, 2)
    got = Difference(UNIT, origin_feature=0).model_inputs(x)
    assert got[0].tolist() == [[-1.0, 1.0], [1.0, 2.0], [0.0, 3.0]]
    assert x[0, 0, 0] == 5.0  # the input is not changed in place
    assert target_transform_of(None).model_inputs(x) is x


def test_normalised_target_round_trip_by_hand():
    """Two windows of the target alone (feature scale 2: the fit's units are twice the
    original), original values 1, 3 (spread 1, origin 3) and 10, 20 (spread 5, origin 20).
    Targets 4, 5 and 30, 15 are the changes 1, 2 and 10, -5, divided by their window's spread:
    1, 2, 2, -1 (mean 1, sd sqrt(1.5)), standardised; back in original units they come back
    exactly, each multiplied by its own window's spread and added to its own origin."""
    x = np.array([[[2.0], [6.0]], [[20.0], [40.0]]], np.float32)  # (2, 2, 1), fit units
    y = np.array([[4.0, 5.0], [30.0, 15.0]])  # (samples, steps), original units
    origin = np.array([3.0, 20.0])
    data = TargetData(y=y, origins=origin, origin_feature=0, x=x, feature_scale=2.0)
    t = fit_target_transform("normalize", data)
    assert isinstance(t, Normalize) and t.relative
    assert t.spread_floor == 0.1 * 3.0  # a tenth of the median spread (1 and 5)
    np.testing.assert_allclose(t.window_spread(x), [1.0, 5.0])
    z = t.to_model(y, origin, x)
    sd = math.sqrt(1.5)
    np.testing.assert_allclose(z, [[0.0, 1 / sd], [1 / sd, -2 / sd]], atol=1e-12)
    np.testing.assert_allclose(t.to_original(z, origin, x), y, atol=1e-9)
    with pytest.raises(ValueError, match="window's own target values"):
        t.to_original(z, origin)  # no windows: no spread
    with pytest.raises(ValueError, match="use difference"):
        fit_target_transform("normalize", TargetData(y=y, origins=origin, x=x, feature_scale=2.0))


def test_a_flat_window_is_divided_by_the_floor_not_by_zero():
    """Spreads 0, 2 and 4 (feature scale 1): the floor is a tenth of the median, 0.2, so the
    flat window's change is measured in 0.2s."""
    x = np.array([[[5.0], [5.0]], [[0.0], [4.0]], [[0.0], [8.0]]], np.float32)  # (3, 2, 1)
    data = TargetData(
        y=np.ones((3, 1)), origins=np.ones(3), origin_feature=0, x=x, feature_scale=1.0
    )
    t = fit_target_transform("normalize", data)
    np.testing.assert_allclose(t.window_spread(x), [0.2, 2.0, 4.0])


def test_a_normalised_fit_reads_the_window_as_its_shape():
    """Window rows (target, other) = (5, 1), (7, 2), (6, 3), the target in column 0 at feature
    scale 2 (so its spread in original units is sd(5, 7, 6) / 2): the model reads the target
    as its change from the origin in units of the window's own spread, -1, 1, 0 divided by
    sd(5, 7, 6), and the other column as it was."""
    x = np.array([[[5.0, 1.0], [7.0, 2.0], [6.0, 3.0]]], np.float32)  # (1, 3, 2)
    t = Normalize(UNIT, origin_feature=0, feature_scale=2.0, spread_floor=0.01)
    got = t.model_inputs(x)
    sd = float(np.std([5.0, 7.0, 6.0]))
    np.testing.assert_allclose(got[0, :, 0], [-1 / sd, 1 / sd, 0.0], rtol=1e-6)
    assert got[0, :, 1].tolist() == [1.0, 2.0, 3.0]
    x2 = x.copy()
    x2[0, :, 0] = x2[0, :, 0] * 10 + 100  # ten times the size, another level: the same shape
    np.testing.assert_allclose(t.model_inputs(x2)[0, :, 0], got[0, :, 0], rtol=1e-5)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_every_transform_round_trips_through_its_stored_form(name):
    """Fitted, stored as JSON (the fit's ``scaler.json`` ``target`` entry) and read back, each
    transform is the same one: the same document, the same model units and the same
    forecasts in original units."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 4, 2)).astype(np.float32)  # (samples, timesteps, features)
    y = np.abs(rng.normal(5, 2, size=(20, 3)))  # (samples, steps)
    origin = rng.normal(5, 1, size=20)
    data = TargetData(y=y, origins=origin, origin_feature=1, x=x, feature_scale=0.5)
    fitted = fit_target_transform(name, data)
    stored = json.loads(json.dumps(fitted.to_dict()))
    back = target_transform_of(stored)
    assert type(back) is type(fitted) and back.name == name
    assert back.to_dict() == fitted.to_dict()
    np.testing.assert_array_equal(back.to_model(y, origin, x), fitted.to_model(y, origin, x))
    z = rng.normal(size=(20, 3))
    np.testing.assert_array_equal(back.to_original(z, origin, x), fitted.to_original(z, origin, x))
    np.testing.assert_allclose(back.to_original(back.to_model(y, origin, x), origin, x), y)
    assert (name in RELATIVE) == back.relative


def test_an_unknown_transform_is_named_with_the_choices():
    with pytest.raises(ValueError, match="no target transform 'sqrt'; choose from"):
        fit_target_transform("sqrt", TargetData(y=np.ones((2, 1))))
    assert isinstance(target_transform_of(None), TargetTransform)
