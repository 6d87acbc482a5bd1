"""Seed ensembles, the model ensemble and the champion rule on predictions checked by hand:
chosen on the backtest only, beating every reference there, never a collapsed fit."""

from __future__ import annotations

import numpy as np
import pytest

from seqcast.evaluate import ensemble_members, shortlist
from seqcast.selection import ENSEMBLE, Member, rank

FOLDS = ["fold-1", "fold-2"]
TRUTH = {f: np.array([0.0, 10.0, 20.0, 30.0]) for f in [*FOLDS, "test"]}


def off(by: float, fits=(*FOLDS, "test")) -> dict[str, np.ndarray]:
    """A forecast wrong by ``by`` on every row (MAE ``by``), alternating sign."""
    signs = np.array([1.0, -1.0, 1.0, -1.0])
    return {f: TRUTH[f] + by * signs for f in fits}


def refs(persistence=8.0, seasonal=9.0, ridge=6.0, gb=5.0) -> dict:
    return {
        "persistence": off(persistence),
        "seasonal-naive": off(seasonal),
        "ridge": off(ridge),
        "gradient-boosting": off(gb),
    }


def test_seed_ensemble_is_the_mean_of_its_seeds():
    """Seeds 1 and 2 err by +4 / -4 and +2 / -2 on opposite rows: their mean errs by 1."""
    s1 = {f: TRUTH[f] + np.array([4.0, -4.0, 4.0, -4.0]) for f in TRUTH}
    s2 = {f: TRUTH[f] + np.array([-2.0, 2.0, -2.0, 2.0]) for f in TRUTH}
    r = rank({"lstm": {1: s1, 2: s2}}, refs(), TRUTH, FOLDS, 1, 0)
    board = {e["name"]: e for e in r.board}
    assert board["lstm"]["backtest"]["mae"] == pytest.approx(4.0)  # the base seed alone
    assert board["lstm-x2"]["backtest"]["mae"] == pytest.approx(1.0)
    assert board["lstm-x2"]["seeds"] == [1, 2]
    assert board["lstm-x2"]["seed_mae"] == {"backtest": [4.0, 2.0], "test": [4.0, 2.0]}
    assert r.members["lstm-x2"] == [Member("deep", "lstm", 1), Member("deep", "lstm", 2)]
    assert r.champion == "lstm-x2"  # 1 beats gradient boosting's 5 on the backtest


def test_champion_must_beat_every_reference_on_the_backtest():
    """A deep MAE of 5.5 beats the naive references and ridge (6) but not gradient boosting
    (5): nothing is promoted, and the reason names gradient boosting."""
    r = rank({"gru": {7: off(5.5)}}, refs(), TRUTH, FOLDS, 7, 0)
    assert r.champion is None
    assert "does not beat gradient-boosting" in r.reason


def test_test_figures_never_choose():
    """gru is better on the backtest (2 vs 3) and far worse on test (9 vs 1): gru wins."""
    gru = {**off(2.0, FOLDS), "test": off(9.0)["test"]}
    lstm = {**off(3.0, FOLDS), "test": off(1.0)["test"]}
    r = rank({"gru": {1: gru}, "lstm": {1: lstm}}, refs(), TRUTH, FOLDS, 1, 0)
    assert r.champion == "gru"
    assert [e["name"] for e in r.board][:2] == ["gru", "lstm"]  # sorted by backtest


def test_a_fit_collapsed_on_any_fold_is_never_chosen():
    """rnn is flat on fold-1 (every forecast 15), though its mean backtest MAE is the lowest
    elsewhere: flagged and skipped."""
    flat = {"fold-1": np.full(4, 15.0), "fold-2": TRUTH["fold-2"].copy(), "test": TRUTH["test"]}
    r = rank({"rnn": {1: flat}, "gru": {1: off(4.0)}}, refs(), TRUTH, FOLDS, 1, 0)
    rnn = next(e for e in r.board if e["name"] == "rnn")
    assert "flat prediction (fold-1)" in rnn["collapsed"]
    assert r.champion == "gru"


def test_ensemble_averages_the_best_distinct_candidates():
    """Best three distinct bases on the backtest: lstm (its seed ensemble ties with it and
    counts as the same base), gru and gradient boosting; errors +2, +3 and -3 average to
    2/3 on every row, on the folds and on test."""
    up = {f: TRUTH[f] + 3.0 for f in TRUTH}  # gru: +3 everywhere (MAE 3)
    down = {f: TRUTH[f] - 3.0 for f in TRUTH}  # gb: -3 everywhere (MAE 3)
    lstm = {1: {f: TRUTH[f] + 2.0 for f in TRUTH}, 2: {f: TRUTH[f] + 2.0 for f in TRUTH}}
    references = {**refs(), "gradient-boosting": down}
    r = rank({"lstm": lstm, "gru": {1: up}}, references, TRUTH, FOLDS, 1, 3)
    ens = next(e for e in r.board if e["name"] == ENSEMBLE)
    assert ens["members"] == ["lstm", "gru", "gradient-boosting"]
    assert ens["backtest"]["mae"] == pytest.approx(2 / 3)
    assert ens["test"]["mae"] == pytest.approx(2 / 3)
    assert r.champion == ENSEMBLE
    seeds = next(e for e in r.board if e["name"] == "lstm-x2")
    assert seeds["seed_mae"] == {"backtest": [2.0, 2.0], "test": [2.0, 2.0]}  # kept beside it
    kinds = {m.kind for m in r.members[ENSEMBLE]}
    assert kinds == {"deep", "reference"}


def test_ensemble_members_keep_one_form_per_base_and_a_deep_member():
    board = [
        {"name": "gradient-boosting", "kind": "reference", "backtest": {"mae": 1.0}},
        {"name": "ridge", "kind": "reference", "backtest": {"mae": 2.0}},
        {"name": "persistence", "kind": "reference", "backtest": {"mae": 0.5}},
        {
            "name": "lstm-x3",
            "kind": "deep",
            "base": "lstm",
            "seeds": [1, 2, 3],
            "backtest": {"mae": 3.0},
        },
        {"name": "lstm", "kind": "deep", "base": "lstm", "backtest": {"mae": 3.5}},
        {"name": "gru", "kind": "deep", "base": "gru", "backtest": {"mae": 4.0}},
    ]
    # naive references are never members; the best two are both references, so the best
    # deep candidate takes the second place
    assert ensemble_members(board, 2) == ["gradient-boosting", "lstm-x3"]
    assert ensemble_members(board, 4) == ["gradient-boosting", "ridge", "lstm-x3", "gru"]
    assert ensemble_members(board, 1) == []
    assert shortlist(board, 1) == ["lstm"]  # single-seed deep variants only
    assert shortlist(board, 5) == ["lstm", "gru"]
