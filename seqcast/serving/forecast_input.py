"""Forecast: the last window of the newest data -> the champion's input (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from seqcast.data import naive
from seqcast.data.scale import AffineScaler, scale_known
from seqcast.errors import ConfigError, DataError, Problem
from seqcast.numbers import figure
from seqcast.spec.dataset import DatasetSpec
from seqcast.spec.timeindex import calendar, times_of


@dataclass(frozen=True)
class ForecastInput:
    x: np.ndarray  # (1, timesteps, features), scaled
    covariates: np.ndarray  # (1, steps, covariates): calendar and known values per target time
    origin_time: pd.Timestamp
    target_times: pd.DatetimeIndex  # (steps,)
    target_steps: np.ndarray  # (steps,) the target times' integer steps
    y_last_raw: np.ndarray | None = None  # (1,) the origin's value, as the windows carry it
    origin_row: np.ndarray | None = None  # (1,) the origin's row in ``history``
    history: np.ndarray | None = None  # (rows,) the target's series up to the origin

    @property
    def target_time(self) -> np.ndarray:
        """(1, steps): the target times in the windows' layout (``WindowSet.target_time``)."""
        return self.target_times.to_numpy()[None, :]


def last_window(
    clean: pd.DataFrame,
    spec: DatasetSpec,
    timesteps: int,
    steps: list[int],
    scaler: AffineScaler,
    source: str,
    known: dict[str, float] | None = None,
) -> ForecastInput:
    """The window of the last ``timesteps`` rows, scaled as in training, and its target time
    for every step. ``known``: the values of the spec's known-future columns at the target
    times (each needed when the spec has any; one value serves every step)."""
    if len(clean) < timesteps:
        raise DataError(
            source,
            "forecast",
            [Problem("(rows)", f"too few rows: {len(clean)} row(s) for a window of {timesteps}")],
        )
    tail = clean.iloc[-timesteps:]
    if tail["gap"].any():
        raise DataError(
            source,
            "forecast",
            [
                Problem(
                    "(rows)",
                    "the last window touches a gap longer than the fill policy",
                    int(tail["gap"].sum()),
                    [str(t) for t in tail.loc[tail["gap"], "time"][:5]],
                )
            ],
        )
    values = scaler.transform(tail[spec.feature_names].to_numpy())  # (timesteps, features)
    target_steps = int(tail["step"].iloc[-1]) + np.asarray(steps, dtype=np.int64)  # (steps,)
    target_times = times_of(target_steps, spec.time_index)
    known = known or {}
    missing = [c for c in spec.known_future if c not in known]
    if missing:
        raise ConfigError(
            f"the champion's spec ({spec.name}) has known-future column(s) {missing}: give "
            f"their values for {target_times[0]} with "
            + " ".join(f"--known {c}=VALUE" for c in missing)
        )
    cov = calendar(target_steps, spec.time_index, spec.covariates)
    rows = [  # (steps, covariates)
        [cov[c][i] for c in spec.covariates] + [float(known[c]) for c in spec.known_future]
        for i in range(len(steps))
    ]
    covariates = scale_known(np.array([rows]), spec.covariate_names, scaler)  # (1, steps, cov)
    history = clean[spec.target].to_numpy(np.float64)  # (rows,) on a regular index
    origin = np.array([len(history) - 1])
    return ForecastInput(
        x=values[None, :, :].astype(np.float32),
        covariates=covariates,
        origin_time=pd.Timestamp(tail["time"].iloc[-1]),
        target_times=target_times,
        target_steps=target_steps,
        y_last_raw=naive.persistence(history, origin),
        origin_row=origin,
        history=history,
    )


@dataclass(frozen=True)
class OriginWindows:
    """The windows ending at many origins of one cleaned frame, as :func:`last_window` makes
    one: what a replay feeds a champion's member at every forecast time at once. The same
    fields a block of training windows has, so every forecaster reads it unchanged."""

    x: np.ndarray  # (n, timesteps, features), scaled
    covariates: np.ndarray  # (n, steps, covariates)
    origin_times: np.ndarray  # (n,) datetime64
    target_time: np.ndarray  # (n, steps) datetime64
    y_last_raw: np.ndarray  # (n,)
    origin_row: np.ndarray  # (n,) rows of ``history``
    history: np.ndarray  # (rows,) the target's whole series: each origin reads up to its row


def windows_at(
    clean: pd.DataFrame,
    spec: DatasetSpec,
    timesteps: int,
    steps: list[int],
    scaler: AffineScaler,
    origins: np.ndarray,
) -> OriginWindows:
    """The window of the ``timesteps`` rows up to each row of ``origins`` (positions in
    ``clean``, each at least ``timesteps - 1`` and with no gap in its window: see
    :func:`usable_origins`), scaled as in training, with the calendar of every step's target
    time and, for a spec with known-future columns, their values in ``clean`` at the target
    times (a replay on history knows them; a target time past the frame's end has none)."""
    origins = np.asarray(origins, dtype=np.int64)
    values = scaler.transform(clean[spec.feature_names].to_numpy())  # (rows, features)
    back = np.arange(timesteps - 1, -1, -1)  # (timesteps,) oldest row first
    x = values[origins[:, None] - back[None, :]]  # (n, timesteps, features)
    step_of = clean["step"].to_numpy(np.int64)  # (rows,) on a regular index
    ahead = np.asarray(steps, dtype=np.int64)
    target_steps = step_of[origins][:, None] + ahead[None, :]  # (n, steps)
    flat = target_steps.ravel()
    cov = calendar(flat, spec.time_index, spec.covariates)
    columns = [np.asarray(cov[c], dtype=np.float64) for c in spec.covariates]
    for c in spec.known_future:
        rows = flat - step_of[0]
        if rows.max() >= len(clean):
            raise ValueError(f"known-future column {c}: a target time lies past the data")
        columns.append(clean[c].to_numpy(np.float64)[rows])
    raw = np.stack(columns, axis=-1) if columns else np.zeros((len(flat), 0))
    covariates = scale_known(  # (n, steps, covariates)
        raw.reshape(len(origins), len(ahead), -1), spec.covariate_names, scaler
    )
    history = clean[spec.target].to_numpy(np.float64)  # (rows,)
    times = clean["time"].to_numpy()
    return OriginWindows(
        x=x.astype(np.float32),
        covariates=covariates,
        origin_times=times[origins],
        target_time=times_of(flat, spec.time_index).to_numpy().reshape(target_steps.shape),
        y_last_raw=naive.persistence(history, origins),
        origin_row=origins,
        history=history,
    )


def usable_origins(clean: pd.DataFrame, timesteps: int, candidates: np.ndarray) -> np.ndarray:
    """The rows of ``candidates`` whose window of ``timesteps`` rows lies inside ``clean``
    and touches no gap (a forecast from any other would fail, as :func:`last_window` does)."""
    candidates = np.asarray(candidates, dtype=np.int64)
    gap = clean["gap"].to_numpy(bool).astype(np.int64)
    touched = np.concatenate([[0], np.cumsum(gap)])  # gaps among rows [0, i)
    inside = candidates >= timesteps - 1
    start = np.clip(candidates - timesteps + 1, 0, None)
    clear = touched[candidates + 1] - touched[start] == 0
    return candidates[inside & clear]


def why_no_champion(metrics: dict, dataset: str, out: str) -> str:
    """Why the last train of ``dataset`` promoted nothing, and what to try, from its
    ``metrics.json``: the rule's reason, how far the best reference was ahead on the backtest."""
    board = [e for e in metrics.get("models", []) if e.get("backtest")]
    refs = [e for e in board if e["kind"] == "reference"]
    others = [e for e in board if e["kind"] != "reference"]
    lines = [
        f"the last train (run {metrics.get('run_id', '?')}) promoted nothing: "
        + str(metrics.get("champion_reason", "no reason recorded")).removesuffix(
            "; nothing promoted"
        )
    ]
    if refs and others:
        ref = min(refs, key=lambda e: e["backtest"]["mae"])
        best = min(others, key=lambda e: e["backtest"]["mae"])
        ahead = 100 * (1 - ref["backtest"]["mae"] / best["backtest"]["mae"])
        if ahead > 0:
            mine, theirs = figure(ref["backtest"]["mae"]), figure(best["backtest"]["mae"])
            lines.append(
                f"on the backtest {ref['name']} ({mine}) is {ahead:.0f} % below the best model "
                f"candidate, {best['name']} ({theirs})"
            )
    lines.append(
        "to try: train with the dataset's full defaults if that run was cut down (all variants, "
        "more epochs, folds and seeds), a longer or shorter window (--timesteps N or a sweep "
        f"N,N,...), or a different target transform; e.g. seqcast train --dataset {dataset} "
        f"--out {out}"
    )
    return "\n".join(lines)
