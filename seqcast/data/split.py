"""Split chronologically, never shuffled, by target time.

Sizes count supervised rows from the end: test is the last block, validation the block before,
train everything earlier. So every training target time precedes every validation target time,
which precedes every test target time. Windows may read inputs from before a boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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


def split_chronologically(
    frame: pd.DataFrame, spec: SplitSpec, *, min_train: int, source: str
) -> tuple[pd.DataFrame, dict]:
    """Return ``frame`` with a ``split`` column (train/val/test) and each split's periods."""
    if not frame["target_time"].is_monotonic_increasing:
        raise ValueError("frame must be sorted by target time")
    sizes = split_sizes(len(frame), spec, min_train=min_train, source=source)
    labels = np.repeat(np.array(SPLITS), [sizes.train, sizes.val, sizes.test])
    out = frame.assign(split=labels)
    periods = {}
    for name in SPLITS:
        part = out[out["split"] == name]
        periods[name] = {
            "rows": len(part),
            "target_start": str(part["target_time"].iloc[0]),
            "target_end": str(part["target_time"].iloc[-1]),
        }
    return out, periods
