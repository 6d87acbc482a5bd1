"""Backtest folds, refits and per-fit units on fixtures small enough to check by hand: fold
boundaries written out, no fold's training targets reach its scored block, the refit before
the test period never sees a test target, each fit scales on its own training windows."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqcast.data.scale import fit_scaler
from seqcast.data.windows import WindowSet
from seqcast.errors import ConfigError
from seqcast.evaluation.backtest import (
    SERVE_FIT,
    TEST_FIT,
    concat,
    fit_units,
    plan_fits,
    refit_epochs,
    scored_blocks,
    shared_truth,
    take,
)


def test_fold_boundaries_by_hand():
    """10 train, 3 val, 3 test windows, 2 folds, horizon 2 (one window left out before each
    scored block: its target lies after the block's first origin)."""
    plans = plan_fits(10, 3, 3, folds=2, steps=2)
    assert list(plans) == ["fold-1", "fold-2", TEST_FIT, SERVE_FIT]
    f1, f2, pre, every = plans.values()
    # fold-1: scored on windows 7, 8, 9; trains on 0..4, early-stops on 5; 6 left out
    assert (f1.train, f1.early_stop, f1.scored) == (range(0, 5), range(5, 6), range(7, 10))
    # fold-2: scored on the validation split (10, 11, 12); trains on 0..7, early-stops on 8
    assert (f2.train, f2.early_stop, f2.scored) == (range(0, 8), range(8, 9), range(10, 13))
    # pretest: all pre-test windows but the one whose target lies after the first test origin
    assert (pre.train, pre.early_stop, pre.scored) == (range(0, 12), None, range(13, 16))
    assert (every.train, every.early_stop, every.scored) == (range(0, 16), None, None)


def test_path_fold_boundaries_by_hand():
    """10 train, 3 val, 3 test windows, 2 folds, steps 1..3: window i's targets lie 1..3 rows
    after its origin. Before each scored block 2 windows are left out (their last target lies
    after the block's first origin), and 2 more between a fold's training and early-stopping
    windows (their targets reach the early-stopping targets)."""
    plans = plan_fits(10, 3, 3, folds=2, steps=[1, 2, 3])
    f1, f2, pre, every = plans.values()
    # fold-1: scored on 7, 8, 9; 5, 6 left out; early-stops on 4; 2, 3 left out; trains on 0, 1
    assert (f1.train, f1.early_stop, f1.scored) == (range(0, 2), range(4, 5), range(7, 10))
    # fold-2: scored on 10..12; 8, 9 left out; early-stops on 7; 5, 6 left out; trains on 0..4
    assert (f2.train, f2.early_stop, f2.scored) == (range(0, 5), range(7, 8), range(10, 13))
    assert (pre.train, pre.scored) == (range(0, 11), range(13, 16))
    assert every.train == range(0, 16)


@given(
    n_train=st.integers(10, 300),
    n_val=st.integers(1, 40),
    n_test=st.integers(1, 40),
    folds=st.integers(1, 4),
    horizon=st.integers(1, 30),
)
def test_no_target_of_any_step_crosses_a_fit_boundary(n_train, n_val, n_test, folds, horizon):
    """Window i's origin is row i and its targets rows i+1 .. i+horizon (no gaps). Every
    training and early-stopping target is at or before the first scored origin, and no
    training target reaches the first early-stopping target."""
    steps = list(range(1, horizon + 1))
    try:
        plans = plan_fits(n_train, n_val, n_test, folds, steps)
    except ValueError:
        return  # too short: refused, never a silent overlap
    for plan in plans.values():
        if plan.scored is None:
            continue
        seen = [*plan.train, *(plan.early_stop or [])]
        assert max(seen) + horizon <= plan.scored.start  # last target <= first scored origin
        if plan.early_stop is not None:
            assert max(plan.train) + horizon < plan.early_stop.start + 1


def test_horizon_one_leaves_no_gap():
    plans = plan_fits(6, 2, 2, folds=1, steps=1)
    assert plans["fold-1"].scored == range(6, 8)
    assert plans["fold-1"].early_stop == range(5, 6) and plans["fold-1"].train == range(0, 5)
    assert plans[TEST_FIT].train == range(0, 8) and plans[TEST_FIT].scored == range(8, 10)


def test_too_many_folds_is_a_clear_error():
    with pytest.raises(ValueError, match="fewer folds"):
        plan_fits(4, 3, 3, folds=2, steps=1)


@given(
    n_train=st.integers(10, 300),
    n_val=st.integers(1, 40),
    n_test=st.integers(1, 40),
    folds=st.integers(1, 4),
    horizon=st.integers(1, 6),
)
def test_no_fit_trains_on_what_it_is_scored_on(n_train, n_val, n_test, folds, horizon):
    """Window i's target is at step i (no gaps); the first scored window's origin is at
    scored.start - horizon. Every training and early-stopping target is at or before that
    origin; scored blocks tile the pre-test windows' end; the test refit never sees a test
    target."""
    try:
        plans = plan_fits(n_train, n_val, n_test, folds, horizon)  # one step: [horizon]
    except ValueError:
        return  # too short for this many folds: refused, never a silent overlap
    pre = n_train + n_val
    for plan in plans.values():
        if plan.scored is None:
            continue
        origin = plan.scored.start - horizon
        seen = [*plan.train, *(plan.early_stop or [])]
        assert max(seen) <= origin + 0  # target step of the newest training window
        assert max(seen) < plan.scored.start
    scored = [plans[f"fold-{k}"].scored for k in range(1, folds + 1)]
    assert [r.stop for r in scored][-1] == pre and all(len(r) == n_val for r in scored)
    assert all(a.stop == b.start for a, b in itertools.pairwise(scored))
    assert plans[TEST_FIT].train.stop <= pre and plans[TEST_FIT].scored == range(pre, pre + n_test)


def _windows(n: int) -> WindowSet:
    """Window i holds feature values i .. i+1 (timesteps 2, one feature) and target 10 * i."""
    x = np.stack([np.arange(n), np.arange(n) + 1], axis=1)[:, :, None].astype(np.float32)
    return WindowSet(
        x=x,
        y=(10.0 * np.arange(n)).astype(np.float32)[:, None],  # (samples, 1 step)
        y_raw=10.0 * np.arange(n)[:, None],
        target_time=np.arange(n).astype("datetime64[h]")[:, None],
        covariates=np.zeros((n, 1, 0), np.float32),
        feature_names=["a"],
        covariate_names=[],
        meta={"horizon": 1},
        y_last_raw=np.arange(n, dtype=float),
        origin_row=np.arange(n),
    )


def test_each_fit_scales_on_its_own_training_windows_only():
    """minmax on the training windows' values: fold-1 of 20 windows (train 0..3 after early
    stopping on 4) sees values 0..4, so value 4 maps to 1 and later rows exceed 1; the
    target (standardised here) uses training targets only and inverts exactly."""
    every = _windows(20)
    identity = {
        "features": fit_scaler(np.array([[0.0], [1.0]]), ["a"], "minmax").to_dict(),
        "target": None,
    }
    plan = plan_fits(10, 5, 5, folds=2, steps=1)["fold-1"]
    assert plan.train == range(0, 4) and plan.scored == range(5, 10)
    parts, doc = fit_units(every, plan, identity, "minmax", "scale")
    assert doc.features["data_min"] == [0.0] and doc.features["data_max"] == [4.0]
    assert parts["train"].x.max() == pytest.approx(1.0)
    assert parts["scored"].x.min() > 1.0  # unseen, larger values: no peeking at the block
    assert doc.target["data_max"] == [30.0]  # targets of windows 0..3
    back = doc.transform.to_original(parts["scored"].y)
    assert back[:, 0].tolist() == pytest.approx(parts["scored"].y_raw[:, 0].tolist())
    assert doc.fitted_on.windows == 4


def test_concat_keeps_target_time_order():
    a, b, c = _windows(3), _windows(2), _windows(1)
    every = concat({"train": a, "val": b, "test": c})
    assert len(every) == 6 and every.x.shape == (6, 2, 1)
    assert every.y_raw[:, 0].tolist() == [0, 10, 20, 0, 10, 0]


def test_scored_blocks_by_hand():
    """10 train, 5 val, 5 test windows, 2 folds, horizon 1: fold-1 is scored on windows
    5..9, fold-2 on the validation split 10..14, the test on 15..19 (targets 10 * i)."""
    every = _windows(20)
    splits = {"train": take(every, range(0, 10)), "val": take(every, range(10, 15))}
    splits["test"] = take(every, range(15, 20))
    blocks = scored_blocks(splits, 2)
    assert list(blocks) == ["fold-1", "fold-2", "test"]
    assert blocks["fold-1"].y_raw[:, 0].tolist() == [50, 60, 70, 80, 90]
    assert blocks["fold-2"].y_raw[:, 0].tolist() == [100, 110, 120, 130, 140]
    assert blocks["test"].y_raw[:, 0].tolist() == [150, 160, 170, 180, 190]
    assert blocks["test"].target_time[:, 0].astype(int).tolist() == [15, 16, 17, 18, 19]


def test_a_sweep_is_ranked_on_the_windows_every_length_scores():
    """Window lengths that score the same target times share one truth. A longer window that
    lost validation window 12 to a gap (drop-windows) has a 4-window validation split, so
    its blocks are 4 long and fold-1 scores windows 6..9 against 5..9: refused before any
    fit, naming both lengths, the fit and the hour only one of them scores (hour 5)."""
    every = _windows(20)
    splits = {"train": take(every, range(0, 10)), "val": take(every, range(10, 15))}
    splits["test"] = take(every, range(15, 20))
    kept = np.array([0, 1, 3, 4])  # of the validation windows 10..14, all but 12
    val = splits["val"]
    per_window = ("x", "y", "y_raw", "target_time", "covariates", "y_last_raw", "origin_row")
    gapped = {**splits, "val": replace(val, **{k: getattr(val, k)[kept] for k in per_window})}

    truth = shared_truth({4: scored_blocks(splits, 2), 8: scored_blocks(splits, 2)})
    assert {k: v[:, 0].tolist() for k, v in truth.items()} == {
        "fold-1": [50, 60, 70, 80, 90],
        "fold-2": [100, 110, 120, 130, 140],
        "test": [150, 160, 170, 180, 190],
    }
    with pytest.raises(ConfigError) as err:
        shared_truth({4: scored_blocks(splits, 2), 8: scored_blocks(gapped, 2)})
    message = str(err.value)
    assert "window lengths 4 and 8 score different windows in fold-1 (5 against 4;" in message
    assert "1970-01-01 05:00:00 is scored by only one of them" in message
    assert "--timesteps N" in message and "--max-fill-steps N" in message


def test_refit_epochs_is_the_folds_mean_best_epoch():
    assert refit_epochs([10, 13]) == 12  # 11.5 rounds to even
    assert refit_epochs([3]) == 3 and refit_epochs([0]) == 1


def test_a_differenced_target_is_fitted_on_the_training_windows_changes_only():
    """Window i has origin value i and target 10 i: the change 9 i. Fold-1 trains on
    windows 0..3 (changes 0, 9, 18, 27: mean 13.5), so the document's mean is 13.5 whatever
    the later, larger changes; every block maps back exactly with its own origins."""
    parts, doc = _fold_1("difference")
    assert doc.target["transform"] == "difference"
    assert doc.target["mean"] == [13.5]
    for part in parts.values():
        back = doc.transform.to_original(part.y, part.y_last_raw)
        np.testing.assert_allclose(back, part.y_raw, atol=1e-4)  # float32 model units


def _spread_windows(n: int, later: float = 1.0) -> WindowSet:
    """Window i holds the target's values i, 2 i + 1 (spread (i + 1) / 2, origin 2 i + 1)
    and target 10 i; windows from 5 on are multiplied by ``later``."""
    i = np.arange(n, dtype=float)
    size = np.where(i >= 5, later, 1.0)
    x = (np.stack([i, 2 * i + 1], axis=1) * size[:, None])[:, :, None].astype(np.float32)
    return WindowSet(
        x=x,
        y=(10.0 * i * size).astype(np.float32)[:, None],
        y_raw=(10.0 * i * size)[:, None],
        target_time=np.arange(n).astype("datetime64[h]")[:, None],
        covariates=np.zeros((n, 1, 0), np.float32),
        feature_names=["a"],
        covariate_names=[],
        meta={"horizon": 1, "target": "a"},
        y_last_raw=(2 * i + 1) * size,
    )


def test_a_normalised_target_is_fitted_on_the_training_windows_only():
    """Fold-1 trains on windows 0..3: spreads 0.5, 1, 1.5, 2 (median 1.25, floor 0.125) and
    changes 10 i - (2 i + 1) = -1, 7, 15, 23 over the spread: -2, 7, 10, 11.5 (mean 6.625).
    Blowing the scored
    and later windows up a hundredfold changes nothing of the fit's document, and every
    block maps back exactly with its own windows' origins and spreads."""
    identity = {
        "features": fit_scaler(np.array([[0.0], [1.0]]), ["a"], "minmax").to_dict(),
        "target": None,
    }
    plan = plan_fits(10, 5, 5, folds=2, steps=1)["fold-1"]
    parts, doc = fit_units(_spread_windows(20), plan, identity, "minmax", "normalize")
    target = doc.target
    assert target["transform"] == "normalize" and target["origin_feature"] == 0
    assert target["spread_floor"] == pytest.approx(0.125)
    assert target["mean"] == [pytest.approx(6.625)]
    _, blown = fit_units(_spread_windows(20, 100.0), plan, identity, "minmax", "normalize")
    assert blown.target == target and blown.features == doc.features
    for part in parts.values():
        back = doc.transform.to_original(part.y, part.y_last_raw, part.x)
        np.testing.assert_allclose(back, part.y_raw, rtol=1e-5, atol=1e-4)


def test_a_fits_units_round_trip_through_json_and_refuse_a_misspelled_field():
    """The units a fit is made in (``FitUnits``) are stored in fit.json and in the bundle:
    read back they are equal, and the same target transform maps the scored block the same
    way. A stored document with an unknown field is refused, not silently dropped."""
    import json

    from pydantic import ValidationError

    from seqcast.data.units import FitUnits, units_of

    parts, units = _fold_1("difference")
    stored = json.loads(json.dumps(units.model_dump(mode="json")))
    back = units_of(stored)
    assert back == units and back.fitted_on is not None and back.fitted_on.fit == "fold-1"
    block = parts["scored"]
    np.testing.assert_array_equal(
        back.transform.to_original(block.y, block.y_last_raw),
        units.transform.to_original(block.y, block.y_last_raw),
    )
    with pytest.raises(ValidationError, match="sesaon"):
        FitUnits.model_validate({**stored, "sesaon": 7})


def _fold_1(target: str):
    """Fold-1 of :func:`_windows` (20 windows, 2 folds; train on windows 0..3) fitted with
    ``target`` on an identity feature scaling: (its windows, its units)."""
    identity = {
        "features": fit_scaler(np.array([[0.0], [1.0]]), ["a"], "minmax").to_dict(),
        "target": None,
    }
    plan = plan_fits(10, 5, 5, folds=2, steps=1)["fold-1"]
    return fit_units(_windows(20), plan, identity, "minmax", target)


def test_folds_that_span_the_training_period_divide_it_after_the_start_share():
    """100 pre-test windows, validation 10, 4 folds from 0.2: the blocks 20-40, 40-60, 60-80 and
    80-100 score every window after the first fifth; each fold trains only on windows whose
    every target is known before its block, early-stopping on the newest of them."""
    from seqcast.config.folds import Folds
    from seqcast.evaluation.backtest import plan_fits

    steps = [1, 2, 3]
    plans = plan_fits(90, 10, 10, Folds(4, 0.2), steps)
    blocks = [plans[f"fold-{k}"].scored for k in range(1, 5)]
    assert [(b.start, b.stop) for b in blocks] == [(20, 40), (40, 60), (60, 80), (80, 100)]
    for k, block in enumerate(blocks, start=1):
        plan = plans[f"fold-{k}"]
        assert plan.early_stop is not None
        # the last training target (window + 2 steps) lies before the early-stopping targets
        assert plan.train.stop - 1 + 2 < plan.early_stop.start
        # the newest early-stopping window's last target is known at the block's first origin
        assert plan.early_stop.stop - 1 + 2 < block.start
    assert plans["pretest"].scored == range(100, 110)


def test_a_short_file_keeps_a_first_fold_as_long_as_the_validation_split():
    """With 100 pre-test windows and a validation split of 30, a start of 0.2 would leave the
    first fold 20 windows: it starts after 30 instead."""
    from seqcast.config.folds import Folds
    from seqcast.evaluation.backtest import fold_bounds

    assert fold_bounds(100, 30, Folds(2, 0.2)) == [30, 65, 100]
    assert fold_bounds(100, 10, 2) == [80, 90, 100]  # the default layout: validation-length


def test_a_start_share_outside_0_1_is_refused():
    from seqcast.config.folds import Folds

    with pytest.raises(ValueError, match="between 0 and 1"):
        Folds(2, 1.0)
