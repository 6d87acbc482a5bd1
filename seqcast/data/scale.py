"""Scale: fitted on training rows only, stored as JSON (never pickle), exactly invertible.

A fitted scaler is an affine map per column, ``scaled = raw * scale + shift``, taken from a
scikit-learn ``MinMaxScaler`` or ``StandardScaler`` fitted on the training rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqcast.spec.choices import ScalerKind

# a target document's keys that are not the affine map's statistics
_TARGET_KEYS = ("transform", "origin_feature", "feature_scale", "spread_floor")


@dataclass(frozen=True)
class AffineScaler:
    kind: ScalerKind
    names: list[str]
    scale: np.ndarray  # (features,)
    shift: np.ndarray  # (features,)
    stats: dict = field(default_factory=dict)  # data_min/data_max or mean/std, per column

    def transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) * self.scale + self.shift

    def inverse(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.shift) / self.scale

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "columns": self.names,
            "scale": self.scale.tolist(),
            "shift": self.shift.tolist(),
            **{k: list(map(float, v)) for k, v in self.stats.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> AffineScaler:
        stat_keys = [k for k in d if k not in ("kind", "columns", "scale", "shift", *_TARGET_KEYS)]
        return cls(
            kind=d["kind"],
            names=list(d["columns"]),
            scale=np.asarray(d["scale"], dtype=np.float64),
            shift=np.asarray(d["shift"], dtype=np.float64),
            stats={k: np.asarray(d[k], dtype=np.float64) for k in stat_keys},
        )


def scale_known(covariates: np.ndarray, names: list[str], scaler: AffineScaler) -> np.ndarray:
    """Covariates (samples, steps, covariates) with every ``known_<col>`` in ``col``'s units
    under ``scaler`` (as the column itself is fed); calendar covariates are left as they are."""
    out = np.array(covariates, dtype=np.float64)  # a copy
    for i, name in enumerate(names):
        if name.startswith("known_"):
            j = scaler.names.index(name.removeprefix("known_"))
            out[..., i] = out[..., i] * scaler.scale[j] + scaler.shift[j]
    return out.astype(np.float32)


RELATIVE = ("difference", "normalize")  # target transforms taken relative to each window


def to_original_units(values, scaler_doc: dict, origin=None, x=None) -> np.ndarray:
    """Model outputs (samples, steps) back in the target's original units, same shape, given
    a ``scaler.json`` document (unchanged when the target was not scaled; one affine map
    serves every step). A ``log1p`` target is standardised log(1 + y): inverted by the affine
    map, then ``expm1``. A ``difference`` target is the change from the origin, standardised:
    inverted by the affine map, then added to ``origin`` (samples,), the value at each
    window's origin. A ``normalize`` target is that change divided by the window's own spread
    (:func:`window_spread`, read from ``x``, the windows in the fit's units): inverted by the
    affine map, multiplied by the spread, then added to ``origin``."""
    values = np.asarray(values, dtype=np.float64)
    target = scaler_doc["target"]
    if target is None:
        return values
    out = AffineScaler.from_dict(target).inverse(values.reshape(-1, 1)).reshape(values.shape)
    if target.get("transform") == "log1p":
        return np.expm1(out)
    if target.get("transform") in RELATIVE:
        level, spread = _frame(target, origin, x, len(values))
        return out * spread + level
    return out


def to_model_units(y_raw, target: dict, origin=None, x=None) -> np.ndarray:
    """The inverse of :func:`to_original_units` for one target document, same shape."""
    y = np.asarray(y_raw, dtype=np.float64)
    if target.get("transform") == "log1p":
        y = np.log1p(y)
    elif target.get("transform") in RELATIVE:
        y = _change(y, target, origin, x).reshape(np.shape(y_raw))
    return AffineScaler.from_dict(target).transform(y.reshape(-1, 1)).reshape(y.shape)


def relative(scaler_doc: dict | None) -> bool:
    """Whether the fit's target is taken relative to each window's origin (``difference``
    or ``normalize``): what a model adds the origin's value back to."""
    return _target_of(scaler_doc).get("transform") in RELATIVE


def normalised(scaler_doc: dict | None) -> bool:
    """Whether the fit's target is the change in units of the window's spread (``normalize``)."""
    return _target_of(scaler_doc).get("transform") == "normalize"


def to_relative(y_raw, scaler_doc: dict | None, x, origin) -> np.ndarray:
    """Targets (samples, steps) in original units as a relative fit's models learn them, in
    original units' scale: ``y - origin`` (``difference``) or ``(y - origin) / spread``
    (``normalize``). ``x``: the windows (samples, timesteps, features) in the fit's units."""
    return _change(y_raw, _target_of(scaler_doc), origin, x)


def from_relative(values, scaler_doc: dict | None, x, origin) -> np.ndarray:
    """The inverse of :func:`to_relative`: (samples, steps) in original units."""
    out = np.asarray(values, dtype=np.float64).reshape(len(values), -1)  # (samples, steps)
    level, spread = _frame(_target_of(scaler_doc), origin, x, len(out))
    return out * spread + level


def window_spread(x, target: dict) -> np.ndarray:
    """(samples,) each window's own spread of the target, in original units: the standard
    deviation of the target's feature over the window's rows, never below the document's
    ``spread_floor`` (a tenth of the median over the training windows), so a flat window is
    not divided by zero. Read from the window alone: nothing of the rows it forecasts.
    ``x``: (samples, timesteps, features) in the fit's units."""
    j = target.get("origin_feature")
    if j is None or x is None:
        raise ValueError("a normalised target needs each window's own target values")
    feature = np.asarray(x, dtype=np.float64)[:, :, int(j)]  # (samples, timesteps)
    spread = feature.std(axis=1) / abs(float(target["feature_scale"]))  # original units
    return np.maximum(spread, float(target["spread_floor"]))


def model_inputs_of(x: np.ndarray, scaler_doc: dict | None) -> np.ndarray:
    """The window as a model of this fit reads it. With a ``difference`` target the target's
    own feature is taken relative to its value at the origin (``x - x[last]``, in the fit's
    units), so the window shows the recent changes, never the level: a level past the
    training range looks like any other. With a ``normalize`` target that change is also
    divided by the window's own spread (in the feature's units), so the window shows its
    shape, never its level or size. Otherwise ``x`` itself.
    ``x``: (samples, timesteps, features), same shape out."""
    target = _target_of(scaler_doc)
    j = target.get("origin_feature")
    if target.get("transform") not in RELATIVE or j is None:
        return x
    out = np.array(x, dtype=np.float32, copy=True)
    out[:, :, j] -= out[:, -1:, j]  # (samples, timesteps) minus (samples, 1)
    if target["transform"] == "normalize":
        spread = window_spread(x, target) * abs(float(target["feature_scale"]))  # (samples,)
        out[:, :, j] /= spread[:, None].astype(np.float32)
    return out


def _target_of(scaler_doc: dict | None) -> dict:
    return (scaler_doc or {}).get("target") or {}


def _frame(target: dict, origin, x, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Each window's level (its origin value) and the size its change is measured in
    (1 for ``difference``, the window's spread for ``normalize``), as (samples, 1) columns."""
    level = _origin(origin, samples)
    if target.get("transform") != "normalize":
        return level, np.ones_like(level)
    spread = window_spread(x, target).reshape(-1, 1)  # (samples, 1)
    if len(spread) != samples:
        raise ValueError(f"{len(spread)} window(s) for {samples} target row(s)")
    return level, spread


def _change(y_raw, target: dict, origin, x) -> np.ndarray:
    """A relative target's change from each origin, in its size: (samples, steps)."""
    y = np.asarray(y_raw, dtype=np.float64)
    level, spread = _frame(target, origin, x, len(y))
    return (y.reshape(len(y), -1) - level) / spread


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


def target_document(
    y_train_raw: np.ndarray,
    transform: str,
    origin=None,
    origin_feature: int | None = None,
    x=None,
    feature_scale: float | None = None,
) -> dict:
    """The target's model units for ``transform`` ``"log1p"`` (log(1 + y) standardised on the
    training targets, given in original units, which must be >= 0), ``"difference"`` (the
    change ``y - origin`` from each window's origin value, standardised on the training
    windows; ``origin_feature``: the target's column among the window's features, which
    :func:`model_inputs_of` takes relative to the origin) or ``"normalize"`` (that change
    divided by each window's own spread, :func:`window_spread`, then standardised; ``x``:
    the training windows in the fit's units, ``feature_scale``: the fit's scale of the
    target's feature). A ``scaler.json`` ``target`` entry with its ``"transform"``."""
    y = np.asarray(y_train_raw, dtype=np.float64)
    if transform in RELATIVE:
        doc: dict = {"transform": transform, "origin_feature": origin_feature}
        if transform == "normalize":
            if origin_feature is None or x is None or not feature_scale:
                raise ValueError(
                    "normalize needs the target among the window's features; "
                    "use difference for this dataset"
                )
            doc |= {"feature_scale": float(feature_scale), "spread_floor": 0.0}
            spreads = window_spread(x, doc)  # (samples,) the training windows', unfloored
            floor = 0.1 * float(np.median(spreads)) if len(spreads) else 0.0
            doc["spread_floor"] = floor or 1.0
        change = _change(y, doc, origin, x)  # (samples, steps)
        fitted = fit_scaler(change.reshape(-1, 1), ["y"], "standard").to_dict()
        return {**fitted, **doc}
    y = y.reshape(-1)
    if transform != "log1p":
        raise ValueError(f"no target document for transform {transform!r}")
    if (y < 0).any():
        raise ValueError("log1p needs a target >= 0; the training targets include negatives")
    log_doc = fit_scaler(np.log1p(y)[:, None], ["y"], "standard").to_dict()
    return {**log_doc, "transform": "log1p"}


def fit_scaler(x: np.ndarray, names: list[str], kind: ScalerKind) -> AffineScaler:
    """Fit on ``x`` (training rows only; missing values are ignored). ``x``: (rows, columns)."""
    from sklearn.preprocessing import MinMaxScaler, StandardScaler  # slow to import: on use

    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if kind == "minmax":
        mm = MinMaxScaler().fit(x)
        return AffineScaler(
            kind,
            list(names),
            mm.scale_.copy(),
            mm.min_.copy(),
            {"data_min": mm.data_min_.copy(), "data_max": mm.data_max_.copy()},
        )
    st = StandardScaler().fit(x)
    return AffineScaler(
        kind,
        list(names),
        1.0 / st.scale_,
        -st.mean_ / st.scale_,
        {"mean": st.mean_.copy(), "std": st.scale_.copy()},
    )
