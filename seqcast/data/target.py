"""Target: for every origin row, the target column ``s`` rows later for each forecast step ``s``
(``data['y'] = data['AvgTemp'].shift(-1)`` in the course notes, for the steps ``[1]``; the
course notes' many-to-many form for the steps ``[1, .., H]``). Only the trailing rows without
every step's target are dropped.

Known-future covariates are added for every step: the calendar of the step's target time as
``target_*`` columns and the spec's ``known_future`` columns at that time as ``known_*``.

Column names: the first step keeps the plain names (``y``, ``target_time``, ``target_hour_sin``,
``known_temp``); every further step ``s`` has them suffixed ``@s`` (``y@3``). With one step
the frame is exactly the single-step frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from seqcast.spec.dataset import DatasetSpec
from seqcast.spec.timeindex import calendar, times_of


def step_column(name: str, step: int, steps: Sequence[int]) -> str:
    """The frame's column ``name`` for one step: ``name`` for the first, ``name@<step>`` after."""
    return name if step == steps[0] else f"{name}@{step}"


def step_columns(name: str, steps: Sequence[int]) -> list[str]:
    """The frame's column ``name`` for every step: ``[name, name@s2, name@s3, ..]``."""
    return [step_column(name, s, steps) for s in steps]


def add_target(frame: pd.DataFrame, spec: DatasetSpec, steps: Sequence[int]) -> pd.DataFrame:
    """A new frame with ``y``, ``target_time``, ``target_*`` and ``known_*`` columns per step
    (:func:`step_columns`) and ``y_gap`` (a target of some step lies in a flagged gap)."""
    steps = list(steps)
    if not steps or min(steps) < 1 or steps != sorted(set(steps)):
        raise ValueError(f"steps must be increasing and >= 1, got {steps}")
    last = steps[-1]
    out = frame.copy()
    y_gap = np.zeros(len(out), dtype=bool)
    new: dict[str, object] = {}
    for s in steps:
        new[step_column("y", s, steps)] = out[spec.target].shift(-s)
        y_gap |= out["gap"].shift(-s, fill_value=True).astype(bool).to_numpy()
        target_steps = out["step"].to_numpy(np.int64) + s
        new[step_column("target_time", s, steps)] = times_of(target_steps, spec.time_index)
        for name, values in calendar(target_steps, spec.time_index, spec.covariates).items():
            new[step_column(f"target_{name}", s, steps)] = values
        for name in spec.known_future:  # in raw units; each fit scales them like the column
            new[step_column(f"known_{name}", s, steps)] = out[name].shift(-s)
    out = pd.concat([out, pd.DataFrame(new, index=out.index)], axis=1)
    # keep the single-step frame's column order: y, y_gap, target_time, target_*, known_*
    out.insert(out.columns.get_loc("y") + 1, "y_gap", y_gap)
    return out.iloc[: len(out) - last].reset_index(drop=True)
