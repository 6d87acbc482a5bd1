"""Target: ``y`` = the target column shifted by ``-horizon`` (``data['y'] = data['AvgTemp']
.shift(-1)`` in the course notes). Only the trailing rows without a future target are dropped.
Known-future covariates are added: the calendar of the target time as ``target_*`` columns and
the spec's ``known_future`` columns at the target time as ``known_*`` columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seqcast.spec.dataset import DatasetSpec
from seqcast.spec.timeindex import calendar, times_of


def add_target(frame: pd.DataFrame, spec: DatasetSpec, horizon: int) -> pd.DataFrame:
    """Return a new frame with ``y``, ``y_gap``, ``target_time`` and ``target_*`` columns."""
    if horizon < 1:
        raise ValueError("horizon must be >= 1")
    out = frame.copy()
    out["y"] = out[spec.target].shift(-horizon)
    out["y_gap"] = out["gap"].shift(-horizon, fill_value=True).astype(bool)
    target_steps = out["step"].to_numpy(np.int64) + horizon
    out["target_time"] = times_of(target_steps, spec.time_index)
    for name, values in calendar(target_steps, spec.time_index, spec.covariates).items():
        out[f"target_{name}"] = values
    for name in spec.known_future:  # in raw units; each fit scales them like the column itself
        out[f"known_{name}"] = out[name].shift(-horizon)
    return out.iloc[: len(out) - horizon].reset_index(drop=True)
