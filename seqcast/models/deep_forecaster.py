"""Every deep variant of :mod:`seqcast.models.deep` as a
:class:`~seqcast.models.forecaster.Forecaster`: trained by :mod:`seqcast.models.fitting` in the
fit's own (scaled) units, predicting in original units through the units document it was made
with, stored as a ``.keras`` file. A loaded model predicts in numpy
(:mod:`seqcast.models.forward`: no TensorFlow in a forecast); a file holding a layer that
module does not compute is loaded with Keras, ``safe_mode=True``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from seqcast.data.units import units_of
from seqcast.models.deep import REGISTRY, model_inputs
from seqcast.models.fitting import fit_with_retry, start_tensorflow
from seqcast.models.forecaster import Block, Capabilities, FitSummary, Forecaster, register


class DeepForecaster(Forecaster):
    capabilities = Capabilities(
        needs_scaling=True,
        uses_covariates=True,
        reads_window=True,
        deterministic=False,
        per_seed=True,
        ensemble_member=True,
        saved_as="keras",
    )

    def __init__(self, name, settings) -> None:
        super().__init__(name, settings)
        # a keras.Model once fitted; a numpy Network (seqcast.models.forward) once loaded
        self.model: Any = None

    def fit(self, train, val=None, *, epochs=None, on_epoch=None, start=None) -> FitSummary:
        """Early-stopped on ``val`` (retried once with another seed when the fit collapsed),
        or exactly ``epochs`` epochs without it (``fitting.fit_variant``); from the weights
        ``start`` (``weights()`` of an earlier fit with the same settings) when given."""
        s = self.settings
        if s.variant is None or s.training is None:
            raise ValueError(f"{self.name}: a deep variant needs its variant and training config")
        training = s.training.model_copy(update={"seed": s.seed})
        splits = {"train": train} if val is None else {"train": train, "val": val}
        shown = units_of(s.units).transform
        splits = {k: replace(v, x=shown.model_inputs(v.x)) for k, v in splits.items()}
        model, trained, collapsed = fit_with_retry(
            self.name, s.variant, training, splits, None, on_epoch, epochs=epochs, start=start
        )
        self.model = model
        return FitSummary(
            seconds=trained.seconds,
            history=trained.history,
            best_epoch=trained.best_epoch,
            epochs=len(trained.history["loss"]),
            params=trained.params,
            collapsed_attempts=collapsed,
        )

    def predict(self, block: Block) -> np.ndarray:
        if self.model is None or self.settings.units is None:
            raise ValueError(f"{self.name}: fit or load the model, with its units, first")
        # one direct call: model.predict would trace a graph function per batch shape
        transform = self.settings.units.transform
        x = transform.model_inputs(block.x)  # (samples, timesteps, features)
        raw = self.model(model_inputs(self.name, x, block.covariates), training=False)
        origin = getattr(block, "y_last_raw", None)  # read by a relative target only
        # (samples, steps); a normalised target reads each window's spread from block.x
        return transform.to_original(raw, origin, block.x)

    def weights(self) -> list[np.ndarray]:
        """The fitted model's weights, in the order ``fit(start=...)`` takes them."""
        if not hasattr(self.model, "get_weights"):
            raise ValueError(f"{self.name}: only a fitted Keras model gives its weights")
        return [np.asarray(w) for w in self.model.get_weights()]

    def save(self, folder: Path) -> str:
        if not hasattr(self.model, "save"):
            raise ValueError(
                f"{self.name}: only a fitted Keras model is stored; this one was loaded"
            )
        self.model.save(str(folder / "model.keras"))
        return "model.keras"

    @classmethod
    def load(cls, name, path, settings) -> DeepForecaster:
        """The stored model, run in numpy (the same outputs as Keras' to float32 rounding,
        without TensorFlow's start-up); with Keras when it holds what numpy does not run."""
        from seqcast.models.forward import Network, Unsupported

        out = cls(name, settings)
        try:
            out.model = Network.read(path)
        except Unsupported:
            start_tensorflow()
            import keras

            out.model = keras.models.load_model(path, safe_mode=True)
        return out


register(*REGISTRY)(DeepForecaster)
