"""Invariants over generated series (hypothesis): no target crosses a split boundary, every
window equals the source rows it claims, window counts follow from the lengths, and scaling
then inverse scaling returns the input."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from seqcast.config import SplitSpec
from seqcast.data.clean import clean
from seqcast.data.scale import fit_scaler
from seqcast.data.split import split_chronologically
from seqcast.data.target import add_target
from seqcast.data.windows import make_windows, window_ends
from seqcast.io.paths import SPLITS
from seqcast.spec.dataset import get_spec

SPEC = get_spec("weekly-temperature")


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(8, 150),
    horizon=st.integers(1, 5),
    timesteps=st.integers(1, 10),
    val=st.integers(1, 25),
    test=st.integers(1, 25),
    seed=st.integers(0, 2**16),
)
def test_windows_splits_and_counts(n, horizon, timesteps, val, test, seed):
    supervised = n - horizon
    n_train = supervised - val - test
    assume(n_train >= timesteps)
    rng = np.random.default_rng(seed)
    raw = pd.DataFrame(
        {
            "year": 2000 + np.arange(n) // 53,
            "week": np.arange(n) % 53 + 1,
            "AvgTemp": rng.normal(10, 8, n).round(3),
        }
    )
    frame = clean(raw, SPEC, max_fill_steps=0, on_long_gap="fail", source="gen").frame
    sup = add_target(frame, SPEC, [horizon])
    sup, _ = split_chronologically(
        sup, SplitSpec(unit="rows", val=val, test=test), min_train=1, source="gen"
    )
    values = sup[SPEC.feature_names].to_numpy(np.float32)  # (rows, features)
    ok = window_ends(len(sup), timesteps, sup["gap"].to_numpy(), sup["y_gap"].to_numpy())
    target_times = {}
    for split, expected in (("train", n_train - (timesteps - 1)), ("val", val), ("test", test)):
        ends = np.flatnonzero(ok & (sup["split"] == split).to_numpy())
        assert len(ends) == expected  # counts follow from the lengths
        x = make_windows(values, timesteps, ends)  # (samples, timesteps, features)
        for k in (0, len(ends) // 2, len(ends) - 1):  # each window is its source rows
            e = ends[k]
            np.testing.assert_array_equal(x[k], values[e - timesteps + 1 : e + 1])
            assert sup["y"].iloc[e] == raw["AvgTemp"].iloc[e + horizon]
        target_times[split] = sup["target_time"].to_numpy()[ends]
    for before, after in itertools.pairwise(SPLITS):  # no target crosses a boundary
        assert target_times[before].max() < target_times[after].min()


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(2, 40),
    cols=st.integers(1, 5),
    kind=st.sampled_from(["minmax", "standard"]),
    seed=st.integers(0, 2**16),
)
def test_scale_then_inverse_returns_the_input(rows, cols, kind, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(rng.uniform(-100, 100), rng.uniform(0.1, 500), size=(rows, cols))
    sc = fit_scaler(x[: max(1, rows // 2)], [f"c{i}" for i in range(cols)], kind)
    np.testing.assert_allclose(sc.inverse(sc.transform(x)), x, rtol=1e-9, atol=1e-9)
