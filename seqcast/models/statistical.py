"""The statistical models a forecaster reaches for first, as references fitted in the same
backtest.

``ets``: exponential smoothing (statsmodels' ``ETSModel``), its form chosen on each
fit's training series by AICc like statsforecast's AutoETS (additive errors; no trend or a
damped additive trend; no season or an additive one of the spec's period when the series
holds at least two seasons and more). Its initial states come from the first seasons of
whatever series it runs over (statsmodels' heuristic initialisation), so a served history
that starts at another place in the season than the training series forecasts the same.

It reads the target's series up to each origin (``history``), never the window: fitted on
the rows the fit's training windows cover (up to the last training target, which the
backtest keeps before every scored origin), then run over the series with those parameters
fixed, each origin forecasting its steps from the states filtered up to it. Missing values
are interpolated for it (the state-space recursion needs a value at every step). Stored as
JSON (its form and parameters); at serving the same parameters are run over the newest
rows.

``theta``: the standard Theta method (statsmodels' ``ThetaModel``; statsforecast's AutoTheta
also tries optimised and dynamic variants, which are not here): the series deseasonalised by
a classical decomposition of the spec's period when a season is declared, the series holds
two seasons and the seasonality test at that lag rejects (multiplicative when every value is
positive, else additive), then simple exponential smoothing plus half the least-squares
drift per step. Fitted once on the same training rows as ets (missing values interpolated
the same way): the drift ``b0``, the smoothing ``alpha``, whether to deseasonalise and how
are stored as JSON and fixed. Each origin then forecasts from the rows up to it: the
seasonal indices from statsmodels' decomposition of those rows (so they sit at the right
place in the season whichever row the history starts at: a served history may start at any
row), the smoothed level filtered over the deseasonalised rows, the drift, the indices put
back. At the last training row this is exactly ``ThetaModel(...).fit().forecast(...)``.

Both read the target in original units and forecast original units, so a ``difference``
target transform (for the models that learn the change from the origin) changes neither.
statsforecast was not used: its newest release requires pandas < 3.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.data.units import FitUnits, units_of
from seqcast.models.forecaster import (
    Block,
    Capabilities,
    FitSummary,
    Forecaster,
    register,
    series_of,
    steps_of,
)

FORMS = [(None, None), ("add", None), (None, "add"), ("add", "add")]  # (trend, seasonal)


def _filled(history: np.ndarray, end: int) -> pd.Series:
    """``history[: end + 1]`` with missing values interpolated (ends carried), on a
    RangeIndex (the row numbers)."""
    values = pd.Series(np.asarray(history[: end + 1], dtype=np.float64))
    return values.interpolate(limit_direction="both")


def _model(
    series: pd.Series,
    trend: str | None,
    seasonal: str | None,
    season: int,
    init: str = "heuristic",
    **states,
):
    """statsmodels' ETSModel of one form. ``init="heuristic"``: the initial level, trend and
    seasonal states are computed from the series' own first seasons (a decomposition of its
    first rows), so they sit at the right place in the season whichever row the series starts
    at; only the smoothing parameters are fitted and stored. ``"estimated"``: the forms
    stored before that, whose initial states are parameters tied to the training series'
    first row. ``"known"``: the initial states given in ``states``."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    return ETSModel(
        series,
        error="add",
        trend=trend,
        damped_trend=trend is not None,
        seasonal=seasonal,
        seasonal_periods=season if seasonal else None,
        initialization_method=init,
        **states,
    )


def _known_states(series: pd.Series, form: dict):
    """The ETSModel of a stored ``heuristic`` form over ``series``, its initial states computed
    by statsmodels' heuristic from the series' first ``init_rows`` rows only (as many as the
    fit's own series had): the heuristic reads up to five seasons, and over a longer series
    those would include rows after the fit's training end. A history that starts elsewhere in
    the season gets states that match its own first row."""
    head = series.iloc[: int(form.get("init_rows") or len(series))].reset_index(drop=True)
    first = _model(head, form["trend"], form["seasonal"], form["season"])
    return _model(
        series,
        form["trend"],
        form["seasonal"],
        form["season"],
        "known",
        initial_level=first.initial_level,
        initial_trend=first.initial_trend if form["trend"] else None,
        initial_seasonal=first.initial_seasonal if form["seasonal"] else None,
    )


def ets_rows(seasonal: bool, season: int) -> int:
    """The rows statsmodels' heuristic initial states need: 10, and with a season two whole
    seasons and 10 + 2 (season // 2)."""
    return max(2 * season, 10 + 2 * (season // 2)) if seasonal else 10


class _StoredForm(Forecaster):
    """A statistical reference whose fit is a small document (``form``): stored as JSON and
    rebuilt at load, forecasting from the target's history up to each origin."""

    capabilities = Capabilities(
        needs_scaling=False,
        uses_covariates=False,
        reads_window=False,
        deterministic=True,
        per_seed=False,
        ensemble_member=True,
        saved_as="json",
    )

    def __init__(self, name, settings) -> None:
        super().__init__(name, settings)
        self.form: dict | None = None

    def _history(self, block: Block) -> tuple[pd.Series, np.ndarray, list[int]]:
        """The history up to the newest origin (gaps interpolated), the origins and the
        steps; a clear error without a fitted form or with too short a history."""
        if self.form is None:
            raise ValueError(f"{self.name}: fit or load the model first")
        history, origins = series_of(block)
        steps = steps_of(block, self.settings.units)
        f = self.form
        series = _filled(history, int(origins.max()))
        need = self._rows_needed(f)
        if len(series) < need:
            season = f" (with a season of {f['season']})" if self._seasonal(f) else ""
            raise ValueError(
                f"{self.name} forecasts from at least {need} rows of history{season}; the "
                f"data holds {len(series)} up to the origin"
            )
        return series, origins, steps

    def _trainingseries_of(self, train) -> tuple[pd.Series, int]:
        """The target's series up to the fit's last training target (missing values
        interpolated) and the spec's season (1 without one)."""
        history, origins = series_of(train)
        steps = steps_of(train, self.settings.units)
        end = int(origins.max()) + max(steps)  # the last training target's row
        season = units_of(self.settings.units).season_or_1
        return _filled(history, end), season

    def _rows_needed(self, form: dict) -> int:
        return 2 * form["season"] if form["seasonal"] else 2

    def _seasonal(self, form: dict) -> bool:
        return bool(form["seasonal"])

    def save(self, folder: Path) -> str:
        assert self.form is not None
        (folder / "model.json").write_text(json.dumps(self.form, indent=1))
        return "model.json"

    @classmethod
    def load(cls, name, path, settings) -> _StoredForm:
        out = cls(name, settings)
        out.form = json.loads(Path(path).read_text())
        return out


@register("ets")
class ETS(_StoredForm):
    # form: trend, seasonal, season, init, params (the smoothing parameters)

    def _rows_needed(self, form: dict) -> int:
        if form.get("init", "estimated") == "estimated":
            return super()._rows_needed(form)
        return ets_rows(bool(form["seasonal"]), int(form["season"]))

    def fit(self, train, val=None, *, epochs=None, on_epoch=None) -> FitSummary:
        start = time.perf_counter()
        series, season = self._trainingseries_of(train)
        best = None
        with warnings.catch_warnings():  # convergence chatter of the optimiser
            warnings.simplefilter("ignore")
            for trend, seasonal in FORMS:
                if seasonal and (season < 2 or len(series) < 2 * season + 10):
                    continue
                if len(series) < ets_rows(bool(seasonal), season):
                    continue
                fitted = _model(series, trend, seasonal, season).fit(disp=False)
                if best is None or fitted.aicc < best[0]:
                    best = (fitted.aicc, trend, seasonal, fitted.params)
        if best is None:
            raise ValueError(
                f"ets needs at least {ets_rows(False, season)} rows of training series; the "
                f"fit holds {len(series)}"
            )
        _, trend, seasonal, params = best
        self.form = {
            "trend": trend,
            "seasonal": seasonal,
            "season": season,
            "init": "heuristic",
            "init_rows": len(series),  # the rows the heuristic read its states from
            "params": [float(p) for p in np.asarray(params)],
        }
        return FitSummary(seconds=time.perf_counter() - start)

    def predict(self, block: Block) -> np.ndarray:
        series, origins, steps = self._history(block)
        horizon = max(steps)
        f = self.form
        assert f is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if f.get("init", "estimated") == "heuristic":
                model = _known_states(series, f)
            else:  # a form stored before: its initial states are among its parameters
                model = _model(series, f["trend"], f["seasonal"], f["season"], "estimated")
            run = model.smooth(np.asarray(f["params"]))
            paths = [
                np.asarray(run.predict(start=int(o) + 1, end=int(o) + horizon, dynamic=0))
                for o in origins
            ]  # each (horizon,): from the states filtered up to its origin
        out = np.stack(paths)[:, [s - 1 for s in steps]]  # (samples, steps)
        return out.astype(np.float64)


@register("theta")
class Theta(_StoredForm):
    # form: season, seasonal, method, theta, b0, alpha

    def fit(self, train, val=None, *, epochs=None, on_epoch=None) -> FitSummary:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        start = time.perf_counter()
        filled, season = self._trainingseries_of(train)
        series = filled.to_numpy()
        seasonal = season >= 2 and len(series) >= 2 * season
        model = ThetaModel(
            series, period=season if seasonal else None, deseasonalize=seasonal, method="auto"
        )
        fitted = model.fit()
        self.form = {
            "season": season,
            # the seasonality test's verdict (statsmodels keeps it on the model only)
            "seasonal": bool(seasonal and model._has_seasonality),
            "method": model.method,  # "add" or "mul", after the decomposition's own check
            "theta": THETA,
            "b0": float(fitted.params["b0"]),
            "alpha": float(fitted.params["alpha"]),
        }
        return FitSummary(seconds=time.perf_counter() - start)

    def predict(self, block: Block) -> np.ndarray:
        filled, origins, steps = self._history(block)
        series = filled.to_numpy()
        horizon = max(steps)
        f = self.form
        assert f is not None
        paths = [theta_path(series[: int(o) + 1], f, horizon) for o in origins]  # (horizon,)
        out = np.stack(paths)[:, [s - 1 for s in steps]]  # (samples, steps)
        return out.astype(np.float64)


THETA = 2.0  # the standard Theta method: the SES line and the drift line, half each


def theta_path(y: np.ndarray, form: dict, horizon: int) -> np.ndarray:
    """(horizon,) the Theta forecast from the last row of ``y`` (the history up to the origin,
    no missing value) with the stored ``form``: statsmodels' ``ThetaModelResults.forecast``
    with ``b0`` and ``alpha`` fixed. An origin with less than two seasons behind it is
    forecast without the season."""
    from scipy.signal import lfilter
    from statsmodels.tsa.seasonal import seasonal_decompose

    n, season = len(y), form["season"]
    method, indices = form["method"], None
    if form["seasonal"] and n >= 2 * season:
        if method == "mul" and y.min() <= 0:  # a multiplicative season needs positive values
            method = "add"
        parts = seasonal_decompose(y, model=method, period=season)
        if method == "mul" and parts.seasonal.min() <= 0:
            method = "add"
            parts = seasonal_decompose(y, model="add", period=season)
        indices = np.asarray(parts.seasonal[:season])  # (season,): row r has indices[r % season]
        profile = indices[np.arange(n) % season]
        y = y - profile if method == "add" else y / profile
    alpha = form["alpha"]
    # simple exponential smoothing from the first value: the level after the last row
    level = lfilter([alpha], [1.0, alpha - 1.0], y, zi=[(1.0 - alpha) * y[0]])[0][-1]
    h = np.arange(horizon, dtype=np.float64)
    if alpha > 0:
        h += 1.0 / alpha - (1.0 - alpha) ** n / alpha
    path = level + (1.0 - 1.0 / form["theta"]) * form["b0"] * h
    if indices is not None:
        future = indices[(n + np.arange(horizon)) % season]
        path = path + future if method == "add" else path * future
    return path


def history_rows(forecaster: str, units: FitUnits | None) -> int:
    """The rows of history a served member (of ``forecaster``, fitted in ``units``) needs
    before its origin: an ``ets``, ``theta`` or ``arima`` member, two seasons and more (ets's
    seasonal states start from them, theta's seasonal indices come from them, arima's seasonal
    difference reads them); any other, none beyond its window."""
    if forecaster not in ("ets", "theta", "arima"):
        return 0
    season = units_of(units).season_or_1
    return 2 * season + 10 if season > 1 else 10
