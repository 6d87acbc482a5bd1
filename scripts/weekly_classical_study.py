"""Classical models on the real weekly temperature file, on the pipeline's split: how far a
seasonal linear model gets, to judge the temperatures' 1.90 test-MAE aim (docs/accuracy.md).
Not part of a run; prints one line per model.

Each model is fitted on the weeks before a scored block and scored on that block: the two
backtest blocks (2012, 2013: the pipeline's folds) and the test year (2014). Seasonal terms
are harmonics of the 53-week year fitted on the training weeks only.

    .venv/bin/python scripts/weekly_classical_study.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, Ridge

FILE = Path(__file__).resolve().parents[1].parent / "shared/datasets/seoul_weekly_temperature.csv"
PERIOD = 53
LAGS = 4
BLOCKS = {"2012": (106, 159), "2013": (159, 212), "test 2014": (212, 265)}  # row ranges


def harmonics(week: np.ndarray, k: int) -> np.ndarray:
    """(rows, 2k): sin and cos of the first k harmonics of the week of year."""
    angle = 2 * np.pi * (week - 1) / PERIOD
    return np.column_stack([f(j * angle) for j in range(1, k + 1) for f in (np.sin, np.cos)])


def lagged(values: np.ndarray, rows: np.ndarray, lags: int) -> np.ndarray:
    """(rows, lags): the values 1..lags weeks before each row."""
    return np.column_stack([values[rows - j] for j in range(1, lags + 1)])


def ridge_model(y, week, train, scored, lags, k):
    """Ridge on the last ``lags`` weeks and the target week's ``k`` harmonics."""

    def x(rows):
        return np.column_stack([lagged(y, rows, lags), harmonics(week[rows], k)])

    return Ridge(alpha=1.0).fit(x(train), y[train]).predict(x(scored))


def anomaly_model(y, week, train, scored, lags, k):
    """A harmonic climatology fitted on the training weeks plus an autoregression of the
    departures from it."""
    seen = np.arange(0, train.max() + 1)
    clim = LinearRegression().fit(harmonics(week[seen], k), y[seen])
    season = clim.predict(harmonics(week, k))
    anomaly = y - season
    ar = LinearRegression().fit(lagged(anomaly, train, lags), anomaly[train])
    return season[scored] + ar.predict(lagged(anomaly, scored, lags))


def main() -> None:
    if not FILE.exists():
        print(f"study skipped: {FILE} is absent")
        return
    frame = pd.read_csv(FILE)
    y = frame["AvgTemp"].to_numpy(float)
    week = frame["week"].to_numpy()
    targets = np.arange(LAGS, len(y))  # rows with LAGS weeks of history
    print(f"{'model':36s}" + "".join(f"{b:>11s}" for b in BLOCKS) + "   backtest mean")
    for name, fn, lags, k in [
        *[
            (f"ridge, {lags} lags, {k} harmonic(s)", ridge_model, lags, k)
            for k in (1, 2, 3)
            for lags in (1, 2, 4)
        ],
        *[
            (f"climatology ({k} harm.) + AR({lags})", anomaly_model, lags, k)
            for k in (1, 2, 3)
            for lags in (1, 2, 4)
        ],
    ]:
        maes = []
        for start, end in BLOCKS.values():
            train = targets[targets < start]
            scored = targets[(targets >= start) & (targets < end)]
            maes.append(np.mean(np.abs(fn(y, week, train, scored, lags, k) - y[scored])))
        print(f"{name:36s}" + "".join(f"{m:11.3f}" for m in maes) + f"   {np.mean(maes[:2]):.3f}")


if __name__ == "__main__":
    main()
