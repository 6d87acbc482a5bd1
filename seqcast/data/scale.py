"""Scale: fitted on training rows only, stored as JSON (never pickle), exactly invertible.

A fitted scaler is an affine map per column, ``scaled = raw * scale + shift``, taken from a
scikit-learn ``MinMaxScaler`` or ``StandardScaler`` fitted on the training rows. How a fit's
target is mapped (log1p, difference, ...) is ``seqcast.data.target_transform``.
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
