"""Temporalize: for every row, the window of the ``timesteps`` rows ending at it, labelled with
that row's targets, one per forecast step (``temporalize(x, y, 4)`` in the course notes), built
without a Python loop over samples, and stored per split as parquet with ``x``, the targets,
their times and the covariates as ``fixed_shape_tensor`` columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view


@dataclass(frozen=True)
class WindowSet:
    x: np.ndarray  # (samples, timesteps, features) float32, scaled
    y: np.ndarray  # (samples, steps) target as trained on (scaled when the target is scaled)
    y_raw: np.ndarray  # (samples, steps) target in original units
    target_time: np.ndarray  # (samples, steps) datetime64: each step's target time
    covariates: np.ndarray  # (samples, steps, covariates) float32: each target time's calendar
    feature_names: list[str]
    covariate_names: list[str]  # the covariates of one step
    meta: dict
    y_last_raw: np.ndarray | None = None  # (samples,) target at the window's last row
    origin_row: np.ndarray | None = None  # (samples,) int: each origin's row in ``history``
    # (rows,) the target's whole series in original units (NaN where missing), shared by
    # every window; stored once per prepared dataset (``series.csv``), not per window
    history: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y)

    @property
    def steps(self) -> list[int]:
        """The steps ahead of the target columns, e.g. ``[1, .., 24]`` or ``[2]``."""
        return list(self.meta.get("steps") or [self.meta.get("horizon", 1)])

    @property
    def first_target_time(self) -> np.ndarray:
        """(samples,) the first step's target time: what orders and splits the windows."""
        return self.target_time[:, 0]


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


def _tensor(values: np.ndarray, dtype) -> pa.Array:
    # a copy in C order with canonical strides (a (n, 1) column of a frame may keep others)
    return pa.FixedShapeTensorArray.from_numpy_ndarray(np.array(values, dtype=dtype, order="C"))


def to_table(ws: WindowSet) -> pa.Table:
    ns = ws.target_time.astype("datetime64[ns]").astype(np.int64)  # (samples, steps)
    columns = {
        "x": _tensor(ws.x, np.float32),
        "y": _tensor(ws.y, np.float32),
        "y_raw": _tensor(ws.y_raw, np.float64),
        "target_time_ns": _tensor(ns, np.int64),
    }
    if ws.y_last_raw is not None:
        columns["y_last_raw"] = pa.array(ws.y_last_raw.astype(np.float64))
    if ws.origin_row is not None:
        columns["origin_row"] = pa.array(np.asarray(ws.origin_row, dtype=np.int64))
    if ws.covariates.shape[-1]:
        columns["covariates"] = _tensor(ws.covariates, np.float32)
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
    x = _array(table, "x")
    n_steps = len(meta.get("steps") or [1])
    cov = (
        _array(table, "covariates")
        if "covariates" in table.column_names
        else np.zeros((len(table), n_steps, 0), np.float32)
    )
    y_last = table.column("y_last_raw").to_numpy() if "y_last_raw" in table.column_names else None
    paths = {}
    if "origin_row" in table.column_names:
        paths["origin_row"] = table.column("origin_row").to_numpy().astype(np.int64)
    return WindowSet(
        x=x.astype(np.float32),
        y=_array(table, "y").astype(np.float32),
        y_raw=_array(table, "y_raw").astype(np.float64),
        target_time=_array(table, "target_time_ns").astype("datetime64[ns]"),
        covariates=cov.astype(np.float32),
        feature_names=feature_names,
        covariate_names=covariate_names,
        meta=meta,
        y_last_raw=None if y_last is None else y_last.astype(np.float64),
        **paths,
    )


def _array(table: pa.Table, name: str) -> np.ndarray:
    """A ``fixed_shape_tensor`` column as one array (samples, *shape), also when empty."""
    column = table.column(name)
    shape = tuple(column.type.shape)
    if len(table) == 0:
        return np.zeros((0, *shape), column.type.value_type.to_pandas_dtype())
    return np.asarray(column.combine_chunks().to_numpy_ndarray())
