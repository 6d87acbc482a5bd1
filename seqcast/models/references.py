"""Reference forecasts, computed in the same run and evaluated like the deep variants, each a
:class:`~seqcast.models.forecaster.Forecaster`.

``persistence``: the last observed value. ``seasonal-naive``: the value one season before the
target time (53 weeks; 24 hours). ``ridge`` and ``gradient-boosting``: scikit-learn models on
the flattened window plus the known-future covariates, fitted on the training windows and
predicting the target in original units.
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
    # (samples, timesteps, features) -> (samples, timesteps * features + covariates)
    return np.concatenate([ws.x.reshape(len(ws.x), -1), ws.covariates], axis=1)


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
        return np.asarray(values, dtype=np.float64)


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
            self.model.fit(flat(train), train.y_raw)
        return FitSummary(seconds=time.perf_counter() - start)

    def predict(self, block: Block) -> np.ndarray:
        with threadpool_limits(limits=self.settings.threads):
            return np.asarray(self.model.predict(flat(block)), dtype=np.float64)

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
