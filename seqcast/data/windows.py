"""Temporalize: for every row, the window of the ``timesteps`` rows ending at it, labelled with
that row's target (``temporalize(x, y, 4)`` in the course notes), built without a Python loop
over samples, and stored per split as parquet with ``x`` as a ``fixed_shape_tensor``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view


@dataclass(frozen=True)
class WindowSet:
    x: np.ndarray  # (samples, timesteps, features) float32, scaled
    y: np.ndarray  # (samples,) target as trained on (scaled when the target is scaled)
    y_raw: np.ndarray  # (samples,) target in original units
    target_time: np.ndarray  # (samples,) datetime64
    covariates: np.ndarray  # (samples, covariates) float32: calendar of the target time
    feature_names: list[str]
    covariate_names: list[str]
    meta: dict
    y_last_raw: np.ndarray | None = None  # (samples,) target at the window's last row
    y_seasonal_raw: np.ndarray | None = None  # (samples,) target one season before target_time

    def __len__(self) -> int:
        return len(self.y)


def window_ends(n_rows: int, timesteps: int, gap: np.ndarray, y_gap: np.ndarray) -> np.ndarray:
    """Boolean mask over rows: True where a full window ends there and touches no gap.

    A window ending at row ``i`` covers rows ``i - timesteps + 1 .. i``; its target is
    ``y[i]``. It is dropped when any input row or its target lies in a flagged gap.
    """
    ok = np.arange(n_rows) >= timesteps - 1
    gap_count = np.r_[0, np.cumsum(np.asarray(gap, dtype=np.int64))]  # (rows + 1,)
    ends = np.arange(n_rows)
    starts = np.clip(ends - timesteps + 1, 0, None)
    touches = gap_count[ends + 1] - gap_count[starts] > 0
    return ok & ~touches & ~np.asarray(y_gap, dtype=bool)


def make_windows(values: np.ndarray, timesteps: int, ends: np.ndarray) -> np.ndarray:
    """Windows ending at the row indices ``ends``.

    values: (rows, features) -> returns (len(ends), timesteps, features), a copy.
    """
    values = np.ascontiguousarray(values, dtype=np.float32)
    n_features = values.shape[1]
    # (rows - timesteps + 1, 1, timesteps, features) -> drop the singleton feature-window axis
    view = sliding_window_view(values, (timesteps, n_features))[:, 0]
    return view[np.asarray(ends) - timesteps + 1].copy()  # (samples, timesteps, features)


def to_table(ws: WindowSet) -> pa.Table:
    columns = {
        "x": pa.FixedShapeTensorArray.from_numpy_ndarray(np.ascontiguousarray(ws.x, np.float32)),
        "y": pa.array(ws.y.astype(np.float32)),
        "y_raw": pa.array(ws.y_raw.astype(np.float64)),
        "target_time": pa.array(pd.DatetimeIndex(ws.target_time).as_unit("ns")),
    }
    for name in ("y_last_raw", "y_seasonal_raw"):
        values = getattr(ws, name)
        if values is not None:
            columns[name] = pa.array(values.astype(np.float64))
    for i, name in enumerate(ws.covariate_names):
        columns[name] = pa.array(ws.covariates[:, i].astype(np.float32))
    meta = {
        "feature_names": ws.feature_names,
        "covariate_names": ws.covariate_names,
        **ws.meta,
    }
    table = pa.table(columns)
    return table.replace_schema_metadata({"seqcast": json.dumps(meta, default=str)})


def from_table(table: pa.Table) -> WindowSet:
    meta = json.loads(table.schema.metadata[b"seqcast"])
    feature_names = meta.pop("feature_names")
    covariate_names = meta.pop("covariate_names")
    x_col = table.column("x").combine_chunks()
    x = x_col.to_numpy_ndarray() if len(table) else np.zeros((0, 0, len(feature_names)))
    cov = (
        np.stack([table.column(c).to_numpy().astype(np.float32) for c in covariate_names], axis=1)
        if covariate_names
        else np.zeros((len(table), 0), np.float32)
    )
    return WindowSet(
        x=np.asarray(x, dtype=np.float32),
        y=table.column("y").to_numpy().astype(np.float32),
        y_raw=table.column("y_raw").to_numpy().astype(np.float64),
        target_time=table.column("target_time").to_numpy(),
        covariates=cov,
        feature_names=feature_names,
        covariate_names=covariate_names,
        meta=meta,
        y_last_raw=_optional(table, "y_last_raw"),
        y_seasonal_raw=_optional(table, "y_seasonal_raw"),
    )


def _optional(table: pa.Table, name: str) -> np.ndarray | None:
    if name not in table.column_names:
        return None
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
