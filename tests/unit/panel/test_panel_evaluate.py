"""The champion rule reads only the backtest; references never read their block; intervals
and wins by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast.panel import evaluate
from seqcast.panel.data import Panel
from seqcast.panel.local import chunk_forecasts, seasonal_naive
from tests.unit.panel.specs import tiny_spec


def test_seasonal_naive_repeats_the_last_season():
    np.testing.assert_array_equal(seasonal_naive(np.array([1.0, 2, 3, 4, 5]), 3, 2), [4, 5, 4])


@pytest.mark.parametrize(
    "name", ["naive", "seasonal-naive", pytest.param("ets", marks=pytest.mark.slow), "theta"]
)
def test_a_reference_never_reads_its_block_or_later(name):
    rng = np.random.default_rng(0)
    y = 100 + 10 * np.sin(np.arange(40) * np.pi) + rng.normal(0, 1, 40)
    changed = y.copy()
    changed[34:] *= 50  # the fold block (34, 35) and the test (36 .. 39) changed
    s = tiny_spec(test=4)
    a = chunk_forecasts(["x"], [y], s, [name], ["fold-1"]).frame
    b = chunk_forecasts(["x"], [changed], s, [name], ["fold-1"]).frame
    np.testing.assert_allclose(a[name], b[name])
    assert list(a["start"].unique()) == [34]


def scored_frame() -> tuple[pd.DataFrame, Panel]:
    """Two series, one fold block and one test block of 2 steps each. ``a`` is the better
    candidate on the fold, ``b`` on the test."""
    y = np.array([0.0, 2.0, 0.0, 2.0, 0.0, 2.0, 0.0, 2.0])  # seasonal differences 0: lag 1, 2
    panel = Panel(["p", "q"], [y, y], [np.arange(8), np.arange(8)])
    rows = []
    for sid in ("p", "q"):
        for ev, start in (("fold-1", 4), ("test", 6)):
            for step in (1, 2):
                actual = y[start + step - 1]
                a = actual + (0.2 if ev == "fold-1" else 2.0)
                b = actual + (1.0 if ev == "fold-1" else 0.0)
                rows.append((sid, ev, start, step, a, b))
    frame = pd.DataFrame(rows, columns=[*evaluate.KEYS, "a", "b"])
    return evaluate.with_actuals(frame, panel, tiny_spec(test=2)), panel


def test_the_champion_is_chosen_on_the_backtest_never_the_test():
    scored, _ = scored_frame()
    assert scored["scale"].eq(2.0).all()  # lag-1 differences of 0, 2, 0, 2: 2
    scored, choice = evaluate.choose(scored, ["a", "b"], ensemble_size=0)
    assert choice.champion == "a"  # 0.1 on the backtest against 0.5; on test it is worse
    scores = evaluate.series_scores(scored, ["a", "b"])
    test = scores[scores["split"] == "test"].set_index(["series", "candidate"])["mase"]
    assert test[("p", "a")] == pytest.approx(1.0) and test[("p", "b")] == pytest.approx(0.0)
    assert evaluate.wins(scores, "a", ["b"], "test") == {"b": 0, "all": 0, "series": 2}
    assert evaluate.wins(scores, "a", ["b"], "backtest")["all"] == 2


def test_the_ensemble_is_the_mean_of_the_best_k_on_the_backtest():
    scored, _ = scored_frame()
    scored["c"] = scored["actual"] - 0.2  # with a, errors cancel on the fold: the mean is exact
    scored, choice = evaluate.choose(scored, ["a", "b", "c"], ensemble_size=3)
    assert sorted(choice.members) == ["a", "c"] and choice.champion == "ensemble"
    assert choice.backtest["ensemble"] == pytest.approx(0.0)


def test_interval_offsets_are_quantiles_of_scaled_backtest_errors_per_step():
    scored, _ = scored_frame()
    offsets = evaluate.interval_offsets(scored, "b", (80,), horizon=2)
    assert offsets[80] == pytest.approx([0.5, 0.5])  # |1.0| / 2 at every backtest row
    bounded = evaluate.with_bounds(scored, "b", offsets)
    row = bounded.iloc[0]
    assert row["upper_80"] - row["b"] == pytest.approx(1.0)  # 0.5 x scale 2
    cover = evaluate.coverage(bounded, (80,))
    assert cover["cover_80"].tolist() == [100.0, 100.0]  # b is exact on test


@pytest.mark.parametrize("name", [pytest.param("ets", marks=pytest.mark.slow), "theta"])
def test_a_stored_state_forecasts_what_the_fit_at_the_test_origin_forecasts(name):
    """At the test's origin the stored state gives the fitted model's forecast; served, it
    runs over newer rows without fitting."""
    from seqcast.panel.local import served_forecasts

    rng = np.random.default_rng(1)
    y = 50 + 5 * np.sin(np.arange(48) * np.pi / 2) + rng.normal(0, 0.5, 48)
    s = tiny_spec(period=4, horizon=4, test=4)
    chunk = chunk_forecasts(["x"], [y], s, [name], ["test"])
    state = chunk.states[name]["x"]
    at_origin = served_forecasts(["x"], [y[:44]], s, [name], {name: {"x": state}})
    np.testing.assert_allclose(at_origin[name], chunk.frame[name], rtol=1e-6)
    newer = served_forecasts(["x"], [y], s, [name], {name: {"x": state}})
    assert newer["start"].tolist() == [48] * 4 and np.isfinite(newer[name]).all()
