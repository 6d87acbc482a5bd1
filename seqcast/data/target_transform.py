"""How a fit's models see the target: one object per target transform, fitted on the fit's
training targets only, mapping targets to the model's units and forecasts back.

In the style of mlforecast's target transforms: each transform fits, transforms, inverts and
stores itself (``to_dict``, the ``target`` of a fit's units, ``seqcast.data.units``; ``None`` for
original units), and :func:`target_transform_of` reads a stored one back. Every step is mapped
by one affine map fitted on all the steps' training targets.

============  =====================================  =========================================
name          the model learns                        back to original units
============  =====================================  =========================================
none          y                                       as is
scale         the ``scaler`` map of y                 the map's inverse
log1p         standardised log(1 + y)                 the inverse, then expm1
difference    standardised y - origin                 the inverse, plus the origin's value
normalize     standardised (y - origin) / spread      the inverse, times the spread, plus origin
============  =====================================  =========================================

``origin``: each window's value at its origin, (samples,). ``spread``: each window's own
spread of the target (:meth:`Normalize.spread`), read from the window alone. A relative
transform (difference, normalize) also shows the models the target's own feature relative to
the origin (:meth:`TargetTransform.model_inputs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from seqcast.data.scale import AffineScaler, fit_scaler
from seqcast.spec.choices import ScalerKind


@dataclass(frozen=True)
class TargetData:
    """What fitting a transform may read, all from the fit's training windows only.

    ``y``: the targets (samples, steps) in original units; ``kind``: the run's scaler (for
    ``scale``); ``origins``: each window's origin value (samples,); ``origin_feature``: the
    target's column among the window's features (None when the target is not a feature);
    ``x``: the windows (samples, timesteps, features) in the fit's units; ``feature_scale``:
    the fit's scale of the target's feature."""

    y: np.ndarray
    kind: ScalerKind = "minmax"
    origins: np.ndarray | None = None
    origin_feature: int | None = None
    x: np.ndarray | None = None
    feature_scale: float | None = None


class TargetTransform:
    """The identity: the model learns the target in original units (``none``)."""

    name: ClassVar[str] = "none"
    relative: ClassVar[bool] = False  # taken relative to each window's origin value

    @classmethod
    def fit(cls, data: TargetData) -> TargetTransform:
        return cls()

    def to_model(self, y_raw, origin=None, x=None) -> np.ndarray:
        """Targets (samples, steps) in original units -> the model's units, same shape."""
        return np.asarray(y_raw, dtype=np.float64)

    def to_original(self, values, origin=None, x=None) -> np.ndarray:
        """Model outputs (samples, steps) -> original units, same shape."""
        return np.asarray(values, dtype=np.float64)

    def model_inputs(self, x: np.ndarray) -> np.ndarray:
        """The window (samples, timesteps, features) as a model of this fit reads it."""
        return x

    def to_dict(self) -> dict | None:
        return None

    @classmethod
    def from_dict(cls, doc: dict, affine: AffineScaler) -> TargetTransform:
        """The stored transform (``doc``: what :meth:`to_dict` wrote; ``affine``: its map)."""
        return cls()


class _Affine(TargetTransform):
    """A transform that ends in one affine map (``AffineScaler``) over every step."""

    def __init__(self, affine: AffineScaler):
        self.affine = affine

    @classmethod
    def from_dict(cls, doc: dict, affine: AffineScaler) -> TargetTransform:
        return cls(affine)

    def _inverse(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        return self.affine.inverse(values.reshape(-1, 1)).reshape(values.shape)

    def _forward(self, y: np.ndarray) -> np.ndarray:
        return self.affine.transform(y.reshape(-1, 1)).reshape(y.shape)


class Scaled(_Affine):
    """The run's scaler (minmax or standard) fitted on the training targets (``scale``)."""

    name = "scale"

    @classmethod
    def fit(cls, data: TargetData) -> Scaled:
        return cls(fit_scaler(np.asarray(data.y).reshape(-1, 1), ["y"], data.kind))

    def to_model(self, y_raw, origin=None, x=None) -> np.ndarray:
        return self._forward(np.asarray(y_raw, dtype=np.float64))

    def to_original(self, values, origin=None, x=None) -> np.ndarray:
        return self._inverse(values)

    def to_dict(self) -> dict:
        return self.affine.to_dict()


class Log1p(_Affine):
    """log(1 + y), standardised on the training targets (which must be >= 0)."""

    name = "log1p"

    @classmethod
    def fit(cls, data: TargetData) -> Log1p:
        y = np.asarray(data.y, dtype=np.float64).reshape(-1)
        if (y < 0).any():
            raise ValueError("log1p needs a target >= 0; the training targets include negatives")
        return cls(fit_scaler(np.log1p(y)[:, None], ["y"], "standard"))

    def to_model(self, y_raw, origin=None, x=None) -> np.ndarray:
        return self._forward(np.log1p(np.asarray(y_raw, dtype=np.float64)))

    def to_original(self, values, origin=None, x=None) -> np.ndarray:
        return np.expm1(self._inverse(values))

    def to_dict(self) -> dict:
        return {**self.affine.to_dict(), "transform": "log1p"}


class Difference(_Affine):
    """The change from each window's origin value, standardised on the training windows."""

    name = "difference"
    relative = True

    def __init__(self, affine: AffineScaler, origin_feature: int | None):
        super().__init__(affine)
        self.origin_feature = origin_feature

    @classmethod
    def from_dict(cls, doc: dict, affine: AffineScaler) -> TargetTransform:
        return cls(affine, doc.get("origin_feature"))

    @classmethod
    def fit(cls, data: TargetData) -> Difference:
        fitted = cls._unfitted(data)  # its change, before the affine map
        change = fitted.change(data.y, data.x, data.origins)  # (samples, steps)
        fitted.affine = fit_scaler(change.reshape(-1, 1), ["y"], "standard")
        return fitted

    @classmethod
    def _unfitted(cls, data: TargetData) -> Difference:
        return cls(_IDENTITY, data.origin_feature)

    def spread(self, x, samples: int) -> np.ndarray:
        """(samples, 1): the size a change is measured in; 1 for a plain difference."""
        return np.ones((samples, 1))

    def change(self, y_raw, x, origin) -> np.ndarray:
        """Targets (samples, steps) in original units as the change from each origin, in its
        size, before the affine map."""
        y = np.asarray(y_raw, dtype=np.float64)
        level = _origin(origin, len(y))
        return (y.reshape(len(y), -1) - level) / self._sized(x, level)

    def from_change(self, values, x, origin) -> np.ndarray:
        """The inverse of :meth:`change`: (samples, steps) in original units."""
        out = np.asarray(values, dtype=np.float64).reshape(len(values), -1)  # (samples, steps)
        level = _origin(origin, len(out))
        return out * self._sized(x, level) + level

    def _sized(self, x, level: np.ndarray) -> np.ndarray:
        spread = self.spread(x, len(level))
        if len(spread) != len(level):
            raise ValueError(f"{len(spread)} window(s) for {len(level)} target row(s)")
        return spread

    def to_model(self, y_raw, origin=None, x=None) -> np.ndarray:
        y = self.change(y_raw, x, origin).reshape(np.shape(y_raw))
        return self._forward(y)

    def to_original(self, values, origin=None, x=None) -> np.ndarray:
        return self.from_change(self._inverse(values), x, origin).reshape(np.shape(values))

    def model_inputs(self, x: np.ndarray) -> np.ndarray:
        """The target's own feature relative to its value at the origin (``x - x[last]``, in
        the fit's units): the window shows the recent changes, never the level."""
        j = self.origin_feature
        if j is None:
            return x
        out = np.array(x, dtype=np.float32, copy=True)
        out[:, :, j] -= out[:, -1:, j]  # (samples, timesteps) minus (samples, 1)
        return out

    def to_dict(self) -> dict:
        return {
            **self.affine.to_dict(),
            "transform": self.name,
            "origin_feature": self.origin_feature,
        }


class Normalize(Difference):
    """The change from each window's origin divided by the window's own spread, standardised:
    the models see a window's shape, never its level or size."""

    name = "normalize"

    def __init__(
        self,
        affine: AffineScaler,
        origin_feature: int | None,
        feature_scale: float,
        spread_floor: float,
    ):
        super().__init__(affine, origin_feature)
        self.feature_scale = feature_scale
        self.spread_floor = spread_floor

    @classmethod
    def from_dict(cls, doc: dict, affine: AffineScaler) -> TargetTransform:
        return cls(
            affine,
            doc.get("origin_feature"),
            float(doc["feature_scale"]),
            float(doc["spread_floor"]),
        )

    @classmethod
    def _unfitted(cls, data: TargetData) -> Normalize:
        if data.origin_feature is None or data.x is None or not data.feature_scale:
            raise ValueError(
                "normalize needs the target among the window's features; "
                "use difference for this dataset"
            )
        unfloored = cls(_IDENTITY, data.origin_feature, float(data.feature_scale), 0.0)
        spreads = unfloored.window_spread(data.x)  # (samples,) the training windows'
        floor = 0.1 * float(np.median(spreads)) if len(spreads) else 0.0
        return cls(_IDENTITY, data.origin_feature, float(data.feature_scale), floor or 1.0)

    def window_spread(self, x) -> np.ndarray:
        """(samples,) each window's own spread of the target, in original units: the standard
        deviation of the target's feature over the window's rows, never below
        ``spread_floor`` (a tenth of the median over the training windows), so a flat window
        is not divided by zero. ``x``: (samples, timesteps, features) in the fit's units."""
        j = self.origin_feature
        if j is None or x is None:
            raise ValueError("a normalised target needs each window's own target values")
        feature = np.asarray(x, dtype=np.float64)[:, :, int(j)]  # (samples, timesteps)
        spread = feature.std(axis=1) / abs(self.feature_scale)  # original units
        return np.maximum(spread, self.spread_floor)

    def spread(self, x, samples: int) -> np.ndarray:
        return self.window_spread(x).reshape(-1, 1)  # (samples, 1)

    def model_inputs(self, x: np.ndarray) -> np.ndarray:
        """The relative window, its target feature also divided by the window's spread (in the
        feature's units)."""
        out = super().model_inputs(x)
        if self.origin_feature is None:
            return out
        spread = self.window_spread(x) * abs(self.feature_scale)  # (samples,)
        out[:, :, self.origin_feature] /= spread[:, None].astype(np.float32)
        return out

    def to_dict(self) -> dict:
        return {
            **super().to_dict(),
            "feature_scale": self.feature_scale,
            "spread_floor": self.spread_floor,
        }


TRANSFORMS: dict[str, type[TargetTransform]] = {
    c.name: c for c in (TargetTransform, Scaled, Log1p, Difference, Normalize)
}
RELATIVE = tuple(name for name, c in TRANSFORMS.items() if c.relative)  # difference, normalize
_IDENTITY = AffineScaler("standard", ["y"], np.ones(1), np.zeros(1))


def fit_target_transform(name: str, data: TargetData) -> TargetTransform:
    """The transform ``name`` (``none``, ``scale``, ``log1p``, ``difference``, ``normalize``)
    fitted on ``data``."""
    if name not in TRANSFORMS:
        raise ValueError(f"no target transform {name!r}; choose from {sorted(TRANSFORMS)}")
    return TRANSFORMS[name].fit(data)


def target_transform_of(doc: dict | None) -> TargetTransform:
    """The transform a stored document (what :meth:`TargetTransform.to_dict` wrote: the
    ``target`` of a fit's units) describes: the identity for None, ``scale`` when the document
    names no transform."""
    if doc is None:
        return TargetTransform()
    affine = AffineScaler.from_dict(doc)  # it reads the map's keys, not the transform's
    return TRANSFORMS[doc.get("transform") or Scaled.name].from_dict(doc, affine)


def _origin(origin, samples: int) -> np.ndarray:
    """The origins' values as a (samples, 1) column, checked."""
    if origin is None:
        raise ValueError(
            "a relative target (difference, normalize) needs each window's origin value y_last_raw"
        )
    out = np.asarray(origin, dtype=np.float64).reshape(-1, 1)  # (samples, 1)
    if len(out) != samples:
        raise ValueError(f"{len(out)} origin value(s) for {samples} window(s)")
    return out
