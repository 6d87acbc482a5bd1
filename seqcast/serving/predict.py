"""Serving a champion bundle: from the newest cleaned rows (or raw rows) to one forecast.

One code path for ``seqcast forecast`` (the forecast flow's ``predict-next`` task) and the
MLflow pyfunc model (``seqcast/serving/pyfunc_model.py``), so both predict the same number.
Each member is the registered Forecaster its bundle entry names, loaded the way that forecaster
stores itself without pickle; the champion is the Ensemble of its members.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seqcast.data.scale import AffineScaler
from seqcast.models.catalog import capabilities, load
from seqcast.models.forecaster import Ensemble, Forecaster, Settings, member_forecaster
from seqcast.serving.forecast_input import last_window
from seqcast.spec.dataset import DatasetSpec


def load_member(member: dict, folder: Path) -> Forecaster:
    """A served member as the registered Forecaster it names, loaded from its file (without
    pickle: each forecaster's own ``load``), predicting in original units."""
    name = member_forecaster(member)
    path = folder / member["file"] if capabilities(name).saved_as != "none" else None
    return load(name, path, Settings(units=member["units"]))


def forecast_from_clean(
    clean: pd.DataFrame,
    spec: DatasetSpec,
    bundle: dict,
    folder: Path,
    source: str,
    known: dict[str, float] | None = None,
) -> dict:
    """The members' weighted mean forecast (equal weights in a bundle that names none) from
    the last window(s) of ``clean`` (the cleaned newest data), each member fed its own window
    as it was trained (its window length and scaling): ``origin_time``, ``target_time``,
    ``prediction``."""
    if not bundle["members"]:
        raise ValueError("the bundle has no members")
    members, windows = [], []
    for member in bundle["members"]:
        scaler = AffineScaler.from_dict(member["units"]["features"])
        windows.append(
            last_window(clean, spec, member["timesteps"], bundle["horizon"], scaler, source, known)
        )
        members.append((load_member(member, folder), member.get("weight", 1.0)))
    value = Ensemble(members).predict_each(windows)  # (1,)
    return {
        "origin_time": windows[-1].origin_time,
        "target_time": windows[-1].target_time,
        "prediction": float(value[0]),
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
