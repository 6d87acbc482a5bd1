"""The data half as pure stage functions: typed data in, typed data out, no Prefect, no I/O.

Each function takes the previous stage's frame and the run config, and returns a
:class:`StageResult` (its frame, a JSON-able report, and any extra outputs). Tasks in
``tasks/`` load inputs, call these, and save what they return.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqcast.config import PrepareConfig
from seqcast.data.clean import clean
from seqcast.data.ingest import read_table
from seqcast.data.scale import fit_scaler
from seqcast.data.split import split_chronologically
from seqcast.data.target import add_target
from seqcast.data.windows import WindowSet, make_windows, window_ends
from seqcast.errors import DataError, Problem
from seqcast.io.paths import SPLITS

# Bump a stage's version when its logic changes: it is part of that stage's cache key.
STAGE_VERSIONS = {
    "ingest": "1",
    "validate": "1",
    "clean": "1",
    "target": "1",
    "split": "1",
    "scale": "2",
    "temporalize": "2",
}


@dataclass
class StageResult:
    frame: pd.DataFrame | None
    report: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    documents: dict[str, dict] = field(default_factory=dict)
    windows: dict[str, WindowSet] = field(default_factory=dict)


def stage_settings(stage: str, cfg: PrepareConfig) -> dict:
    """The settings a stage depends on: these (and nothing else) go into its cache key."""
    spec = cfg.spec
    settings: dict[str, object] = {
        "ingest": {"spec": spec.data_fingerprint()},
        "validate": {},
        "clean": {
            "max_fill_steps": cfg.resolved_max_fill_steps,
            "on_long_gap": cfg.resolved_on_long_gap,
        },
        "target": {"horizon": cfg.resolved_horizon},
        "split": {"split": spec.split.model_dump()},
        "scale": {"scaler": cfg.scaler, "scale_target": cfg.resolved_scale_target},
        "temporalize": {"timesteps": cfg.resolved_timesteps},
    }[stage]  # type: ignore[assignment]
    return {"stage": stage, "version": STAGE_VERSIONS[stage], **settings}  # type: ignore[dict-item]


def ingest(content: bytes, cfg: PrepareConfig, source: str) -> StageResult:
    got = read_table(content, source, cfg.spec)
    return StageResult(got.frame, got.meta)


def clean_stage(frame: pd.DataFrame, cfg: PrepareConfig, source: str) -> StageResult:
    cleaned = clean(
        frame,
        cfg.spec,
        max_fill_steps=cfg.resolved_max_fill_steps,
        on_long_gap=cfg.resolved_on_long_gap,
        source=source,
    )
    return StageResult(cleaned.frame, cleaned.report, tables={"filled_cells": cleaned.filled_cells})


def target_stage(frame: pd.DataFrame, cfg: PrepareConfig, source: str) -> StageResult:
    horizon = cfg.resolved_horizon
    if len(frame) <= horizon:
        raise DataError(
            source,
            "target",
            [Problem("(rows)", f"too few rows: {len(frame)} row(s) for horizon {horizon}")],
        )
    out = add_target(frame, cfg.spec, horizon)
    return StageResult(
        out,
        {
            "horizon": horizon,
            "rows_in": len(frame),
            "rows_out": len(out),
            "trailing_dropped": horizon,
        },
    )


def split_stage(frame: pd.DataFrame, cfg: PrepareConfig, source: str) -> StageResult:
    out, periods = split_chronologically(frame, cfg.spec.split, min_train=1, source=source)
    return StageResult(out, {"periods": periods})


def scale_stage(frame: pd.DataFrame, cfg: PrepareConfig, source: str) -> StageResult:
    """Fit the scaler(s) on training rows only; scale features (and the target if configured)."""
    spec = cfg.spec
    features = spec.feature_names
    train = frame[frame["split"] == "train"]
    feature_scaler = fit_scaler(train[features].to_numpy(), features, cfg.scaler)
    out = frame.copy()
    out["target_raw"] = frame[spec.target].astype(np.float64)  # for the naive references
    out[features] = feature_scaler.transform(frame[features].to_numpy()).astype(np.float32)
    out["y_raw"] = frame["y"].astype(np.float64)
    target_scaler = None
    if cfg.resolved_scale_target:
        target_scaler = fit_scaler(train[["y"]].to_numpy(), ["y"], cfg.scaler)
        out["y"] = target_scaler.transform(frame[["y"]].to_numpy())[:, 0]
    fitted_on = {
        "split": "train",
        "rows": len(train),
        "row_start": str(train["time"].iloc[0]),
        "row_end": str(train["time"].iloc[-1]),
        "target_start": str(train["target_time"].iloc[0]),
        "target_end": str(train["target_time"].iloc[-1]),
    }
    scaler_doc = {
        "features": feature_scaler.to_dict(),
        "target": target_scaler.to_dict() if target_scaler else None,
        "fitted_on": fitted_on,
    }
    return StageResult(out, {"fitted_on": fitted_on}, documents={"scaler": scaler_doc})


def temporalize_stage(frame: pd.DataFrame, cfg: PrepareConfig, source: str) -> StageResult:
    """Windows per split: ``x`` (samples, timesteps, features), labelled with each row's y."""
    spec = cfg.spec
    timesteps = cfg.resolved_timesteps
    features = spec.feature_names
    values = frame[features].to_numpy(np.float32)  # (rows, features)
    ok = window_ends(len(frame), timesteps, frame["gap"].to_numpy(), frame["y_gap"].to_numpy())
    full = window_ends(
        len(frame), timesteps, np.zeros(len(frame), bool), np.zeros(len(frame), bool)
    )
    windows: dict[str, WindowSet] = {}
    report: dict = {"timesteps": timesteps, "shapes": {}, "windows_removed_for_gaps": {}}
    removed_times: list[str] = []
    target_raw = frame["target_raw"].to_numpy(np.float64)  # (rows,) on a regular index
    horizon, season = cfg.resolved_horizon, spec.seasonal_period
    for split in SPLITS:
        in_split = (frame["split"] == split).to_numpy()
        ends = np.flatnonzero(ok & in_split)
        if len(ends) == 0:
            n_rows = int(in_split.sum())
            raise DataError(
                source,
                "temporalize",
                [
                    Problem(
                        "(rows)",
                        f"too few rows: the {split} split has {n_rows} row(s) and no complete "
                        f"window of {timesteps} timestep(s)",
                    )
                ],
                hint="use a longer file, fewer timesteps or smaller split sizes",
            )
        removed = np.flatnonzero(full & in_split & ~ok)
        removed_times.extend(str(t) for t in frame["target_time"].to_numpy()[removed])
        x = make_windows(values, timesteps, ends)  # (samples, timesteps, features)
        part = frame.iloc[ends]
        windows[split] = WindowSet(
            x=x,
            y=part["y"].to_numpy(np.float32),
            y_raw=part["y_raw"].to_numpy(np.float64),
            target_time=part["target_time"].to_numpy(),
            covariates=part[spec.covariate_names].to_numpy(np.float32),
            y_last_raw=target_raw[ends],
            y_seasonal_raw=_lookup(target_raw, ends + horizon - season),
            feature_names=features,
            covariate_names=spec.covariate_names,
            meta={
                "dataset": spec.name,
                "split": split,
                "timesteps": timesteps,
                "horizon": horizon,
                "seasonal_period": season,
            },
        )
        report["shapes"][split] = list(x.shape)
        report["windows_removed_for_gaps"][split] = len(removed)
    return StageResult(
        None,
        report,
        windows=windows,
        tables={"removed_windows": pd.DataFrame({"target_time": removed_times})},
    )


def _lookup(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]``, NaN where a row falls before the start of the series."""
    out = np.full(len(rows), np.nan)
    ok = rows >= 0
    out[ok] = values[rows[ok]]
    return out
