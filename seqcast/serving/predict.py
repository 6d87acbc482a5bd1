"""Serving a champion bundle: from the newest cleaned rows (or raw rows) to one forecast.

One code path for ``seqcast forecast`` (the forecast flow's ``predict-next`` task) and the
MLflow pyfunc model (``seqcast/serving/pyfunc_model.py``), so both predict the same number. Members
load without pickle: Keras files with ``safe_mode=True``, scikit-learn references from skops
with an explicit trusted-types list.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.data.scale import AffineScaler, to_original_units
from seqcast.serving.forecast_input import ForecastInput, last_window
from seqcast.spec.dataset import DatasetSpec


def predict_member(member: dict, path: Path, window: ForecastInput) -> float:
    """One member's forecast in original units."""
    if member["kind"] == "reference":
        from seqcast.models.references import load_reference

        x = np.concatenate([window.x.reshape(1, -1), window.covariates], axis=1)
        return float(load_reference(path).predict(x)[0])  # already in original units
    import keras

    from seqcast.models.deep import model_inputs

    model = keras.models.load_model(path, safe_mode=True)
    inputs = model_inputs(member["variant"], window.x, window.covariates)
    raw = model(inputs, training=False)  # (1, 1); a direct call traces no graph function
    return float(to_original_units(raw, member["units"])[0])


def forecast_from_clean(
    clean: pd.DataFrame,
    spec: DatasetSpec,
    bundle: dict,
    folder: Path,
    source: str,
    known: dict[str, float] | None = None,
) -> dict:
    """The members' weighted mean forecast (equal weights in a bundle that names none) from
    the last window(s) of ``clean`` (the cleaned newest data), each member fed as it was
    trained: ``origin_time``, ``target_time``, ``prediction``."""
    values = []
    window = None
    for member in bundle["members"]:
        scaler = AffineScaler.from_dict(member["units"]["features"])
        window = last_window(
            clean, spec, member["timesteps"], bundle["horizon"], scaler, source, known
        )
        values.append(predict_member(member, folder / member["file"], window))
    if window is None:
        raise ValueError("the bundle has no members")
    return {
        "origin_time": window.origin_time,
        "target_time": window.target_time,
        "prediction": float(
            np.average(values, weights=[m.get("weight", 1.0) for m in bundle["members"]])
        ),
    }


def forecast_from_raw(
    raw: pd.DataFrame,
    bundle: dict,
    folder: Path,
    source: str = "model input",
    known: dict[str, float] | None = None,
) -> dict:
    """The same forecast from raw rows as a file holds them: ingested, validated and cleaned
    exactly as the ``forecast`` flow does (the bundle carries the spec and gap policy)."""
    from schemas import clean_schema, raw_schema
    from seqcast.data.clean import clean
    from seqcast.data.ingest import read_table
    from seqcast.data.validate import validate_frame
    from seqcast.errors import DataError

    spec = DatasetSpec.model_validate(bundle["spec"])
    frame = read_table(raw.to_csv(index=False).encode(), source, spec).frame
    checked = validate_frame(frame, raw_schema(spec), spec.key_columns)
    if not checked.ok:
        raise DataError(source, "validate", checked.problems)
    cleaned = clean(
        frame,
        spec,
        max_fill_steps=bundle["max_fill_steps"],
        on_long_gap=bundle["on_long_gap"],
        source=source,
    ).frame
    checked = validate_frame(cleaned, clean_schema(spec), ["time"], file_lines=False)
    if not checked.ok:
        raise DataError(source, "clean", checked.problems)
    return forecast_from_clean(cleaned, spec, bundle, folder, source, known)
