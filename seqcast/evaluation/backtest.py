"""Rolling-origin backtest and refits: which windows each fit trains on and which it is scored
on, and the units (scalers) each fit uses. Pure: index arithmetic on window positions.

The windows of a prepared dataset are concatenated in target-time order (train, then
validation, then test). Every fit is a :class:`FitPlan`:

- ``fold-1`` .. ``fold-K`` (expanding window): fold ``k`` is scored on the ``k``-th of ``K``
  contiguous blocks at the end of the pre-test windows (:class:`Folds`). By default each block
  is as long as the validation split, so the last fold is scored on exactly the validation
  split; with a ``start`` share the blocks divide every pre-test window after that share
  equally, so the backtest scores the seasons of the whole training period (hourly bikes: 4
  folds after the first fifth score February to September). Fold ``k`` trains on every window before
  that block whose every target time is at or before the block's first forecast origin (the
  ``max(steps) - 1`` windows just before the block are left out: their targets lie after that
  origin), and early-stops on the newest :data:`EARLY_STOP_SHARE` of them (the
  ``max(steps) - min(steps)`` windows before those are left out of its training windows, so
  no training target lies among the early-stopping targets).
- ``pretest``: every pre-test window whose target is known at the first test origin; scored
  on the test split. Trained for a fixed number of epochs taken from the folds.
- ``all``: every window, for the model the forecast deployment serves; scored on nothing.

Each fit fits its own scalers on its own training windows (:func:`fit_units`), so no fold's
scaling sees its scored block and the served model is scaled on the newest data too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from seqcast.config.folds import Folds, as_folds, fold_names
from seqcast.data.scale import AffineScaler, fit_scaler, scale_known
from seqcast.data.target_transform import RELATIVE, TargetData, fit_target_transform
from seqcast.data.units import FittedOn, FitUnits
from seqcast.data.windows import WindowSet
from seqcast.errors import ConfigError
from seqcast.spec.choices import ScalerKind

EARLY_STOP_SHARE = 0.15  # of a fold's training windows, the newest, for early stopping
TEST_FIT = "pretest"
SERVE_FIT = "all"


@dataclass(frozen=True)
class FitPlan:
    """Window positions (into the concatenated train + val + test windows) of one fit."""

    name: str
    train: range
    early_stop: range | None  # None: trained for a fixed number of epochs
    scored: range | None  # None: the served model, scored on nothing

    @property
    def is_fold(self) -> bool:
        return self.name.startswith("fold-")


def plans_for(splits: dict[str, WindowSet], folds: int | Folds) -> dict[str, FitPlan]:
    """:func:`plan_fits` for prepared windows (``train``, ``val``, ``test`` splits)."""
    steps = splits["train"].steps
    return plan_fits(len(splits["train"]), len(splits["val"]), len(splits["test"]), folds, steps)


def scored_blocks(splits: dict[str, WindowSet], folds: int | Folds) -> dict[str, WindowSet]:
    """The windows each scored fit is scored on, in original order: ``fold-1`` ..
    ``fold-K`` and ``test`` (what the ``pretest`` refit is scored on), as the leaderboard
    names them."""
    every = concat(splits)
    plans = plans_for(splits, folds)
    out: dict[str, WindowSet] = {}
    for name in [*fold_names(folds), TEST_FIT]:
        rows = plans[name].scored
        assert rows is not None
        out["test" if name == TEST_FIT else name] = take(every, rows)
    return out


def shared_truth(blocks: dict[int, dict[str, WindowSet]]) -> dict[str, np.ndarray]:
    """The actual target of every scored fit, original units: fold name / ``test`` ->
    (samples, steps), for the window lengths of a run (``timesteps`` -> its :func:`scored_blocks`).

    Every candidate is ranked on the same windows, so every length must score the same
    target times. With ``on_long_gap = drop-windows`` a longer window drops more windows
    around a gap; raises ConfigError naming the lengths, the fit and a target time only one
    of them scores."""
    (first_length, first), *others = blocks.items()
    for length, other in others:
        for name, block in other.items():
            mine, theirs = first[name].first_target_time, block.first_target_time
            if np.array_equal(mine, theirs):
                continue
            only = np.setxor1d(mine, theirs)
            raise ConfigError(
                f"window lengths {first_length} and {length} score different windows in "
                f"{name} ({len(mine)} against {len(theirs)}; {_when(only[0])} is scored by "
                "only one of them): with on_long_gap = drop-windows a longer window drops "
                "more windows around a gap, and candidates scored on different windows "
                "cannot be ranked together. Train each window length in its own run "
                "(--timesteps N), or fill the gap (--max-fill-steps N)"
            )
    return {name: block.y_raw for name, block in first.items()}


def fold_bounds(pre: int, n_val: int, folds: int | Folds) -> list[int]:
    """The ``K + 1`` window positions that bound the folds' scored blocks: fold ``k`` is scored
    on ``range(b[k - 1], b[k])``, and ``b[K]`` is ``pre`` (the first test window).

    With a ``start`` share the first block begins after ``start`` of the windows, and never
    before ``n_val`` of them, so the first fold trains on at least as many windows as the
    validation split holds (a short file keeps a usable first fold).

    >>> fold_bounds(100, 10, 2), fold_bounds(100, 10, Folds(4, 0.2))
    ([80, 90, 100], [20, 40, 60, 80, 100])
    >>> fold_bounds(100, 30, Folds(2, 0.2))
    [30, 65, 100]"""
    layout = as_folds(folds)
    if layout.start is None:
        return [pre - (layout.count - k) * n_val for k in range(layout.count + 1)]
    first = max(round(pre * layout.start), n_val)
    return [first + round(k * (pre - first) / layout.count) for k in range(layout.count + 1)]


def plan_fits(
    n_train: int, n_val: int, n_test: int, folds: int | Folds, steps: int | list[int]
) -> dict[str, FitPlan]:
    """Every fit of a run: the folds, ``pretest`` and ``all`` (see the module docstring).
    ``steps``: the forecast steps (an int: the one step ``[steps]``).

    Raises ValueError when a fold would have fewer than 2 training windows."""
    layout = as_folds(folds)
    if layout.count < 1 or n_val < 1 or n_test < 1:
        raise ValueError("need at least one fold and non-empty validation and test splits")
    steps = [steps] if isinstance(steps, int) else list(steps)
    pre = n_train + n_val
    gap = max(steps) - 1  # windows whose last target lies after the next block's first origin
    span = max(steps) - min(steps)  # rows between a window's first and last target
    bounds = fold_bounds(pre, n_val, layout)
    plans: dict[str, FitPlan] = {}
    for k, name in enumerate(layout.names, start=1):
        start, end = bounds[k - 1], bounds[k]  # fold k's scored windows
        if end - start < 1:
            raise ValueError(
                f"{layout.count} backtest folds leave {name} no window to score; use fewer folds"
            )
        end_train = start - gap
        if end_train < 2:
            raise ValueError(
                f"{layout.count} backtest folds leave {max(end_train, 0)} training window(s) "
                f"for {name}; use fewer folds, a later backtest start or a longer file"
            )
        stop = min(max(1, round(end_train * EARLY_STOP_SHARE)), end_train - 1)
        if end_train - stop - span < 1:
            raise ValueError(
                f"{layout.count} backtest folds leave no training window before {name}'s "
                "early-stopping windows; use fewer folds, a later backtest start or a longer file"
            )
        plans[name] = FitPlan(
            name,
            range(0, end_train - stop - span),
            range(end_train - stop, end_train),
            range(start, end),
        )
    plans[TEST_FIT] = FitPlan(TEST_FIT, range(0, pre - gap), None, range(pre, pre + n_test))
    plans[SERVE_FIT] = FitPlan(SERVE_FIT, range(0, pre + n_test), None, None)
    return plans


def concat(splits: dict[str, WindowSet]) -> WindowSet:
    """train, val and test windows as one set in target-time order."""
    parts = [splits[s] for s in ("train", "val", "test")]

    def cat(name: str):
        values = [getattr(p, name) for p in parts]
        return None if any(v is None for v in values) else np.concatenate(values)

    return replace(
        parts[0],
        x=np.concatenate([p.x for p in parts]),  # (all samples, timesteps, features)
        y=np.concatenate([p.y for p in parts]),
        y_raw=np.concatenate([p.y_raw for p in parts]),
        target_time=np.concatenate([p.target_time for p in parts]),
        covariates=np.concatenate([p.covariates for p in parts]),
        y_last_raw=cat("y_last_raw"),
        origin_row=cat("origin_row"),
        meta={**parts[0].meta, "split": "all"},
    )


def take(ws: WindowSet, rows: range) -> WindowSet:
    """The windows at positions ``rows`` (a contiguous block)."""
    sl = slice(rows.start, rows.stop)

    def part(v):
        return None if v is None else v[sl]

    return replace(
        ws,
        x=ws.x[sl],
        y=ws.y[sl],
        y_raw=ws.y_raw[sl],
        target_time=ws.target_time[sl],
        covariates=ws.covariates[sl],
        y_last_raw=part(ws.y_last_raw),
        origin_row=part(ws.origin_row),
    )


def fit_units(
    windows: WindowSet,
    plan: FitPlan,
    prepared_scaler: dict,
    kind: ScalerKind,
    target: str,
) -> tuple[dict[str, WindowSet], FitUnits]:
    """The windows of one fit, rescaled on that fit's own training windows.

    ``windows``: every window (:func:`concat`), features scaled by ``prepared_scaler``
    (the prepared ``scaler.json``). ``target``: the target transform's name
    (``seqcast.data.target_transform``: ``log1p``, ``difference``, ``normalize``, ``scale``
    with the ``kind`` scaler, or ``none``), fitted on this fit's training windows. Returns
    ``{"train", "early_stop"?, "scored"?}`` windows with ``x`` and ``y`` in this fit's units,
    and the fit's units (``seqcast.data.units.FitUnits``: its ``target`` the transform's
    ``to_dict``, which ``FitUnits.transform`` reads back)."""
    base = AffineScaler.from_dict(prepared_scaler["features"])
    n, timesteps, features = windows.x.shape
    raw = base.inverse(windows.x.reshape(-1, features)).reshape(n, timesteps, features)
    train_rows = raw[plan.train.start : plan.train.stop]  # (train samples, timesteps, features)
    scaler = fit_scaler(train_rows.reshape(-1, features), base.names, kind)
    x = scaler.transform(raw.reshape(-1, features)).reshape(n, timesteps, features)
    x = x.astype(np.float32)  # as the models read it, so a window's spread is the same number
    train = slice(plan.train.start, plan.train.stop)
    data = TargetData(y=windows.y_raw[train], kind=kind)  # (train samples, steps)
    if target in RELATIVE:  # the change from each window's origin (in its spread), every step
        if windows.y_last_raw is None:
            raise ValueError("windows lack y_last_raw; prepare them again with this version")
        target_name = windows.meta.get("target")
        feature = (
            windows.feature_names.index(target_name)
            if target_name in windows.feature_names
            else None
        )
        data = replace(
            data,
            origins=windows.y_last_raw[train],  # (train samples,)
            origin_feature=feature,
            x=x[train],  # (train samples, timesteps, features)
            feature_scale=None if feature is None else float(scaler.scale[feature]),
        )
    # one map for every step, fitted on all their training targets
    transform = fit_target_transform(target, data)
    y = transform.to_model(windows.y_raw, windows.y_last_raw, x)  # (samples, steps)
    cov = scale_known(windows.covariates, windows.covariate_names, scaler)  # (samples, steps, cov)
    scaled = replace(windows, x=x, y=np.asarray(y, np.float32), covariates=cov)
    parts = {"train": take(scaled, plan.train)}
    if plan.early_stop is not None:
        parts["early_stop"] = take(scaled, plan.early_stop)
    if plan.scored is not None:
        parts["scored"] = take(scaled, plan.scored)
    times = windows.target_time  # (samples, steps)
    units = FitUnits(
        features=scaler.to_dict(),
        target=transform.to_dict(),
        # what a model reading the series' history needs at fit and serve time alike
        season=windows.meta.get("seasonal_period"),
        steps=list(windows.steps),
        fitted_on=FittedOn(
            fit=plan.name,
            windows=len(plan.train),
            target_start=_when(times[plan.train.start, 0]),
            target_end=_when(times[plan.train.stop - 1, -1]),
        ),
    )
    return parts, units


def fit_windows(
    splits: dict[str, WindowSet],
    prepared_scaler: dict,
    fit: str,
    folds: int | Folds,
    target_transform: str | None,
) -> tuple[dict[str, WindowSet], FitUnits, FitPlan]:
    """The windows of fit ``fit`` (a fold, ``TEST_FIT`` or ``SERVE_FIT``) of a backtest with
    ``folds`` folds, in that fit's own units (:func:`fit_units`): a ``log1p`` or
    ``difference`` target when the transform asks for it, else the prepared data's choice
    (scaled or original units).
    ``splits``: the prepared windows; ``prepared_scaler``: their ``scaler.json``."""
    if target_transform in ("log1p", *RELATIVE):
        target = target_transform
    else:
        target = "scale" if prepared_scaler["target"] is not None else "none"
    plan = plans_for(splits, folds)[fit]
    kind = prepared_scaler["features"]["kind"]
    parts, doc = fit_units(concat(splits), plan, prepared_scaler, kind, target)
    return parts, doc, plan


def refit_epochs(best_epochs: list[int]) -> int:
    """Epochs for a refit without early stopping: the folds' mean best epoch (rounded, >= 1)."""
    if not best_epochs:
        raise ValueError("no fold fits to take an epoch count from")
    return max(1, round(float(np.mean(best_epochs))))


def describe(plans: dict[str, FitPlan], target_time: np.ndarray) -> dict[str, dict]:
    """Each fit's windows and target-time periods, for the report and the manifest.
    ``target_time``: (samples, steps), or (samples,) for one step."""
    target_time = np.asarray(target_time).reshape(len(target_time), -1)

    def period(rows: range | None) -> dict | None:
        if rows is None:
            return None
        return {
            "windows": len(rows),
            "target_start": _when(target_time[rows.start, 0]),
            "target_end": _when(target_time[rows.stop - 1, -1]),
        }

    return {
        name: {
            "train": period(p.train),
            "early_stop": period(p.early_stop),
            "scored": period(p.scored),
        }
        for name, p in plans.items()
    }


def _when(t) -> str:
    """A target time as the split periods show it: ``2018-06-01 00:00:00``."""
    return str(pd.Timestamp(t))
