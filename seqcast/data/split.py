"""Split chronologically, never shuffled, by target time.

Sizes count supervised rows from the end: test is the last block, validation the block before,
train everything earlier. So every training target time precedes every validation target time,
which precedes every test target time. Windows may read inputs from before a boundary.

When each origin forecasts several steps (``steps = [1, .., H]``), an origin's targets span
``H - 1`` rows after its first target: the last ``max(steps) - min(steps)`` rows of train and of
validation are labelled ``purged`` (in no split), so that no target of any step of one split
lies at or after the first target time of the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from seqcast.data.target import step_columns
from seqcast.errors import DataError, Problem
from seqcast.io.paths import SPLITS
from seqcast.spec.dataset import SplitSpec


@dataclass(frozen=True)
class SplitSizes:
    train: int
    val: int
    test: int


def split_sizes(n_rows: int, spec: SplitSpec, *, min_train: int, source: str) -> SplitSizes:
    """Row counts per split; raises DataError when ``n_rows`` cannot hold them."""
    if spec.unit == "rows":
        val, test = int(spec.val), int(spec.test)
    else:
        val, test = round(n_rows * spec.val), round(n_rows * spec.test)
        val, test = max(val, 1), max(test, 1)
    train = n_rows - val - test
    if train < min_train:
        raise DataError(
            source,
            "split",
            [
                Problem(
                    "(rows)",
                    f"too few rows: {n_rows} supervised row(s) give {val} validation + {test} "
                    f"test and leave {max(train, 0)} for training; at least {min_train} "
                    "training row(s) are needed",
                )
            ],
            hint="use a longer file, fewer timesteps or smaller split sizes",
        )
    return SplitSizes(train, val, test)


PURGED = "purged"  # the split label of rows whose later steps' targets cross a boundary


def split_chronologically(
    frame: pd.DataFrame,
    spec: SplitSpec,
    *,
    min_train: int,
    source: str,
    steps: list[int] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Return ``frame`` with a ``split`` column (train/val/test/purged) and each split's periods
    (``target_end``: the last step's target time of its last row)."""
    if not frame["target_time"].is_monotonic_increasing:
        raise ValueError("frame must be sorted by target time")
    steps = steps or [1]
    purge = max(steps) - min(steps)
    sizes = split_sizes(len(frame), spec, min_train=min_train + purge, source=source)
    if sizes.val <= purge:
        raise DataError(
            source,
            "split",
            [
                Problem(
                    "(rows)",
                    f"the validation split's {sizes.val} row(s) are all purged: forecasting "
                    f"steps {min(steps)}..{max(steps)} leaves out the last {purge} row(s) "
                    "before each boundary",
                )
            ],
            hint="use a larger validation split or a shorter horizon",
        )
    labels = np.repeat(np.array(SPLITS, dtype=object), [sizes.train, sizes.val, sizes.test])
    for end in (sizes.train, sizes.train + sizes.val):  # the last rows before each boundary
        labels[end - purge : end] = PURGED
    out = frame.assign(split=labels.astype(str))
    last_time = step_columns("target_time", steps)[-1]
    periods = {}
    for name in SPLITS:
        part = out[out["split"] == name]
        periods[name] = {
            "rows": len(part),
            "target_start": str(part["target_time"].iloc[0]),
            "target_end": str(part[last_time].iloc[-1]),
        }
    return out, periods
