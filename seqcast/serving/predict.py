"""Serving a champion bundle: from the newest cleaned rows (or raw rows) to one forecast path:
every step's forecast with its prediction intervals.

One code path for ``seqcast forecast`` (the forecast flow's ``predict-next`` task) and the
MLflow pyfunc model (``seqcast/serving/pyfunc_model.py``), so both predict the same numbers.
Each member is the registered Forecaster its bundle entry names, loaded the way that forecaster
stores itself without pickle; the champion is the Ensemble of its members.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.evaluation.calibration import calendar_groups, interval_bounds
from seqcast.evaluation.intervals import Intervals, level_key
from seqcast.evaluation.online import Tracker, bounds_of, catch_up, group_count, walk
from seqcast.models.catalog import capabilities, load
from seqcast.models.forecaster import Ensemble, Forecaster, Settings
from seqcast.serving.bundle import Bundle, ServedMember
from seqcast.serving.forecast_input import last_window, windows_at
from seqcast.spec.dataset import DatasetSpec
from seqcast.spec.timeindex import period_label


def load_member(member: ServedMember, folder: Path) -> Forecaster:
    """A served member as the registered Forecaster it names, loaded from its file (without
    pickle: each forecaster's own ``load``), predicting in original units."""
    name = member.forecaster
    path = folder / member.file if capabilities(name).saved_as != "none" else None
    return load(name, path, Settings(units=member.units))


def forecast_from_clean(
    clean: pd.DataFrame,
    spec: DatasetSpec,
    bundle: Bundle,
    folder: Path,
    source: str,
    known: dict[str, float] | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The members' weighted mean forecast from
    the last window(s) of ``clean`` (the cleaned newest data), each member fed its own window
    as it was trained (its window length and scaling), for every step, with the bundle's
    conformal intervals, adapted online on ``history`` (this champion's scored forecasts)
    where the bundle has an online rate. One row per step: ``origin_time``, ``step``,
    ``target_time``, ``period`` (the target period as a person names it), ``prediction``, then
    ``lower_<level>`` and ``upper_<level>`` per interval level."""
    steps = bundle.steps
    value, last = _ensemble(
        bundle, folder, spec, lambda ts, scaler: last_window(clean, spec, ts, steps, scaler,
                                                             source, known)
    )  # fmt: skip
    value = value.reshape(1, -1)  # (1, steps)
    out = pd.DataFrame(
        {
            "origin_time": last.origin_time,
            "step": steps,
            "target_time": last.target_times,
            "period": [period_label(int(s), spec.time_index) for s in last.target_steps],
            "prediction": value[0],
        }
    )
    for level, (lo, hi) in _bounds(bundle, spec, value, last.target_time, history).items():
        out[f"lower_{level}"] = lo[0]
        out[f"upper_{level}"] = hi[0]
    return out


def forecast_at(
    clean: pd.DataFrame, spec: DatasetSpec, bundle: Bundle, folder: Path, origins: np.ndarray
) -> pd.DataFrame:
    """The forecast :func:`forecast_from_clean` would make at each row of ``origins``
    (positions in ``clean``; each must have a whole window with no gap, see
    ``forecast_input.usable_origins``), all at once: the members loaded once and fed every
    origin's window in one block. What a replay serves from every forecast time of history.
    Long form: one row per (origin, step), the columns of :func:`forecast_from_clean` less
    ``period``."""
    steps = bundle.steps
    origins = np.asarray(origins, dtype=np.int64)
    value, last = _ensemble(
        bundle, folder, spec, lambda ts, scaler: windows_at(clean, spec, ts, steps, scaler,
                                                            origins)
    )  # fmt: skip
    value = value.reshape(len(origins), -1)  # (n, steps)
    times = last.target_time  # (n, steps)
    out = pd.DataFrame(
        {
            "origin_time": np.repeat(last.origin_times, len(steps)),
            "step": np.tile(np.asarray(steps), len(origins)),
            "target_time": times.ravel(),
            "prediction": value.ravel(),
        }
    )
    for level, (lo, hi) in _bounds(bundle, spec, value, times).items():
        out[f"lower_{level}"] = lo.ravel()
        out[f"upper_{level}"] = hi.ravel()
    return out


def _ensemble(bundle: Bundle, folder: Path, spec: DatasetSpec, block_of):
    """The members' weighted mean, each fed the block ``block_of(timesteps, scaler)`` makes
    for its own window length and scaling, never below the target's minimum; returns the
    values (samples, steps) and the last member's block (its times)."""
    members, blocks = [], []
    for member in bundle.members:
        scaler = member.units.feature_scaler()
        blocks.append(block_of(member.timesteps, scaler))
        members.append((load_member(member, folder), member.by_step or member.weight))
    minimum = spec.column(spec.target).min
    value = Ensemble(members, minimum).predict_each(blocks)
    if minimum is not None:  # never below the target's minimum
        value = np.maximum(value, minimum)
    return value, blocks[-1]


def _bounds(
    bundle: Bundle,
    spec: DatasetSpec,
    value: np.ndarray,
    times: np.ndarray,
    history: pd.DataFrame | None = None,
) -> dict:
    """The bundle's conformal intervals around ``value`` at ``times`` (none without). With an
    online ``rate`` and ``history`` (this champion's served forecasts already scored: ``step``,
    ``target_time``, ``prediction``, ``actual``), the offsets first learn every scored actual
    in the order they arrived (``seqcast.evaluation.online``); otherwise the static offsets."""
    doc = bundle.intervals
    if not doc:
        return {}
    frequency = spec.time_index.frequency
    rate = float((doc.get("online") or {}).get("rate") or 0.0)
    if not rate or history is None or history.empty:
        return interval_bounds(doc, value, times, frequency)
    steps = list(bundle.steps)
    first = np.asarray(times, dtype="datetime64[ns]").min()  # the new path's first target
    # only actuals known at the new origin (a source rolled back leaves later ones scored)
    rows = history[history["step"].isin(steps) & (history["target_time"] < first)]
    grouped = bool(doc.get("group"))
    past_times = rows["target_time"].to_numpy("datetime64[ns]")
    new_groups = calendar_groups(times, frequency) if grouped else None
    old_groups = calendar_groups(past_times[:, None], frequency) if grouped else None
    tracker = Tracker.start(Intervals.from_dict(doc), group_count(new_groups, old_groups), rate)
    catch_up(
        tracker,
        past_times.astype(np.int64),
        np.searchsorted(steps, rows["step"].to_numpy()),
        None if old_groups is None else old_groups[:, 0],
        (rows["actual"] - rows["prediction"]).to_numpy(float),
    )
    n = len(value)
    step = np.broadcast_to(np.arange(len(steps)), (n, len(steps)))
    g = np.zeros((n, len(steps)), np.int64) if new_groups is None else new_groups
    offsets = tracker.offsets(step, g)
    bounds = bounds_of(np.asarray(value, np.float64), offsets, doc.get("minimum"))
    return {level_key(level): pair for level, pair in bounds.items()}


def with_online_bounds(
    rows: pd.DataFrame, doc: dict | None, frequency: str, steps: list[int]
) -> pd.DataFrame:
    """A replay's served forecasts of one champion (long form, every step of every origin,
    with ``actual`` where known) with ``lower_online_<level>`` and ``upper_online_<level>``:
    the bounds a forecast run would have served had it adapted the champion's offsets on
    its earlier forecasts, each origin learning only the actuals at or before it
    (``seqcast.evaluation.online.walk``). Without an online rate they equal the static
    bounds."""
    out = rows.sort_values(["origin_time", "step"]).reset_index(drop=True)
    if not doc:
        return out
    n, k = len(out) // len(steps), len(steps)
    if n * k != len(out) or not (out["step"].to_numpy().reshape(n, k) == steps).all():
        raise ValueError("every origin of a replayed champion must forecast every step")
    times = out["target_time"].to_numpy("datetime64[ns]").reshape(n, k)
    origin = out["origin_time"].to_numpy("datetime64[ns]").reshape(n, k)[:, 0]
    predicted = out["prediction"].to_numpy(float).reshape(n, k)
    residual = out["actual"].to_numpy(float).reshape(n, k) - predicted
    groups = calendar_groups(times, frequency) if doc.get("group") else None
    rate = float((doc.get("online") or {}).get("rate") or 0.0)
    tracker = Tracker.start(Intervals.from_dict(doc), group_count(groups), rate)
    offsets = walk(tracker, origin.astype(np.int64), times.astype(np.int64), residual, groups)
    for level, (lo, hi) in bounds_of(predicted, offsets, doc.get("minimum")).items():
        out[f"lower_online_{level_key(level)}"] = lo.reshape(-1)
        out[f"upper_online_{level_key(level)}"] = hi.reshape(-1)
    return out


def forecast_from_raw(
    raw: pd.DataFrame,
    bundle: Bundle,
    folder: Path,
    source: str = "model input",
    known: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The same forecast from raw rows as a file holds them: ingested, validated and cleaned
    exactly as the ``forecast`` flow does (the bundle carries the spec and gap policy)."""
    content = raw.to_csv(index=False).encode()
    cleaned = clean_content(content, bundle.spec, bundle.max_fill_steps, bundle.on_long_gap, source)
    return forecast_from_clean(cleaned.frame, bundle.spec, bundle, folder, source, known)


def clean_content(
    content: bytes, spec: DatasetSpec, max_fill_steps: int, on_long_gap: str, source: str
):
    """A file's bytes ingested, validated and cleaned as the prepare and forecast flows do
    (``seqcast.data.clean.Cleaned``: the frame and every filled cell); a ``DataError`` naming
    the file, column and rows at fault otherwise."""
    from schemas import clean_schema, raw_schema
    from seqcast.data.clean import clean
    from seqcast.data.ingest import read_table
    from seqcast.data.validate import validate_frame
    from seqcast.errors import DataError

    frame = read_table(content, source, spec).frame
    checked = validate_frame(frame, raw_schema(spec), spec.key_columns)
    if not checked.ok:
        raise DataError(source, "validate", checked.problems)
    cleaned = clean(
        frame,
        spec,
        max_fill_steps=max_fill_steps,
        on_long_gap=on_long_gap,  # type: ignore[arg-type]
        source=source,
    )
    checked = validate_frame(cleaned.frame, clean_schema(spec), ["time"], file_lines=False)
    if not checked.ok:
        raise DataError(source, "clean", checked.problems)
    return cleaned
