"""``arima``: a seasonal ARIMA reference whose orders are chosen on each fit's training series
the way statsforecast's AutoARIMA and R's ``auto.arima`` choose them (Hyndman and Khandakar's
stepwise search), fitted with statsmodels' ``SARIMAX``.

How a fit chooses its model, on the rows the fit's training windows cover (missing values
interpolated, as for ets):

- the season ``m`` is the spec's period when the series holds at least ``2 m + 10`` rows,
  else there is none;
- ``D`` (one seasonal difference or none): the seasonal strength of an STL decomposition
  above 0.64, statsforecast's rule;
- ``d`` (0 to 2 differences): KPSS tests at the 5 % level on the seasonally differenced
  series, repeated until the test does not reject;
- a constant when ``d + D = 0``, a drift when ``d + D = 1`` (tried with and without);
- the orders: the four starting models of the stepwise search, then every neighbour of the
  best (each order one up or down, ``p`` and ``q`` together, the constant on or off) until
  none has a lower AICc; a model with an AR or MA root within :data:`MIN_ROOT` of the unit
  circle is refused. ``p, q <= 3``; ``P, Q <= 1`` for seasons of at most 12 rows and 0
  beyond (a seasonal MA at a lag of 53 took 21 to 47 s per fit on 150 weekly rows);
  ``p + q + P + Q <= 5``; at most :data:`MAX_MODELS` fits.

The differences are taken first and the ARMA part is fitted on the differenced series (as
statsmodels' ``simple_differencing`` does), so the state space holds the ARMA terms only, not
a season of differencing states: one search on the bike file's fold 1 (5,690 hourly rows)
takes about 7 s, where keeping the differences in the state space took 24.5 to 49.6 s per
order.

Only the orders and the fitted parameters are stored (JSON). A forecast runs the ARMA part
with those parameters fixed over the differenced series up to the newest origin (the Kalman
filter), forecasts each origin's differenced steps from the state filtered up to it and
undoes the differences from the origin's own rows (:func:`integrated`): it reads only rows up
to its origin, and a history that starts at another row forecasts the same once its first
seasons are behind it.

Where it is fitted: on series of at most :data:`MAX_ROWS` rows (a search costs about a
millisecond a row). Beyond, the reference is left out of the run with that reason
(:class:`~seqcast.models.forecaster.NotApplicable`).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from seqcast.models.forecaster import (
    Block,
    FitSummary,
    NotApplicable,
    register,
    series_of,
)
from seqcast.models.statistical import _StoredForm

MAX_ROWS = 50_000  # the longest series (all its rows) arima is fitted on
MAX_MODELS = 30  # fits per stepwise search
MAX_PQ, MAX_SEASONAL_P, MAX_ORDER = 3, 1, 5
SEASONAL_STRENGTH = 0.64  # statsforecast's threshold for one seasonal difference
SHORT_SEASON = 12  # seasons up to this many rows may take seasonal AR and MA terms
MIN_ROOT = 1.01  # a model with an AR or MA root closer to the unit circle is refused


def differenced(y: np.ndarray, d: int, sd: int, season: int) -> np.ndarray:
    """(rows - d - sd * season,) ``y`` differenced ``sd`` times at the season's lag, then
    ``d`` times at lag 1: the series the ARMA part is fitted on (row ``i`` is ``y``'s row
    ``i + d + sd * season``)."""
    z = y[season:] - y[:-season] if sd else y
    for _ in range(d):
        z = np.diff(z)
    return z


def integrated(y: np.ndarray, z_path: np.ndarray, d: int, sd: int, season: int) -> np.ndarray:
    """(steps,) the forecast of ``y`` from its last row, given the forecast ``z_path`` of its
    differenced series (:func:`differenced`) for the same steps: the differences undone one
    by one from the last known values, then the seasonal one from the rows a season back
    (known rows, or the path itself beyond them)."""
    u = y[season:] - y[:-season] if sd else y  # (rows - sd * season,)
    lasts = []
    for _ in range(d):  # the last value of u and of each difference of it but the last
        lasts.append(u[-1])
        u = np.diff(u)
    path = np.asarray(z_path, dtype=np.float64)
    for last in reversed(lasts):
        path = last + np.cumsum(path)
    if not sd:
        return path
    out = np.r_[y[-season:], np.zeros(len(path))]  # (season + steps,)
    for k in range(len(path)):
        out[season + k] = path[k] + out[k]
    return out[season:]


def _arma(z: np.ndarray, form: dict):
    """statsmodels' SARIMAX for the ARMA part of ``form`` on the differenced series ``z``."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    p, _, q = form["order"]
    sp, _, sq = form["seasonal_order"]
    return SARIMAX(
        np.asarray(z, dtype=np.float64),
        order=(p, 0, q),
        seasonal_order=(sp, 0, sq, form["season"]) if (sp or sq) else (0, 0, 0, 0),
        trend=form["trend"],
    )


def trend_term(d: int, sd: int, constant: bool) -> str:
    """SARIMAX's trend for the differenced series: ``c``, a constant (a mean with no
    difference, a drift with one), else none (never with two differences)."""
    return "c" if constant and d + sd <= 1 else "n"


def seasonal_strength(y: np.ndarray, season: int) -> float:
    """Hyndman's strength of seasonality from an STL decomposition, 0 to 1."""
    from statsmodels.tsa.seasonal import STL

    parts = STL(y, period=season).fit()
    rest = np.var(parts.resid)
    whole = np.var(parts.resid + parts.seasonal)
    return float(max(0.0, 1.0 - rest / whole)) if whole > 0 else 0.0


def differences(y: np.ndarray, season: int) -> tuple[int, int]:
    """(d, D): one seasonal difference when the season is strong, then KPSS tests at 5 % until
    the series looks stationary (at most two differences)."""
    from statsmodels.tsa.stattools import kpss

    sd = int(season > 1 and seasonal_strength(y, season) > SEASONAL_STRENGTH)
    z = y[season:] - y[:-season] if sd else y
    d = 0
    while d < 2 and len(z) > 10 and np.ptp(z) > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "p-value is outside the table" notes
            p_value = kpss(z, regression="c", nlags="auto")[1]
        if p_value >= 0.05:
            break
        z, d = np.diff(z), d + 1
    return d, sd


def stepwise(series: np.ndarray, season: int) -> dict:
    """The form (orders, trend, season, parameters) with the lowest AICc the stepwise search
    finds on ``series`` (no missing value)."""
    m = season if season > 1 and len(series) >= 2 * season + 10 else 1
    d, sd = differences(series, m)
    max_sp = MAX_SEASONAL_P if 1 < m <= SHORT_SEASON else 0
    max_sq = 1 if 1 < m <= SHORT_SEASON else 0
    may_constant = d + sd <= 1
    z = differenced(series, d, sd, m)
    tried: dict[tuple, tuple[float, object] | None] = {}

    def fit(p, q, sp, sq, constant):
        key = (p, q, sp, sq, constant)
        if key in tried:
            return tried[key]
        if not (0 <= p <= MAX_PQ and 0 <= q <= MAX_PQ and 0 <= sp <= max_sp and 0 <= sq <= max_sq):
            return None
        if p + q + sp + sq > MAX_ORDER or len(tried) >= MAX_MODELS:
            return None
        if constant and not may_constant:
            return None
        form = {
            "order": [p, d, q],
            "seasonal_order": [sp, sd, sq],
            "season": m,
            "trend": trend_term(d, sd, constant),
        }
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence and start-parameter notes
                result = _arma(z, form).fit(disp=False, cov_type="none")
            aicc = float(result.aicc)
            roots = np.r_[np.abs(result.arroots), np.abs(result.maroots)]
            if np.any(roots < MIN_ROOT):  # near the unit circle: auto.arima's rule
                aicc = np.inf
            tried[key] = (aicc, {**form, "params": [float(v) for v in result.params]})
        except (ValueError, np.linalg.LinAlgError):
            tried[key] = None
        if tried[key] is not None and not np.isfinite(tried[key][0]):
            tried[key] = None
        return tried[key]

    starts = [(2, 2, 1, 1), (0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1)]
    best = None
    for p, q, sp, sq in starts:
        p, q, sp, sq = min(p, MAX_PQ), min(q, MAX_PQ), min(sp, max_sp), min(sq, max_sq)
        got = fit(p, q, sp, sq, may_constant)
        if got is not None and (best is None or got[0] < best[0][0]):
            best = (got, (p, q, sp, sq, may_constant))
    if best is None:
        raise ValueError(f"arima: no model could be fitted on {len(series)} rows")
    improved = True
    while improved and len(tried) < MAX_MODELS:
        improved = False
        p, q, sp, sq, c = best[1]
        for move in (
            (p - 1, q, sp, sq, c),
            (p + 1, q, sp, sq, c),
            (p, q - 1, sp, sq, c),
            (p, q + 1, sp, sq, c),
            (p - 1, q - 1, sp, sq, c),
            (p + 1, q + 1, sp, sq, c),
            (p, q, sp - 1, sq, c),
            (p, q, sp + 1, sq, c),
            (p, q, sp, sq - 1, c),
            (p, q, sp, sq + 1, c),
            (p, q, sp, sq, not c),
        ):
            got = fit(*move)
            if got is not None and got[0] < best[0][0]:
                best, improved = (got, move), True
                break
    form = dict(best[0][1])
    form["models_tried"] = len(tried)
    return form


@register("arima")
class ARIMA(_StoredForm):
    # form: order [p, d, q], seasonal_order [P, D, Q], season, trend, params, models_tried

    def _rows_needed(self, form: dict) -> int:
        return rows_needed(form)

    def _seasonal(self, form: dict) -> bool:
        return any(form["seasonal_order"])

    def fit(self, train, val=None, *, epochs=None, on_epoch=None) -> FitSummary:
        start = time.perf_counter()
        rows = len(series_of(train)[0])  # the whole series: the same verdict on every fold
        if rows > MAX_ROWS:
            raise NotApplicable(
                f"fitted on series of at most {MAX_ROWS:,} rows (its stepwise search refitted "
                f"per fold would outlast the run); this one holds {rows:,}"
            )
        filled, season = self._trainingseries_of(train)
        series = filled.to_numpy()
        if len(series) < 10:
            raise ValueError(
                f"arima needs at least 10 rows of training series; the fit holds {len(series)}"
            )
        self.form = stepwise(series, season)
        return FitSummary(seconds=time.perf_counter() - start)

    def predict(self, block: Block) -> np.ndarray:
        series, origins, steps = self._history(block)
        horizon = max(steps)
        f = self.form
        assert f is not None
        (_, d, _), (_, sd, _), m = f["order"], f["seasonal_order"], int(f["season"])
        y = series.to_numpy()
        skip = d + sd * m  # rows of y before the differenced series' first
        if int(origins.min()) < skip:
            raise ValueError(
                f"{self.name} forecasts from origins with at least {skip} rows before them "
                f"(its differences); the earliest origin is row {int(origins.min())}"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = _arma(differenced(y, d, sd, m), f).filter(
                np.asarray(f["params"]), cov_type="none"
            )
            paths = [
                integrated(
                    y[: int(o) + 1],
                    run.predict(start=int(o) - skip + 1, end=int(o) - skip + horizon, dynamic=0),
                    d,
                    sd,
                    m,
                )
                for o in origins
            ]  # each (horizon,): from the state filtered up to its origin
        out = np.stack(paths)[:, [s - 1 for s in steps]]  # (samples, steps)
        return out.astype(np.float64)


def rows_needed(form: dict) -> int:
    """The rows of history a stored form forecasts from: its differences and orders, and two
    whole seasons where it has a seasonal part."""
    p, d, q = form["order"]
    sp, sd, sq = form["seasonal_order"]
    if sp or sd or sq:
        return 2 * int(form["season"]) + 10
    return max(10, p + d + q + 2)
