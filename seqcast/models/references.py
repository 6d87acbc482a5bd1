"""Reference forecasts, computed in the same run and evaluated like the deep variants, each a
:class:`~seqcast.models.forecaster.Forecaster`.

Every one forecasts every step of the path, (samples, steps) in original units.

``persistence``: the last observed value, for every step. ``seasonal-naive``: the newest value
a whole number of seasons before each step's target time (53 weeks; 24 hours). ``drift``: the
random walk with drift, the last value plus the mean change per step since the series began
(:mod:`seqcast.data.naive`). ``ridge``: one
multi-output linear model on the flattened window plus every step's known-future covariates.
``gradient-boosting``: one histogram-boosting model per step on the same inputs (scikit-learn's
``MultiOutputRegressor``); with one step it is exactly the single-step model. With the
``difference`` target transform ridge and gradient boosting learn the change from the origin
(trees cannot reach past the training range; the change can); with ``normalize``, that change
in units of the window's own spread. Measured on the
Seoul bike file (24 steps, fold 2 of the backtest, 2 cores): one model per step took 33 s and
scored MAE 291 over the steps (120 at step 1); one model with the step as a feature took 9 s
and scored 319 (242 at step 1; 313 / 326 with 500 iterations or 63 leaves), so the per-step
models are worth their cost.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_limits

from seqcast.data import naive
from seqcast.data.target_transform import Difference, Normalize
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
from seqcast.models.lag_features import lag_features

# The types skops does not trust by default in these models (checked for scikit-learn 1.9).
TRUSTED_TYPES = [
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.multioutput.MultiOutputRegressor",
]


def _origins(block) -> np.ndarray:
    """(samples,) each window's origin value, which a differenced target is relative to."""
    values = getattr(block, "y_last_raw", None)
    if values is None:
        raise ValueError("windows lack y_last_raw; prepare them again with this version")
    return np.asarray(values, dtype=np.float64)


def _learned(train, units: FitUnits | None) -> np.ndarray:
    """(samples, steps) what ridge and gradient boosting learn, in original units' scale: the
    target, or with a relative target transform its change from the origin (divided by the
    window's spread for ``normalize``)."""
    y = train.y_raw.reshape(len(train.y_raw), -1)  # (samples, steps)
    transform = units_of(units).transform
    if isinstance(transform, Difference):  # a relative transform
        return transform.change(y, train.x, _origins(train))
    return y


def _served(out: np.ndarray, block: Block, units: FitUnits | None) -> np.ndarray:
    """The inverse of :func:`_learned` for predictions (samples, steps): original units."""
    transform = units_of(units).transform
    if isinstance(transform, Difference):
        return transform.from_change(out, block.x, _origins(block))
    return out


def flat(ws: Block, units: FitUnits | None = None) -> np.ndarray:
    """The window as the fit's models read it (the target transform's ``model_inputs``), then
    flattened: (samples, timesteps, features) -> (samples, timesteps * features + steps *
    covariates)."""
    x = units_of(units).transform.model_inputs(ws.x)
    cov = ws.covariates.reshape(len(ws.covariates), -1)  # (samples, steps * covariates)
    return np.concatenate([x.reshape(len(x), -1), cov], axis=1)


@register("persistence", "seasonal-naive", "drift")
class Naive(Forecaster):
    """Forecast from the target's history up to each origin, like ets and theta
    (``seqcast.data.naive``): the value at the origin (``persistence``), the newest value a
    whole number of seasons before each target time (``seasonal-naive``, the season of the
    fit's units) or the origin's value carried on by the series' mean change (``drift``).
    Nothing to fit or store; never an ensemble member (the yardsticks every candidate must
    beat), but served when one is the best candidate of all
    (``seqcast.evaluation.leaderboard.choose_champion``)."""

    capabilities = Capabilities(
        needs_scaling=False,
        uses_covariates=False,
        reads_window=False,
        deterministic=True,
        per_seed=False,
        ensemble_member=False,
        saved_as="none",
    )

    def fit(self, train, val=None, *, epochs=None, on_epoch=None) -> FitSummary:
        return FitSummary()

    def predict(self, block: Block) -> np.ndarray:
        history, origins = series_of(block)
        units = units_of(self.settings.units)
        steps = steps_of(block, units)
        if self.name == "seasonal-naive":
            return naive.seasonal_naive(history, origins, steps, units.season_or_1)
        if self.name == "drift":
            return naive.drift(history, origins, steps)  # (samples, steps)
        last = naive.persistence(history, origins)  # (samples,): every step
        return np.repeat(last[:, None], len(steps), axis=1)  # (samples, steps)


@register("ridge", "gradient-boosting")
class Fitted(Forecaster):
    """A scikit-learn model on the flattened window and covariates, predicting original units.

    Fitted and run on at most ``settings.threads`` OpenMP and BLAS threads, however the
    process started: ``OMP_NUM_THREADS`` set after scikit-learn's OpenMP runtime has loaded
    does not reach it, and gradient boosting on more threads than its share of the cores is
    many times slower. The thread count does not change the fitted model."""

    capabilities = Capabilities(
        needs_scaling=False,
        uses_covariates=True,
        reads_window=True,
        deterministic=True,
        per_seed=False,
        ensemble_member=True,
        saved_as="skops",
    )

    def __init__(self, name, settings) -> None:
        super().__init__(name, settings)
        if name == "ridge":
            self.model = Ridge(alpha=1.0)
        else:
            self.model = HistGradientBoostingRegressor(random_state=settings.seed)

    def fit(self, train, val=None, *, epochs=None, on_epoch=None) -> FitSummary:
        start = time.perf_counter()
        y = _learned(train, self.settings.units)  # (samples, steps)
        with threadpool_limits(limits=self.settings.threads):
            if self.name == "ridge":  # one multi-output linear model
                self.model.fit(flat(train, self.settings.units), y)
            elif y.shape[1] == 1:  # one step: the single-step model itself
                self.model.fit(flat(train, self.settings.units), y[:, 0])
            else:
                self.model = self._per_step(flat(train, self.settings.units), y)
        return FitSummary(seconds=time.perf_counter() - start)

    def _per_step(self, x: np.ndarray, y: np.ndarray):
        """One model per step, the steps fitted side by side in ``threads`` Python threads
        with one OpenMP thread each (the boosting loops release the GIL). The same models as
        fitting them one by one on ``threads`` OpenMP threads, and far faster when the cores
        are shared: measured on the Seoul bike file's fold 2 (24 steps) while another run
        used the cores, 70 s against 220 s."""
        from joblib import parallel_backend
        from sklearn.multioutput import MultiOutputRegressor

        threads = max(1, self.settings.threads)
        with threadpool_limits(limits=1), parallel_backend("threading", n_jobs=threads):
            fitted = MultiOutputRegressor(self.model, n_jobs=threads).fit(x, y)
        fitted.n_jobs = None  # predict step by step in this thread, never in a process pool
        return fitted

    def predict(self, block: Block) -> np.ndarray:
        with threadpool_limits(limits=self.settings.threads):
            out = self.model.predict(
                flat(block, self.settings.units)
            )  # a path: each step's model in turn
        out = np.asarray(out, dtype=np.float64).reshape(len(block.x), -1)  # (samples, steps)
        return _served(out, block, self.settings.units)

    def save(self, folder: Path) -> str:
        """skops' format: no pickle; loaded back with an explicit list of trusted types."""
        import skops.io as sio

        sio.dump(self.model, folder / "model.skops")
        return "model.skops"

    @classmethod
    def load(cls, name, path, settings) -> Fitted:
        import skops.io as sio
        from skops.io.exceptions import UntrustedTypesFoundException

        out = cls(name, settings)
        try:  # skops refuses any type beyond its defaults and these (one read of the file)
            out.model = sio.load(path, trusted=TRUSTED_TYPES)
        except UntrustedTypesFoundException as exc:
            raise ValueError(f"{path} holds types that are not trusted: {exc}") from None
        return out


@register("lag-boosting")
class LagBoosting(Fitted):
    """Gradient boosting built the way forecasters build it: one histogram-boosting model per
    step on the series' own lags at the origin, the target's value one and two seasons (and
    for hourly data one week) before the target, rolling means, the window's newest inputs
    and the target time's calendar (:mod:`seqcast.models.lag_features`). It reads the
    series up to each origin (``history``), not only the window."""

    def __init__(self, name, settings) -> None:
        super().__init__(name, settings)
        self.model: list = []

    def _features(self, block) -> list[np.ndarray]:
        history, origins = series_of(block)
        units = units_of(self.settings.units)
        transform = units.transform
        steps = steps_of(block, units)
        return lag_features(
            history,
            origins,
            block.x[:, -1, :],  # (samples, features): the newest inputs
            block.covariates,
            steps,
            units.season_or_1,
            relative=transform.relative,
            spread=transform.window_spread(block.x) if isinstance(transform, Normalize) else None,
        )

    def fit(self, train, val=None, *, epochs=None, on_epoch=None) -> FitSummary:
        from concurrent.futures import ThreadPoolExecutor

        start = time.perf_counter()
        y = _learned(train, self.settings.units)  # (samples, steps)
        features = self._features(train)
        seed = self.settings.seed

        def one(j: int) -> HistGradientBoostingRegressor:
            # a column with no value at all (a lag further back than the fit's history) is
            # constant 0 here: scikit-learn cannot bin an empty column, and a constant one is
            # never split on, so whatever it holds later changes nothing
            x = features[j].copy()
            x[:, np.isnan(x).all(axis=0)] = 0.0
            return HistGradientBoostingRegressor(random_state=seed).fit(x, y[:, j])

        # the steps side by side, one OpenMP thread each (as the per-step gradient boosting)
        with threadpool_limits(limits=1), ThreadPoolExecutor(max(1, self.settings.threads)) as ex:
            self.model = list(ex.map(one, range(y.shape[1])))
        return FitSummary(seconds=time.perf_counter() - start)

    def predict(self, block: Block) -> np.ndarray:
        with threadpool_limits(limits=self.settings.threads):
            out = np.stack(
                [m.predict(f) for m, f in zip(self.model, self._features(block), strict=True)],
                axis=1,
            )  # (samples, steps)
        return _served(out, block, self.settings.units)
