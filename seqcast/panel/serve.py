"""Every series' next ``horizon`` steps from a panel champion's folder (``bundle.json`` and
the deep members' ``.keras`` files): the one code path of ``seqcast forecast`` and the MLflow
pyfunc model. Deep members read each series' newest window; reference members (ets, theta)
run the states they were fitted to at the test's origin over each series' newest rows
(no fitting: a few milliseconds a series), the others (and a series the train never saw) are
fitted on its rows; the intervals are the champion's per-step offsets times each series'
MASE scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from seqcast.errors import ConfigError
from seqcast.io import storage
from seqcast.panel import evaluate, local
from seqcast.panel import model as global_model
from seqcast.panel.data import FIXED_STEP, Panel
from seqcast.panel.metrics import mase_scale
from seqcast.panel.run import served_paths
from seqcast.panel.spec import PANDAS_FREQUENCY, PanelSpec
from seqcast.panel.train import as_frame, forecast_windows
from seqcast.panel.windows import Windows

BUNDLE = "bundle.json"
STATES = "reference_states.json"  # ets / theta members' states, fitted before the test


def read_bundle(folder: Path) -> dict:
    return storage.read_json(folder / BUNDLE)


def forecast_frame(panel: Panel, bundle: dict, folder: Path) -> pd.DataFrame:
    """One row per series and step: forecast, lower/upper per level, origin, time, champion,
    run."""
    import keras

    missing = [
        k for k in ("spec", "champion", "members", "models", "offsets", "run") if k not in bundle
    ]
    if missing:
        raise ConfigError(
            f"the champion in {folder} lacks {missing}: it was written by another version; "
            "train again"
        )
    try:
        spec = PanelSpec.model_validate(bundle["spec"])
    except ValidationError as err:
        raise ConfigError(
            f"the champion in {folder} holds a spec this version cannot read: {err}"
        ) from None
    members = bundle["members"]
    refs = [m for m in members if m in local.REFERENCES]
    ref_frame = None
    if refs:
        states_file = folder / STATES
        states = storage.read_json(states_file) if states_file.is_file() else {}
        ref_frame = local.served_forecasts(panel.ids, panel.values, spec, refs, states)
    w = forecast_windows(panel, spec, "serve")
    fed = w
    if spec.training.series_identity and any(v not in local.REFERENCES for v in bundle["models"]):
        known = {sid: i for i, sid in enumerate(bundle.get("ids", []))}
        unknown = [sid for sid in panel.ids if sid not in known]
        if unknown:
            raise ConfigError(
                f"the champion's deep models learned an identity for each training series; "
                f"{len(unknown)} series were not among them ({', '.join(unknown[:5])}"
                f"{' ...' if len(unknown) > 5 else ''}): train again to forecast them"
            )
        trained = np.asarray([known[sid] for sid in panel.ids], dtype=np.int64)
        fed = Windows(w.x, w.y, w.scale, trained[w.series], w.origin)  # identity by name
    deep = {}
    for v, names in bundle["models"].items():
        if v in local.REFERENCES:
            continue
        paths = [
            global_model.predict(keras.models.load_model(folder / n), fed, spec) for n in names
        ]  # each (series, horizon)
        deep[v] = as_frame(panel, w, np.mean(paths, axis=0), "serve", "forecast")
    frame = served_paths(ref_frame, deep, bundle["champion"], members)
    scale = {
        sid: mase_scale(y, spec.period) for sid, y in zip(panel.ids, panel.values, strict=True)
    }
    frame["scale"] = frame["series"].map(scale)
    offsets = {int(k): v for k, v in bundle["offsets"].items()}
    frame = evaluate.with_bounds(frame, "forecast", offsets)
    last = dict(zip(panel.ids, [t[-1] for t in panel.times], strict=True))
    frame["origin"] = frame["series"].map(last)
    frame["time"] = target_times(frame["origin"], frame["step"], spec)
    frame = frame.drop(columns=["evaluation", "start", "scale"])
    frame.insert(0, "champion", bundle["champion"])
    frame.insert(1, "run", bundle["run"])
    return frame


def target_times(origin: pd.Series, step: pd.Series, spec: PanelSpec) -> pd.Series:
    """The time each forecast is for: the origin plus ``step`` periods (vectorised: one
    calendar addition per step number, not per row)."""
    if spec.time.kind == "step":
        return origin.astype("int64") + step
    code = PANDAS_FREQUENCY[spec.time.frequency]
    # a fixed length (hours, days, weeks) is added as a duration: "W" as an offset would roll
    # a Monday series onto Sundays
    offset = (
        pd.Timedelta(FIXED_STEP[code], "ns")
        if code in FIXED_STEP
        else pd.tseries.frequencies.to_offset(code)
    )
    stamps = pd.DatetimeIndex(pd.to_datetime(origin))
    out = pd.Series(pd.NaT, index=origin.index, dtype="datetime64[ns]")
    steps = step.to_numpy()
    for k in np.unique(steps):
        at = steps == k
        out[at] = stamps[at] + int(k) * offset
    return out
