"""Seed ensembles, the model ensemble and the champion rule on predictions checked by hand:
chosen on the backtest only, beating every reference there, never a collapsed fit."""

from __future__ import annotations

import numpy as np
import pytest

from seqcast.evaluation.leaderboard import shortlist
from seqcast.evaluation.selection import ENSEMBLE, Member, rank

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
    assert r.members["lstm-x2"] == [Member("deep", "lstm", 1, 0.5), Member("deep", "lstm", 2, 0.5)]
    assert r.champion == "lstm-x2"  # 1 beats gradient boosting's 5 on the backtest


def test_champion_must_beat_every_reference_on_the_backtest():
    """A deep MAE of 5.5 beats the naive references and ridge (6) but not gradient boosting
    (5): with a deep champion required nothing is promoted, and the reason names gradient
    boosting; by default gradient boosting is promoted as the fallback, its reference fits
    its members, so the forecast is served from them."""
    strict = rank({"gru": {7: off(5.5)}}, refs(), TRUTH, FOLDS, 7, 0, require_deep=True)
    assert strict.champion is None
    assert "does not beat gradient-boosting" in strict.reason
    r = rank({"gru": {7: off(5.5)}}, refs(), TRUTH, FOLDS, 7, 0)
    assert (r.champion, r.policy) == ("gradient-boosting", "fallback")
    assert r.reason.startswith("fallback: gradient-boosting (backtest MAE 5) beat every deep")
    assert r.champion_members == [Member("reference", "gradient-boosting", None, 1.0)]


@pytest.mark.parametrize(("deep_mae", "wins"), [(4.99, True), (5.0, False), (5.01, False)])
def test_beating_a_reference_means_a_strictly_lower_backtest_mae(deep_mae, wins):
    """At the boundary: gradient boosting's backtest MAE is 5. A deep MAE of 4.99 beats it
    and is promoted as a deep champion; a tie (5.0) or 5.01 does not, however close (no
    tolerance): the best candidate of all is served as the fallback instead."""
    r = rank({"gru": {7: off(deep_mae)}}, refs(), TRUTH, FOLDS, 7, 0)
    assert r.policy == ("deep" if wins else "fallback")
    assert r.reason.startswith("fallback") is not wins


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


def test_ensemble_is_chosen_greedily_on_the_backtest():
    """Forward selection with replacement from the best deep candidate, keeping the best prefix
    of the picks. lstm errs +2, gru +3, gradient boosting -3 on every row; ridge errs ±6.
    Running sum of errors after each pick, and the running mean's MAE:
    1 lstm: +2 (MAE 2). 2 gb: -1 (0.5; gru 2.5, ridge 3, lstm again 2). 3 lstm: +1 (1/3).
    4 gb: -2 (0.5: worse than 1/3, but the best of this pick; lstm 0.75, gru 1, ridge 1.5).
    5 lstm: 0 (MAE 0). So 3 or 4 picks keep the prefix of 3 (lstm 2/3, gb 1/3, MAE 1/3) and
    5 or more the prefix of 5 (lstm 3/5, gb 2/5, MAE 0; later equal scores do not replace it)."""
    up = {f: TRUTH[f] + 3.0 for f in TRUTH}  # gru: +3 everywhere (MAE 3)
    down = {f: TRUTH[f] - 3.0 for f in TRUTH}  # gb: -3 everywhere (MAE 3)
    lstm = {1: {f: TRUTH[f] + 2.0 for f in TRUTH}, 2: {f: TRUTH[f] + 2.0 for f in TRUTH}}
    references = {**refs(), "gradient-boosting": down}
    for picks, (w_lstm, w_gb), mae in [
        (3, (2 / 3, 1 / 3), 1 / 3),
        (4, (2 / 3, 1 / 3), 1 / 3),
        (5, (0.6, 0.4), 0.0),
        (10, (0.6, 0.4), 0.0),
    ]:
        r = rank({"lstm": lstm, "gru": {1: up}}, references, TRUTH, FOLDS, 1, picks)
        ens = next(e for e in r.board if e["name"] == ENSEMBLE)
        assert ens["members"] == ["lstm", "gradient-boosting"]
        assert ens["weights"] == {
            "lstm": pytest.approx(w_lstm, abs=1e-4),
            "gradient-boosting": pytest.approx(w_gb, abs=1e-4),
        }
        assert ens["backtest"]["mae"] == pytest.approx(mae, abs=1e-9)
        assert ens["test"]["mae"] == pytest.approx(mae, abs=1e-9)  # same weights on the refits
        assert r.champion == ENSEMBLE
        assert r.members[ENSEMBLE] == [
            Member("deep", "lstm", 1, pytest.approx(w_lstm)),
            Member("reference", "gradient-boosting", None, pytest.approx(w_gb)),
        ]
    # two picks at most: lstm + gradient boosting, half each
    r = rank({"lstm": lstm, "gru": {1: up}}, references, TRUTH, FOLDS, 1, 2)
    assert next(e for e in r.board if e["name"] == ENSEMBLE)["weights"] == {
        "lstm": 0.5,
        "gradient-boosting": 0.5,
    }
    seeds = next(e for e in r.board if e["name"] == "lstm-x2")
    assert seeds["seed_mae"] == {"backtest": [2.0, 2.0], "test": [2.0, 2.0]}  # kept beside it


def test_a_small_weight_is_found_where_half_would_hurt():
    """lstm errs +1 everywhere, gradient boosting -4: half each errs -1.5 (worse than lstm
    alone), but 0.8 / 0.2 errs 0. Picks: 2 lstm again (+1; half each would err -1.5), 3 gb
    (2/3 / 1/3 errs -2/3), 4 lstm (-1/4), 5 lstm (0). With four picks the best is 0.75 / 0.25
    (errs -0.25); with two, lstm alone (half each is worse): no ensemble."""
    lstm = {f: TRUTH[f] + 1.0 for f in TRUTH}
    gb = {f: TRUTH[f] - 4.0 for f in TRUTH}
    r = rank({"lstm": {1: lstm}}, {**refs(), "gradient-boosting": gb}, TRUTH, FOLDS, 1, 10)
    ens = next(e for e in r.board if e["name"] == ENSEMBLE)
    assert ens["weights"] == {"lstm": 0.8, "gradient-boosting": 0.2}
    assert ens["backtest"]["mae"] == pytest.approx(0.0, abs=1e-9)
    r4 = rank({"lstm": {1: lstm}}, {**refs(), "gradient-boosting": gb}, TRUTH, FOLDS, 1, 4)
    ens4 = next(e for e in r4.board if e["name"] == ENSEMBLE)
    assert ens4["weights"] == {"lstm": 0.75, "gradient-boosting": 0.25}
    assert ens4["backtest"]["mae"] == pytest.approx(0.25)
    r2 = rank({"lstm": {1: lstm}}, {**refs(), "gradient-boosting": gb}, TRUTH, FOLDS, 1, 2)
    assert not any(e["name"] == ENSEMBLE for e in r2.board)


def test_ensemble_weights_never_look_at_test():
    """Two deep candidates erring +2 and -2 on the folds average to 0 there, whatever they do
    on test (+2 and +9): both are picked, half each, and the test error is what it is."""
    a = {**{f: TRUTH[f] + 2.0 for f in FOLDS}, "test": TRUTH["test"] + 2.0}
    b = {**{f: TRUTH[f] - 2.0 for f in FOLDS}, "test": TRUTH["test"] + 9.0}
    r = rank({"gru": {1: a}, "lstm": {1: b}}, refs(), TRUTH, FOLDS, 1, 5)
    ens = next(e for e in r.board if e["name"] == ENSEMBLE)
    assert ens["weights"] == {"gru": 0.5, "lstm": 0.5}
    assert ens["backtest"]["mae"] == 0.0 and ens["test"]["mae"] == pytest.approx(5.5)


def test_ensemble_starts_from_a_deep_candidate_and_spreads_seed_shares():
    """References are better alone (gb 1, ridge 2) but the ensemble starts from the best deep
    candidate, the seed ensemble lstm-x2 (+3 / +1 per seed, mean +2), and naive references
    are never members: persistence (±0.5) is left out though it would help most."""
    lstm = {1: {f: TRUTH[f] + 3.0 for f in TRUTH}, 2: {f: TRUTH[f] + 1.0 for f in TRUTH}}
    references = {
        **refs(persistence=0.5, ridge=2.0),
        "gradient-boosting": {f: TRUTH[f] - 1.0 for f in TRUTH},
    }
    r = rank({"lstm": lstm}, references, TRUTH, FOLDS, 1, 2)
    ens = next(e for e in r.board if e["name"] == ENSEMBLE)
    # (2 - 1) / 2 = 0.5 with gradient boosting; ridge: (2 ± 2) / 2 -> MAE 1
    assert ens["weights"] == {"lstm-x2": 0.5, "gradient-boosting": 0.5}
    assert r.members[ENSEMBLE] == [
        Member("deep", "lstm", 1, 0.25),
        Member("deep", "lstm", 2, 0.25),
        Member("reference", "gradient-boosting", None, 0.5),
    ]
    assert sum(m.weight for m in r.members[ENSEMBLE]) == pytest.approx(1.0)
    # fewer than two picks, or nothing that helps: no ensemble
    assert not any(
        e["name"] == ENSEMBLE for e in rank({"lstm": lstm}, references, TRUTH, FOLDS, 1, 1).board
    )
    alone = rank({"lstm": {1: {f: TRUTH[f].copy() for f in TRUTH}}}, refs(), TRUTH, FOLDS, 1, 5)
    assert not any(e["name"] == ENSEMBLE for e in alone.board)  # perfect already


def test_shortlist_takes_single_seed_deep_variants():
    board = [
        {"name": "gradient-boosting", "kind": "reference", "backtest": {"mae": 1.0}},
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
    assert shortlist(board, 1) == ["lstm"]  # single-seed deep variants only
    assert shortlist(board, 5) == ["lstm", "gru"]


def test_rank_fits_reads_each_fit_once_in_its_place():
    """From a run's fits: the served refit is not scored; a naive reference counts at the
    first window length only; a reference in a sweep is labelled by its length; a seed
    missing its test refit is left out of the seed ensemble. Errors worked out by hand."""
    from types import SimpleNamespace

    from seqcast.evaluation.selection import rank_fits

    def fit(label, kind, fit, preds, prepared="p4", seed=None, timesteps=4):
        return SimpleNamespace(
            label=label, kind=kind, forecaster=label.split("-t")[0], seed=seed, fit=fit,
            timesteps=timesteps,
            prepared_dir=prepared, predictions=preds, params=10, seconds=1.0,
            collapsed_attempts=[],
        )  # fmt: skip

    truth = {"fold-1": np.array([10.0, 20.0]), "test": np.array([30.0, 40.0])}
    fits = [
        fit("persistence", "reference", "fold-1", [9, 19]),
        fit("persistence", "reference", "pretest", [29, 39]),
        fit("persistence", "reference", "fold-1", [0, 0], prepared="p8", timesteps=8),
        fit("seasonal-naive", "reference", "fold-1", [8, 18]),
        fit("seasonal-naive", "reference", "pretest", [28, 38]),
        fit("ridge", "reference", "fold-1", [10, 22]),
        fit("ridge", "reference", "pretest", [30, 40]),
        fit("ridge", "reference", "fold-1", [13, 23], prepared="p8", timesteps=8),
        fit("ridge", "reference", "pretest", [33, 43], prepared="p8", timesteps=8),
        fit("gru-t4", "deep", "fold-1", [10, 20], seed=42),
        fit("gru-t4", "deep", "pretest", [30, 41], seed=42),
        fit("gru-t4", "deep", "all", [99, 99], seed=42),
        fit("gru-t4", "deep", "fold-1", [50, 50], seed=43),  # no test refit: left out
    ]
    board = {e["name"]: e for e in rank_fits(fits, truth, ["fold-1"], "p4", True, 42, 0).board}
    assert board["persistence"]["backtest"]["mae"] == 1.0
    assert (board["ridge-t4"]["backtest"]["mae"], board["ridge-t4"]["test"]["mae"]) == (1.0, 0.0)
    assert (board["ridge-t8"]["backtest"]["mae"], board["ridge-t8"]["test"]["mae"]) == (3.0, 3.0)
    assert (board["gru-t4"]["backtest"]["mae"], board["gru-t4"]["test"]["mae"]) == (0.0, 0.5)
    assert "gru-t4-x2" not in board
    # fit seconds (1 s a fit) summed over the scored fits: a fold and the test refit each
    assert board["ridge-t8"]["train_seconds"] == 2.0
    assert board["persistence"]["train_seconds"] == 2.0
    assert board["gru-t4"]["train_seconds"] == 3.0  # both seeds' fold fits and the refit


def test_forecasts_below_the_targets_minimum_are_raised_to_it_and_counted():
    """Counts cannot be negative: ridge's -5 and -2 are scored as 0 (as they are served),
    so its fold MAE is (|0-1| + |0-2|) / 2 = 1.5, not 5; the count says how many were
    raised. Without a minimum nothing changes."""
    from types import SimpleNamespace

    from seqcast.evaluation.selection import rank_fits

    def fit(label, kind, fit, preds, seed=None):
        return SimpleNamespace(
            label=label, kind=kind, forecaster=label, seed=seed, fit=fit, timesteps=4,
            prepared_dir="p4", predictions=preds, params=10, seconds=1.0,
            collapsed_attempts=[],
        )  # fmt: skip

    truth = {"fold-1": np.array([1.0, 2.0]), "test": np.array([3.0, 4.0])}
    fits = [
        fit("persistence", "reference", "fold-1", [1, 1]),
        fit("persistence", "reference", "pretest", [3, 3]),
        fit("ridge", "reference", "fold-1", [-5, -2]),
        fit("ridge", "reference", "pretest", [-1, 4]),
        fit("gru", "deep", "fold-1", [1, -1], seed=42),
        fit("gru", "deep", "pretest", [3, 4], seed=42),
    ]
    board = {e["name"]: e for e in rank_fits(fits, truth, ["fold-1"], "p4", False, 42, 0,
                                             minimum=0.0).board}  # fmt: skip
    assert board["ridge"]["backtest"]["mae"] == 1.5 and board["ridge"]["clipped"] == 3
    assert board["ridge"]["test"]["mae"] == 1.5  # (|0-3| + 0) / 2
    assert board["gru"]["backtest"]["mae"] == 1.0 and board["gru"]["clipped"] == 1
    raw = {e["name"]: e for e in rank_fits(fits, truth, ["fold-1"], "p4", False, 42, 0).board}
    assert raw["ridge"]["backtest"]["mae"] == 5.0 and raw["ridge"]["clipped"] == 0


def test_the_report_says_how_many_forecasts_were_raised_to_the_minimum():
    from seqcast.report.page import clipped_note

    board = [{"name": "ridge", "clipped": 1234}, {"name": "gru", "clipped": 0}, {"name": "x"}]
    assert clipped_note(board).endswith("as served: ridge 1,234 (forecasts of every step, "
                                        "backtest folds and test).")  # fmt: skip
    assert clipped_note([{"name": "gru", "clipped": 0}]) == ""


def test_the_step_aware_ensemble_takes_each_steps_best_and_never_loses_a_step():
    """Two steps, truth 0: the deep model errs 2 at step 1 and 0.5 at step 2, ridge the other
    way round. Each step's weights come from that step alone: ridge at step 1, the deep model
    at step 2, so at each step the combination is as good as the best there; the whole-path
    ensemble cannot do both."""
    from seqcast.evaluation.selection import BY_STEP, weighted_mean

    fits = [*FOLDS, "test"]
    truth = {f: np.zeros((2, 2)) for f in fits}

    def path(s1: float, s2: float) -> dict:
        return {f: np.array([[s1, s2], [-s1, -s2]]) for f in fits}

    references = {"persistence": path(5, 5), "ridge": path(0.5, 2)}
    r = rank({"lstm": {1: path(2, 0.5)}}, references, truth, FOLDS, 1, 10)
    board = {e["name"]: e for e in r.board}
    entry = board[BY_STEP]
    assert entry["weights_by_step"] == [{"ridge": 1.0}, {"lstm": 1.0}]
    assert entry["backtest"]["mae_by_step"] == pytest.approx([0.5, 0.5])
    assert r.predictions[BY_STEP]["test"].tolist() == [[0.5, 0.5], [-0.5, -0.5]]
    shares = {m.label: m.by_step for m in r.members[BY_STEP]}
    assert shares == {"ridge": (1.0, 0.0), "lstm": (0.0, 1.0)}
    assert r.champion == BY_STEP  # it beats ridge and persistence on the backtest
    # served: each member's share per step, the same numbers
    served = weighted_mean([path(2, 0.5)["test"], path(0.5, 2)["test"]], [(0, 1), (1, 0)])
    assert served.tolist() == r.predictions[BY_STEP]["test"].tolist()


def test_one_step_has_no_step_aware_ensemble():
    from seqcast.evaluation.selection import BY_STEP

    r = rank({"lstm": {1: off(3.0)}}, refs(), TRUTH, FOLDS, 1, 10)
    assert BY_STEP not in {e["name"] for e in r.board}


def test_the_nested_check_chooses_on_half_the_folds_and_scores_on_the_others():
    """Four folds: on the odd ones lstm errs 1 and ridge 2, on the even ones lstm errs 5.
    Chosen on the odd folds the rule promotes lstm and it scores 5 on the even ones, losing
    to ridge (2), which the same folds pick as the best reference."""
    from seqcast.evaluation.selection import nested_check

    folds = ["fold-1", "fold-2", "fold-3", "fold-4"]
    truth = {f: np.array([0.0, 10.0, 20.0, 30.0]) for f in [*folds, "test"]}
    signs = np.array([1.0, -1.0, 1.0, -1.0])

    def err(by: dict) -> dict:
        return {f: truth[f] + by[f] * signs for f in truth}

    lstm = err({"fold-1": 1, "fold-2": 5, "fold-3": 1, "fold-4": 5, "test": 1})
    references = {
        "persistence": err(dict.fromkeys(truth, 8)),
        "ridge": err(dict.fromkeys(truth, 2)),
    }
    rows = nested_check({"lstm": {1: lstm}}, references, truth, folds, 1, 0)
    odd, even = rows
    assert odd["chosen_on"] == ["fold-1", "fold-3"] and odd["scored_on"] == ["fold-2", "fold-4"]
    assert odd["champion"] == "lstm" and odd["champion_mae"] == pytest.approx(5.0)
    assert odd["reference"] == "ridge" and odd["reference_mae"] == pytest.approx(2.0)
    # chosen on the even folds lstm loses to ridge there: ridge is promoted as the fallback
    assert even["champion"] == "ridge" and even["champion_mae"] == pytest.approx(2.0)


def test_a_step_aware_mix_of_references_alone_is_no_candidate():
    """Ridge is best at step 1 and gradient boosting at step 2; the deep model is worse at
    both, so no step gives it weight: references alone are no deep champion, and the rule
    falls back as it would without the step-aware ensemble."""
    from seqcast.evaluation.selection import BY_STEP

    fits = [*FOLDS, "test"]
    truth = {f: np.zeros((2, 2)) for f in fits}

    def path(s1: float, s2: float) -> dict:
        return {f: np.array([[s1, s2], [-s1, -s2]]) for f in fits}

    references = {
        "persistence": path(9, 9),
        "ridge": path(0.5, 3),
        "gradient-boosting": path(3, 0.5),
    }
    r = rank({"lstm": {1: path(6, 6)}}, references, truth, FOLDS, 1, 10)
    assert BY_STEP not in {e["name"] for e in r.board}
    assert r.policy == "fallback"
