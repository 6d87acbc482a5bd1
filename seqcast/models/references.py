"""Reference forecasts, computed in the same run and evaluated like the deep variants, each a
:class:`~seqcast.models.forecaster.Forecaster`.

Every one forecasts every step of the path, (samples, steps) in original units.

``persistence``: the last observed value, for every step. ``seasonal-naive``: the newest value
a whole number of seasons before each step's target time (53 weeks; 24 hours). ``drift``: the
random walk with drift, the last value plus the mean change per step since the series began
(:mod:`seqcast.data.naive`). ``ridge``: one
multi-output linear model on the flattened window plus every step's known-future covariates.
``gradient-boosting``: one LightGBM model per step on the same inputs (histogram boosting with
the settings of scikit-learn's HistGradientBoosting defaults, which it replaced: fitted 3 times
faster, lag-boosting 5-6 times, at about the same accuracy; see :class:`Boosting`). With the
``difference`` target transform ridge and gradient boosting learn the change from the origin
(trees cannot reach past the training range; the change can); with ``normalize``, that change
in units of the window's own spread. Measured with scikit-learn's HistGradientBoosting (before
LightGBM) on the Seoul bike file (24 steps, fold 2 of the backtest, 2 cores): one model per
step took 33 s and scored MAE 291 over the steps (120 at step 1); one model with the step as a
feature took 9 s and scored 319 (242 at step 1; 313 / 326 with 500 iterations or 63 leaves),
so the per-step models are worth their cost.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
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


# LightGBM's settings for every boosting reference: scikit-learn's HistGradientBoosting
# defaults (100 trees of at most 31 leaves, learning rate 0.1, at least 20 rows a leaf, 255 bins),
# deterministic, one thread per model (the steps' models fit side by side).
BOOSTING = {
    "objective": "regression",
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "lambda_l2": 0.0,
    "max_bin": 255,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbosity": -1,
}
BOOSTING_ROUNDS = 100


class _Stored(Forecaster):
    """A fitted reference stored as JSON (``model.json``: numbers and LightGBM's own text
    models, no pickle). A ``.skops`` file, which served bundles saved before, loads too."""

    model: Any  # what the subclass fits: coefficients, per-step boosters, a legacy model

    capabilities = Capabilities(
        needs_scaling=False,
        uses_covariates=True,
        reads_window=True,
        deterministic=True,
        per_seed=False,
        ensemble_member=True,
        saved_as="json",
    )

    def document(self) -> dict:
        raise NotImplementedError

    def restore(self, doc: dict) -> None:
        raise NotImplementedError

    def save(self, folder: Path) -> str:
        from seqcast.io import storage

        storage.write_json(folder / "model.json", {"forecaster": self.name, **self.document()})
        return "model.json"

    @classmethod
    def load(cls, name, path, settings) -> _Stored:
        out = cls(name, settings)
        if Path(path).suffix == ".skops":
            out.model = _skops_model(Path(path))
            return out
        from seqcast.io import storage

        doc = storage.read_json(Path(path))
        if doc.get("forecaster") != name:
            raise ValueError(f"{path} holds {doc.get('forecaster')!r}, not {name!r}")
        out.restore(doc)
        return out


def _skops_model(path: Path):
    """A scikit-learn model a served bundle saved in skops' format before the references
    stored JSON: skops refuses any type beyond its defaults and :data:`TRUSTED_TYPES`."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return sio.load(path, trusted=TRUSTED_TYPES)
    except UntrustedTypesFoundException as exc:
        raise ValueError(f"{path} holds types that are not trusted: {exc}") from None


@register("ridge")
class Linear(_Stored):
    """One multi-output ridge regression (scikit-learn's ``Ridge``, alpha 1) on the flattened
    window and covariates, predicting original units. Stored as its coefficients: serving
    is one matrix product, without scikit-learn."""

    def __init__(self, name, settings) -> None:
        super().__init__(name, settings)
        self.model: Any = None  # (coef, intercept) once fitted, or a legacy skops model

    def fit(self, train, val=None, *, epochs=None, on_epoch=None) -> FitSummary:
        from sklearn.linear_model import Ridge

        start = time.perf_counter()
        y = _learned(train, self.settings.units)  # (samples, steps)
        with threadpool_limits(limits=self.settings.threads):
            ridge = Ridge(alpha=1.0).fit(flat(train, self.settings.units), y)
        steps = y.shape[1]  # scikit-learn drops the steps axis for one step; keep it
        coef = np.asarray(ridge.coef_, dtype=np.float64).reshape(steps, -1)  # (steps, inputs)
        self.model = (coef, np.asarray(ridge.intercept_, dtype=np.float64).reshape(steps))
        return FitSummary(seconds=time.perf_counter() - start)

    def predict(self, block: Block) -> np.ndarray:
        x = flat(block, self.settings.units)  # (samples, inputs)
        if isinstance(self.model, tuple):
            coef, intercept = self.model
            out = x.astype(np.float64) @ coef.T + intercept  # (samples, steps), as stored
        else:  # a legacy skops model
            with threadpool_limits(limits=self.settings.threads):
                out = self.model.predict(x)
        out = np.asarray(out, dtype=np.float64).reshape(len(block.x), -1)  # (samples, steps)
        return _served(out, block, self.settings.units)

    def document(self) -> dict:
        coef, intercept = self.model
        return {"coef": coef.tolist(), "intercept": intercept.tolist()}

    def restore(self, doc: dict) -> None:
        coef = np.asarray(doc["coef"], dtype=np.float64)  # (steps, inputs)
        self.model = (coef, np.asarray(doc["intercept"], dtype=np.float64))  # , (steps,)


@register("gradient-boosting")
class Boosting(_Stored):
    """One LightGBM model per step (:data:`BOOSTING`) on the flattened window and covariates,
    the steps fitted side by side in ``settings.threads`` Python threads with one LightGBM
    thread each (its training releases the GIL). Measured on the Seoul bike file (24 steps,
    log1p run, 2 cores, 2026-12-06): fold 1 / fold 2 / pre-test fits took 13 / 14 / 18 s and
    scored MAE 465.8 / 296.0 / 256.8, where scikit-learn's HistGradientBoosting with the same
    settings took 35 / 42 / 56 s and scored 469.9 / 291.2 / 258.0. Stored as LightGBM's text
    models; a loaded one is evaluated in numpy (``seqcast.models.trees``), so serving does not
    import LightGBM."""

    def __init__(self, name, settings) -> None:
        super().__init__(name, settings)
        self.model: Any = []  # a list of per-step boosters, or a legacy skops model

    def _features(self, block) -> list[np.ndarray]:
        """Each step's inputs (samples, inputs): here the same flattened window for all."""
        x = flat(block, self.settings.units)
        return [x] * len(steps_of(block, units_of(self.settings.units)))

    def fit(self, train, val=None, *, epochs=None, on_epoch=None) -> FitSummary:
        from concurrent.futures import ThreadPoolExecutor

        import lightgbm as lgb

        start = time.perf_counter()
        y = _learned(train, self.settings.units)  # (samples, steps)
        features = self._features(train)
        params = {**BOOSTING, "seed": self.settings.seed}

        def one(j: int):
            x, target = np.ascontiguousarray(features[j]), np.ascontiguousarray(y[:, j])
            data = lgb.Dataset(x, target, params={"verbosity": -1})
            return lgb.train(params, data, num_boost_round=BOOSTING_ROUNDS)

        with ThreadPoolExecutor(max(1, self.settings.threads)) as pool:
            self.model = list(pool.map(one, range(y.shape[1])))
        return FitSummary(seconds=time.perf_counter() - start)

    def predict(self, block: Block) -> np.ndarray:
        features = self._features(block)
        # the thread limit reaches legacy scikit-learn models; a booster runs on one thread
        with threadpool_limits(limits=self.settings.threads):
            if isinstance(self.model, list):  # one model a step, in step order
                out = np.stack(
                    [m.predict(f, num_threads=1) if _is_booster(m) else m.predict(f)
                     for m, f in zip(self.model, features, strict=True)],
                    axis=1,
                )  # fmt: skip
            else:  # a legacy skops model: one multi-output model, or one model for one step
                out = self.model.predict(features[0])
        out = np.asarray(out, dtype=np.float64).reshape(len(block.x), -1)  # (samples, steps)
        return _served(out, block, self.settings.units)

    def document(self) -> dict:
        return {"lightgbm": [m.model_to_string() if _is_booster(m) else m.text for m in self.model]}

    def restore(self, doc: dict) -> None:
        """The stored text models, evaluated in numpy (``seqcast.models.trees``: the same
        outputs as LightGBM's, without importing it); with LightGBM when one holds what numpy
        does not evaluate."""
        from seqcast.models.trees import TreeModel, Unsupported

        try:
            self.model = [TreeModel.parse(text) for text in doc["lightgbm"]]
        except Unsupported:
            import lightgbm as lgb

            self.model = [lgb.Booster(model_str=text) for text in doc["lightgbm"]]


def _is_booster(model) -> bool:
    return type(model).__module__.startswith("lightgbm")


@register("lag-boosting")
class LagBoosting(Boosting):
    """Gradient boosting built the way forecasters build it: one LightGBM model per step on
    the series' own lags at the origin, the target's value one and two seasons (and for
    hourly data one week) before the target, rolling means, the window's newest inputs and
    the target time's calendar (:mod:`seqcast.models.lag_features`); a lag further back than
    the history is missing, which LightGBM routes on its own. It reads the series up to each
    origin (``history``), not only the window."""

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
