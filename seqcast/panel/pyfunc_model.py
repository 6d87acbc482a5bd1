"""A panel champion as an MLflow pyfunc model (models-from-code: this file is the code, the
champion folder its one artifact, nothing pickled).

Input: a long frame of every series' newest rows, the columns the spec names (series, time,
target). Output: one row per series and step, exactly what ``seqcast forecast`` writes from
the same rows (``seqcast.panel.serve`` is the one code path). A series that fails the checks
is left out of the output, as in a forecast run.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class PanelForecaster(PythonModel):
    def load_context(self, context):
        from seqcast.panel.serve import read_bundle

        self.folder = Path(context.artifacts["champion"])
        self.bundle = read_bundle(self.folder)

    def predict(self, context, model_input: pd.DataFrame, params=None):
        from seqcast.panel.data import read_long
        from seqcast.panel.serve import forecast_frame
        from seqcast.panel.spec import PanelSpec

        spec = PanelSpec.model_validate(self.bundle["spec"])
        panel = read_long(pd.DataFrame(model_input).astype(str), spec, "the model input")
        return forecast_frame(panel, self.bundle, self.folder)


mlflow.models.set_model(PanelForecaster())
