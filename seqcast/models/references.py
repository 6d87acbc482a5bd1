"""Reference forecasts, computed in the same run and evaluated like the deep variants.

``persistence``: the last observed value. ``seasonal-naive``: the value one season before the
target time (53 weeks; 24 hours). ``ridge`` and ``gradient-boosting``: scikit-learn models on
the flattened window plus the known-future covariates, fitted on the training windows.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_limits

from seqcast.data.windows import WindowSet

REFERENCES = ("persistence", "seasonal-naive", "ridge", "gradient-boosting")


def flat(ws: WindowSet) -> np.ndarray:
    # (samples, timesteps, features) -> (samples, timesteps * features + covariates)
    return np.concatenate([ws.x.reshape(len(ws), -1), ws.covariates], axis=1)


FITTED = ("ridge", "gradient-boosting")
# The one type skops does not trust by default in these models (checked for scikit-learn 1.9).
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


def fit_reference(name: str, train: WindowSet, seed: int, threads: int = 1):
    """A fitted scikit-learn reference (``ridge`` or ``gradient-boosting``) on the flattened
    training windows, predicting the target in original units.

    Fitted on at most ``threads`` OpenMP and BLAS threads, however the process started:
    ``OMP_NUM_THREADS`` set after scikit-learn's OpenMP runtime has loaded does not reach it,
    and gradient boosting on more threads than its share of the cores is many times slower.
    The thread count does not change the fitted model."""
    if name == "ridge":
        model = Ridge(alpha=1.0)
    elif name == "gradient-boosting":
        model = HistGradientBoostingRegressor(random_state=seed)
    else:
        raise KeyError(f"unknown fitted reference {name!r}; known: {FITTED}")
    with threadpool_limits(limits=threads):
        return model.fit(flat(train), train.y_raw)


def predict_reference(model, ws: WindowSet, threads: int = 1) -> np.ndarray:
    """A fitted reference's forecast of ``ws`` (original units, (samples,)) on at most
    ``threads`` OpenMP and BLAS threads."""
    with threadpool_limits(limits=threads):
        return model.predict(flat(ws))


def naive_predictions(ws: WindowSet) -> dict[str, np.ndarray]:
    """persistence and seasonal-naive on ``ws``, original units: name -> (samples,)."""
    return {
        "persistence": _required(ws.y_last_raw, "y_last_raw"),
        "seasonal-naive": _required(ws.y_seasonal_raw, "y_seasonal_raw"),
    }


def save_reference(model, path) -> None:
    """A fitted reference in skops' format: no pickle, loaded back by :func:`load_reference`
    with an explicit list of trusted types."""
    import skops.io as sio

    sio.dump(model, path)


def load_reference(path):
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    unknown = [t for t in untrusted if t not in TRUSTED_TYPES]
    if unknown:
        raise ValueError(f"{path} holds types that are not trusted: {unknown}")
    return sio.load(path, trusted=TRUSTED_TYPES)


def reference_predictions(
    train: WindowSet, splits: dict[str, WindowSet], seed: int, threads: int = 1
) -> dict[str, dict[str, np.ndarray]]:
    """Predictions in original units: ``{reference: {split: (samples,)}}``."""
    naive = {s: naive_predictions(ws) for s, ws in splits.items()}
    out = {name: {s: naive[s][name] for s in splits} for name in ("persistence", "seasonal-naive")}
    for name in FITTED:
        model = fit_reference(name, train, seed, threads)
        out[name] = {s: predict_reference(model, ws, threads) for s, ws in splits.items()}
    return out


def _required(values: np.ndarray | None, name: str) -> np.ndarray:
    if values is None:
        raise ValueError(f"windows lack {name}; prepare them again with this version")
    return values
