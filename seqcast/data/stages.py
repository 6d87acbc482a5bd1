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
from seqcast.data import naive
from seqcast.data.clean import clean
from seqcast.data.ingest import read_table
from seqcast.data.scale import fit_scaler
from seqcast.data.split import PURGED, split_chronologically
from seqcast.data.target import add_target, step_column, step_columns
from seqcast.data.windows import WindowSet, make_windows, window_ends
from seqcast.errors import DataError, Problem
from seqcast.io.paths import SPLITS

SERIES_TABLE = "series"  # temporalize's table of the target series (series.csv)

# Bump a stage's version when its logic changes: it is part of that stage's cache key.
STAGE_VERSIONS = {
    "ingest": "1",
    "validate": "1",
    "clean": "1",
    "target": "2",
    "split": "2",
    "scale": "3",
    "temporalize": "7",  # 7: no precomputed naive paths (the references read the history)
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
        "target": {"horizon": cfg.resolved_horizon, "steps": cfg.resolved_steps},
        "split": {"split": spec.split.model_dump(), "steps": cfg.resolved_steps},
        "scale": {"scaler": cfg.scaler, "scale_target": cfg.resolved_scale_target},
        "temporalize": {"timesteps": cfg.resolved_timesteps},
    }[stage]  # type: ignore[assignment]
    return {"stage": stage, "version": STAGE_VERSIONS[stage], **settings}  # type: ignore[dict-item]


def ingest(content: bytes, cfg: PrepareConfig, source: str) -> StageResult:
    got = read_table(content, source, cfg.spec)
    return StageResult(got.frame, got.meta)


def problems_beyond_validation(
    frame: pd.DataFrame, cfg: PrepareConfig, source: str, failures: pd.DataFrame
) -> DataError | None:
    """What ``clean`` would still refuse in the raw ``frame`` once the cells that failed
    validation (``failures``: its failure cases, a column and a row each) were fixed: each of
    them is replaced by its column's previous valid value and the frame is cleaned. So one
    report names every bad value and every gap the policy will not fill, instead of the next
    run stopping at ``clean``. None when that passes, or when a time-key column or a whole
    column failed (the times, or the column, are unknown until it is fixed)."""
    spec = cfg.spec
    columns = set(failures["column"])
    if columns & set(spec.key_columns) or not columns <= set(frame.columns):
        return None
    fixed = frame.copy()
    for col, rows in failures.groupby("column")["row"]:
        rows = rows.dropna().astype(int)
        bad = fixed.index.isin(rows.to_numpy())
        if bad.all():
            return None
        values = fixed[col].mask(bad)
        if col in spec.value_features:
            values = pd.to_numeric(values, errors="coerce")
        fixed[col] = values.where(~bad, values.ffill().bfill())
    try:
        clean(
            fixed,
            spec,
            max_fill_steps=cfg.resolved_max_fill_steps,
            on_long_gap=cfg.resolved_on_long_gap,
            source=source,
        )
    except DataError as err:
        return err
    except (ValueError, TypeError, KeyError):
        return None  # the failures above leave the frame too broken to say more
    return None


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
    horizon, steps = cfg.resolved_horizon, cfg.resolved_steps
    if len(frame) <= horizon:
        raise DataError(
            source,
            "target",
            [Problem("(rows)", f"too few rows: {len(frame)} row(s) for horizon {horizon}")],
        )
    out = add_target(frame, cfg.spec, steps)
    return StageResult(
        out,
        {
            "horizon": horizon,
            "steps": steps,
            "rows_in": len(frame),
            "rows_out": len(out),
            "trailing_dropped": horizon,
        },
    )


def split_stage(frame: pd.DataFrame, cfg: PrepareConfig, source: str) -> StageResult:
    steps = cfg.resolved_steps
    out, periods = split_chronologically(
        frame, cfg.spec.split, min_train=1, source=source, steps=steps
    )
    purged = int((out["split"] == PURGED).sum())
    return StageResult(
        out, {"periods": periods, "purged_rows": purged, "purged_per_boundary": purged // 2}
    )


def scale_stage(frame: pd.DataFrame, cfg: PrepareConfig, source: str) -> StageResult:
    """Fit the scaler(s) on training rows only; scale features (and the target if configured)."""
    spec = cfg.spec
    features = spec.feature_names
    train = frame[frame["split"] == "train"]
    feature_scaler = fit_scaler(train[features].to_numpy(), features, cfg.scaler)
    out = frame.copy()
    out["target_raw"] = frame[spec.target].astype(np.float64)  # for the naive references
    out[features] = feature_scaler.transform(frame[features].to_numpy()).astype(np.float32)
    ys = step_columns("y", cfg.resolved_steps)
    for y, y_raw in zip(ys, step_columns("y_raw", cfg.resolved_steps), strict=True):
        out[y_raw] = frame[y].astype(np.float64)
    target_scaler = None
    if cfg.resolved_scale_target:  # one scaler for every step, fitted on their training targets
        pooled = train[ys].to_numpy().reshape(-1, 1)  # (train rows * steps, 1)
        target_scaler = fit_scaler(pooled, ["y"], cfg.scaler)
        for y in ys:
            out[y] = target_scaler.transform(frame[[y]].to_numpy())[:, 0]
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
    horizon, season, steps = cfg.resolved_horizon, spec.seasonal_period, cfg.resolved_steps
    ys, y_raws = step_columns("y", steps), step_columns("y_raw", steps)
    times = step_columns("target_time", steps)
    covariates = [step_column(c, s, steps) for s in steps for c in spec.covariate_names]
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
        n = len(ends)
        windows[split] = WindowSet(
            x=x,
            y=part[ys].to_numpy(np.float32),  # (samples, steps)
            y_raw=part[y_raws].to_numpy(np.float64),  # (samples, steps)
            target_time=np.stack([part[t].to_numpy() for t in times], axis=1),  # (samples, steps)
            # (samples, steps * covariates) -> (samples, steps, covariates)
            covariates=part[covariates].to_numpy(np.float32).reshape(n, len(steps), -1),
            y_last_raw=naive.persistence(target_raw, ends),  # (samples,): the origin's value
            origin_row=ends,  # (samples,) rows of the series below
            history=target_raw,  # (rows,)
            feature_names=features,
            covariate_names=spec.covariate_names,
            meta={
                "dataset": spec.name,
                "target": spec.target,
                "split": split,
                "timesteps": timesteps,
                "horizon": horizon,
                "steps": steps,
                "seasonal_period": season,
            },
        )
        report["shapes"][split] = list(x.shape)
        report["windows_removed_for_gaps"][split] = len(removed)
    return StageResult(
        None,
        report,
        windows=windows,
        tables={
            "removed_windows": pd.DataFrame({"target_time": removed_times}),
            # the target's series, which the windows' origin_row index (WindowSet.history)
            SERIES_TABLE: pd.DataFrame({"time": frame["time"], "target_raw": target_raw}),
        },
    )
