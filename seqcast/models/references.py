"""Reference forecasts, computed in the same run and evaluated like the deep variants, each a
:class:`~seqcast.models.forecaster.Forecaster`.

Every one forecasts every step of the path, (samples, steps) in original units.

``persistence``: the last observed value, for every step. ``seasonal-naive``: the newest value
a whole number of seasons before each step's target time (53 weeks; 24 hours). ``ridge``: one
multi-output linear model on the flattened window plus every step's known-future covariates.
``gradient-boosting``: one histogram-boosting model for all steps, the step as a feature: each
window gives one training row per step (the flattened window, that step's covariates and the
step), so one model of the usual size learns every step and shares what the steps have in
common; with one step it is exactly the single-step model.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_limits

from seqcast.models.forecaster import Block, Capabilities, FitSummary, Forecaster, register

# The one type skops does not trust by default in these models (checked for scikit-learn 1.9).
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


def flat(ws: Block) -> np.ndarray:
    # (samples, timesteps, features) -> (samples, timesteps * features + steps * covariates)
    cov = ws.covariates.reshape(len(ws.covariates), -1)  # (samples, steps * covariates)
    return np.concatenate([ws.x.reshape(len(ws.x), -1), cov], axis=1)


def by_step(ws: Block) -> np.ndarray:
    """One row per (window, step): the flattened window, that step's covariates and, with
    several steps, the step's position. Window-major: rows ``i * steps .. i * steps + steps - 1``
    are window ``i``'s. Returns (samples * steps, timesteps * features + covariates [+ 1])."""
    cov = ws.covariates
    if cov.ndim == 2:
        cov = cov[:, None, :]  # one step: (samples, covariates) -> (samples, 1, covariates)
    n, steps, _ = cov.shape
    window = np.repeat(ws.x.reshape(n, -1), steps, axis=0)  # (samples * steps, t * f)
    parts = [window, cov.reshape(n * steps, -1)]
    if steps > 1:
        parts.append(np.tile(np.arange(steps, dtype=np.float32), n)[:, None])
    return np.concatenate(parts, axis=1)


@register("persistence", "seasonal-naive")
class Naive(Forecaster):
    """Read off the windows: the target at the window's last row (``persistence``) or one
    season before the target time (``seasonal-naive``). Nothing to fit or store; never an
    ensemble member (the yardsticks every candidate must beat)."""

    capabilities = Capabilities(
        needs_scaling=False,
        uses_covariates=False,
        reads_window=False,
        deterministic=True,
        per_seed=False,
        ensemble_member=False,
        saved_as="none",
    )
    _COLUMN: ClassVar[dict[str, str]] = {
        "persistence": "y_last_raw",
        "seasonal-naive": "y_seasonal_raw",
    }

    def fit(self, train, val=None, *, epochs=None, on_epoch=None) -> FitSummary:
        return FitSummary()

    def predict(self, block: Block) -> np.ndarray:
        column = self._COLUMN[self.name]
        values = getattr(block, column, None)
        if values is None:
            raise ValueError(f"windows lack {column}; prepare them again with this version")
        values = np.asarray(values, dtype=np.float64)
        steps = block.covariates.shape[1] if block.covariates.ndim == 3 else 1
        if values.ndim == 1:  # persistence: the origin's value for every step
            values = np.repeat(values[:, None], steps, axis=1)
        return values  # (samples, steps)


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
        with threadpool_limits(limits=self.settings.threads):
            if self.name == "ridge":  # multi-output: (samples, steps)
                self.model.fit(flat(train), train.y_raw)
            else:  # (samples * steps,) window-major, as by_step's rows
                self.model.fit(by_step(train), train.y_raw.reshape(-1))
        return FitSummary(seconds=time.perf_counter() - start)

    def predict(self, block: Block) -> np.ndarray:
        n = len(block.x)
        with threadpool_limits(limits=self.settings.threads):
            if self.name == "ridge":
                out = self.model.predict(flat(block))
            else:
                out = self.model.predict(by_step(block))  # (samples * steps,)
        return np.asarray(out, dtype=np.float64).reshape(n, -1)  # (samples, steps)

    def save(self, folder: Path) -> str:
        """skops' format: no pickle; loaded back with an explicit list of trusted types."""
        import skops.io as sio

        sio.dump(self.model, folder / "model.skops")
        return "model.skops"

    @classmethod
    def load(cls, name, path, settings) -> Fitted:
        import skops.io as sio

        untrusted = sio.get_untrusted_types(file=path)
        unknown = [t for t in untrusted if t not in TRUSTED_TYPES]
        if unknown:
            raise ValueError(f"{path} holds types that are not trusted: {unknown}")
        out = cls(name, settings)
        out.model = sio.load(path, trusted=TRUSTED_TYPES)
        return out
