"""A seqcast champion as an MLflow pyfunc model.

Logged with MLflow's models-from-code: this file is the model's code (nothing is pickled) and
its one artifact, ``champion``, is the champion's bundle folder (``bundle.json``, ``.keras``
files run in numpy by ``seqcast.models.forward``, the references' ``.json`` files; older
bundles' ``.skops`` files loaded with a trusted-types list).

Input: the newest raw rows, columns as the dataset's file has them (at least the longest
member window). Params: ``known_<column>`` for each known-future column of the spec. Output:
one row per forecast step with ``origin_time``, ``step``, ``target_time``, ``period``,
``prediction`` and the interval bounds (``lower_80``, ``upper_80``, ...): exactly what
``seqcast forecast`` predicts from the same rows (``seqcast.serving.predict`` is the one code
path).
"""

from __future__ import annotations

import math
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class SeqcastForecaster(PythonModel):
    def load_context(self, context):
        from seqcast.serving.bundle import read_bundle

        self.folder = Path(context.artifacts["champion"])
        self.bundle = read_bundle(self.folder / "bundle.json")

    # A DataFrame hint tells MLflow to infer nothing from it (the input signature is declared
    # from the dataset spec when the model is logged), which also silences its advice to add
    # hints: that advice is raised under MLflow's own "once" filter, which no ignore can reach.
    def predict(self, context, model_input: pd.DataFrame, params=None):
        from seqcast.serving.predict import forecast_from_raw

        known = {
            name.removeprefix("known_"): float(value)
            for name, value in (params or {}).items()
            if name.startswith("known_") and not math.isnan(float(value))
        }
        return forecast_from_raw(pd.DataFrame(model_input), self.bundle, self.folder, known=known)


mlflow.models.set_model(SeqcastForecaster())
