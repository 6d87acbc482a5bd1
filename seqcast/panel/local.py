"""Local references: fitted on each series alone, from the rows known at each origin.

- ``naive``: the last value, at every step.
- ``seasonal-naive``: the last season repeated (``naive`` when the period is 1).
- ``ets``: exponential smoothing (statsmodels' ``ETSModel``, additive errors, heuristic
  initial states), the form with the lowest AICc of: no trend or a damped additive trend, no
  season or an additive one where the history holds two seasons and more (as the
  single-series ``ets`` reference chooses). The form is chosen at a series' earliest origin
  and refitted at each later one (four fits, then one per origin, instead of four each: the
  choice reads only rows before the earliest block).
- ``theta``: the standard Theta method (statsmodels' ``ThetaModel``, deseasonalised by its own
  test at the period).
- ``arima``: the stepwise AICc search of the single-series ``arima`` reference
  (:func:`seqcast.models.arima.stepwise`) and its forecast; a second or two per series, so
  not in the default list.

Each reference that fails on a series (too short for its form, an optimiser error) falls back
to ``seasonal-naive`` there, and says so in the chunk's notes; a reference never reads a row at
or after its block's start.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seqcast.panel.spec import PanelSpec
from seqcast.panel.windows import block_starts


def naive(y: np.ndarray, h: int, period: int) -> np.ndarray:
    return np.full(h, y[-1], dtype=np.float64)


def seasonal_naive(y: np.ndarray, h: int, period: int) -> np.ndarray:
    if period <= 1 or len(y) < period:
        return naive(y, h, period)
    last = y[-period:]
    return last[np.arange(h) % period].astype(np.float64)


def ets_form(y: np.ndarray, period: int) -> tuple[str | None, str | None]:
    """The (trend, season) form with the lowest AICc on ``y``."""
    from seqcast.models.statistical import _model, ets_rows

    forms: list[tuple[str | None, str | None]] = [(None, None), ("add", None)]
    if period > 1 and len(y) >= ets_rows(True, period):
        forms += [(None, "add"), ("add", "add")]
    series = pd.Series(np.asarray(y, dtype=np.float64))
    best, best_aicc = None, np.inf
    for trend, season in forms:
        aicc = float(_model(series, trend, season, period).fit(disp=False).aicc)
        if np.isfinite(aicc) and aicc < best_aicc:
            best, best_aicc = (trend, season), aicc
    if best is None:
        raise ValueError(f"ets: no form fits {len(y)} rows")
    return best


def _ets_fit(y: np.ndarray, form: tuple[str | None, str | None], period: int):
    """ETSModel of ``form`` fitted on ``y`` (what ets forecasts from and stores)."""
    from seqcast.models.statistical import _model

    trend, season = form
    return _model(pd.Series(np.asarray(y, dtype=np.float64)), trend, season, period).fit(disp=False)


def ets(
    y: np.ndarray, h: int, period: int, form: tuple[str | None, str | None] | None = None
) -> np.ndarray:
    """The forecast of ``form`` (default: the lowest-AICc form on ``y``) refitted on ``y``."""
    fitted = _ets_fit(y, form or ets_form(y, period), period)
    return np.asarray(fitted.forecast(h), dtype=np.float64)


def _theta_model(y: np.ndarray, period: int):
    """statsmodels' ThetaModel on ``y``: deseasonalised at ``period`` when two seasons are
    there, multiplicatively tested when every value is positive."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    seasonal = period > 1 and len(y) >= 2 * period
    return ThetaModel(
        np.asarray(y, dtype=np.float64),
        period=period if seasonal else 1,
        deseasonalize=seasonal,
        method="auto" if np.min(y) > 0 else "additive",
    )


def theta(y: np.ndarray, h: int, period: int) -> np.ndarray:
    return np.asarray(_theta_model(y, period).fit().forecast(h), dtype=np.float64)


def arima(y: np.ndarray, h: int, period: int) -> np.ndarray:
    from seqcast.models.arima import _arma, differenced, integrated, stepwise

    form = stepwise(np.asarray(y, dtype=np.float64), period)
    (_, d, _), (_, sd, _), m = form["order"], form["seasonal_order"], int(form["season"])
    z = differenced(y, d, sd, m)
    run = _arma(z, form).filter(np.asarray(form["params"]), cov_type="none")
    return integrated(y, np.asarray(run.forecast(h)), d, sd, m)


def fitted_state(name: str, y: np.ndarray, period: int, forms: dict) -> dict | None:
    """What a served reference keeps from its fit on ``y`` (the rows before the test): ets's
    form and smoothing parameters, theta's drift, smoothing and season verdict (JSON). The
    served forecast runs them over the newest rows without fitting (``from_state``)."""
    from seqcast.models.statistical import THETA

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "ets":
            form = forms.get("ets") or ets_form(y, period)
            fitted = _ets_fit(y, form, period)
            return {
                "trend": form[0],
                "season": form[1],
                "params": [float(v) for v in fitted.params],
            }
        if name == "theta":
            model = _theta_model(y, period)
            fitted = model.fit()
            return {
                "season": period,
                "seasonal": bool(model.deseasonalize and model._has_seasonality),
                "method": model.method,
                "theta": THETA,
                "b0": float(fitted.params["b0"]),
                "alpha": float(fitted.params["alpha"]),
            }
    return None


def from_state(name: str, state: dict, y: np.ndarray, h: int, period: int) -> np.ndarray:
    """``name``'s forecast from ``y``'s last row with a stored state (no fitting)."""
    from seqcast.models.statistical import _model, theta_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "ets":
            model = _model(pd.Series(np.asarray(y, float)), state["trend"], state["season"], period)
            return np.asarray(model.smooth(np.asarray(state["params"])).forecast(h), float)
        return theta_path(np.asarray(y, float), state, h)


STATEFUL = ("ets", "theta")  # the references a served champion keeps a fitted state of


REFERENCES: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "naive": naive,
    "seasonal-naive": seasonal_naive,
    "ets": ets,
    "theta": theta,
    "arima": arima,
}


def forecast(
    name: str, history: np.ndarray, h: int, period: int, forms: dict | None = None
) -> tuple[np.ndarray, bool]:
    """``name``'s forecast of ``h`` steps from ``history``; (path, fell back to snaive).
    ``forms``: where given, ets's form is chosen on the first history it sees (the earliest
    origin) and kept in it for the later origins of the same series, which refit only it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence and start-value notes
            if name == "ets" and forms is not None:
                if "ets" not in forms:
                    forms["ets"] = ets_form(history, period)
                path = ets(history, h, period, forms["ets"])
            else:
                path = REFERENCES[name](history, h, period)
        if path.shape == (h,) and np.all(np.isfinite(path)):
            return path, False
    except Exception:
        pass
    return seasonal_naive(history, h, period), True


@dataclass
class Chunk:
    frame: pd.DataFrame
    notes: list[str]
    states: dict[str, dict[str, dict]]  # reference -> series -> state (ets, theta)


def served_forecasts(
    ids: list[str],
    values: list[np.ndarray],
    spec: PanelSpec,
    names: list[str],
    states: dict[str, dict[str, dict]],
) -> pd.DataFrame:
    """Each reference's path from every series' last row: from its stored state where the
    train kept one for the series, else fitted on the series' rows."""
    h = spec.horizon
    rows: dict[str, list] = {"series": [], "evaluation": [], "start": [], "step": []}
    paths: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for sid, y in zip(ids, values, strict=True):
        rows["series"] += [sid] * h
        rows["evaluation"] += ["serve"] * h
        rows["start"] += [len(y)] * h
        rows["step"] += list(range(1, h + 1))
        for n in names:
            state = states.get(n, {}).get(sid)
            path = None
            if state is not None:
                try:
                    path = from_state(n, state, y, h, spec.period)
                except (ValueError, np.linalg.LinAlgError, KeyError):
                    path = None
            if path is None or not np.all(np.isfinite(path)):
                path, _ = forecast(n, y, h, spec.period)
            paths[n].append(path)
    frame = pd.DataFrame(rows)
    for n in names:
        frame[n] = np.concatenate(paths[n]) if paths[n] else np.zeros(0)
    return frame


def chunk_forecasts(
    ids: list[str],
    values: list[np.ndarray],
    spec: PanelSpec,
    names: list[str],
    evaluations: list[str],
) -> Chunk:
    """Every reference's forecasts for every series of a chunk at every evaluation's blocks
    (``serve``: from the last row): the long frame (series, evaluation, start, step, one
    column per reference), notes on fallbacks, and the states fitted at the test's origin."""
    h = spec.horizon
    rows: dict[str, list] = {"series": [], "evaluation": [], "start": [], "step": []}
    paths: dict[str, list[np.ndarray]] = {n: [] for n in names}
    fallbacks: dict[str, int] = {n: 0 for n in names}
    states: dict[str, dict[str, dict]] = {n: {} for n in names if n in STATEFUL}
    for sid, y in zip(ids, values, strict=True):
        forms: dict = {}  # ets's form, chosen at this series' earliest origin
        blocks = [
            (ev, s)
            for ev in evaluations
            for s in ([len(y)] if ev == "serve" else block_starts(len(y), spec, ev))
        ]
        for ev, s in sorted(blocks, key=lambda b: b[1]):  # the earliest origin first
            rows["series"] += [sid] * h
            rows["evaluation"] += [ev] * h
            rows["start"] += [s] * h
            rows["step"] += list(range(1, h + 1))
            for n in names:
                path, fell = forecast(n, y[:s], h, spec.period, forms)
                paths[n].append(path)
                fallbacks[n] += fell
                if n in states and ev == "test" and s == min(block_starts(len(y), spec, "test")):
                    try:
                        state = fitted_state(n, y[:s], spec.period, forms)
                    except (ValueError, np.linalg.LinAlgError):
                        state = None
                    if state is not None:
                        states[n][sid] = state
    frame = pd.DataFrame(rows)
    for n in names:
        frame[n] = np.concatenate(paths[n]) if paths[n] else np.zeros(0)
    notes = [
        f"{n}: seasonal-naive on {k} block(s) where it could not be fitted"
        for n, k in fallbacks.items()
        if k
    ]
    return Chunk(frame, notes, states)
