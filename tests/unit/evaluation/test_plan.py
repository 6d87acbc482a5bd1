"""The run's plan (pure): every fit of a train run by name, with the fits before it, and which
windows each champion member and each reference is fitted on."""

from __future__ import annotations

import pytest

from seqcast.errors import ConfigError
from seqcast.evaluation.plan import RunPlan, backtest_references
from seqcast.evaluation.selection import Member


def _ref(label: str) -> Member:
    return Member("reference", label, None, 0.25)


def _plan(lengths=(4,), refs=(("persistence", "ridge"),)) -> RunPlan:
    return RunPlan(lengths, ("gru", "lstm"), (42, 43), 2, refs)


def test_every_fit_is_named_as_the_console_prints_it_and_names_the_fits_before_it():
    """Two variants, two seeds, two folds: each candidate per seed on fold-1, fold-2, pretest
    and all (16 fits), then the references on the same four fits (4); a refit before the test
    period comes after its own two folds, a served fit after that refit."""
    plan = _plan()
    jobs = plan.jobs()
    assert len(jobs) == 2 * 2 * 4 + 4
    assert list(jobs)[:4] == ["gru-s42-fold-1", "gru-s42-fold-2", "gru-s42-pretest", "gru-s42-all"]
    assert list(jobs)[-4:] == [f"references-t4-{f}" for f in ("fold-1", "fold-2", "pretest", "all")]
    refit = jobs["lstm-s43-pretest"]
    assert (refit.kind, refit.variant, refit.seed, refit.timesteps) == ("deep", "lstm", 43, 4)
    assert refit.after == ("lstm-s43-fold-1", "lstm-s43-fold-2")
    assert jobs["lstm-s43-all"].after == ("lstm-s43-pretest",)
    assert jobs["lstm-s43-fold-2"].after == ()
    assert [j.name for j in plan.before(jobs["gru-s42-all"])] == [
        "gru-s42-fold-1",
        "gru-s42-fold-2",
        "gru-s42-pretest",
    ]
    assert jobs["references-t4-pretest"].references == ("persistence", "ridge")
    assert jobs["references-t4-pretest"].seed == 42  # the base seed


def test_the_backtest_walk_is_folds_then_refits_then_references_without_served_fits():
    plan = _plan()
    assert [j.name for j in plan.folds_of(["lstm"], [43])] == ["lstm-s43-fold-1", "lstm-s43-fold-2"]
    assert [j.name for j in plan.reference_fits()] == [
        "references-t4-fold-1",
        "references-t4-fold-2",
        "references-t4-pretest",
    ]
    assert plan.base_seed == 42 and plan.extra_seeds == (43,)


def test_a_sweep_labels_candidates_by_window_length_and_skips_lengths_without_references():
    plan = _plan(lengths=(3, 5), refs=(("persistence", "ridge"), ()))
    assert list(plan.candidates) == ["gru-t3", "lstm-t3", "gru-t5", "lstm-t5"]
    assert plan.candidates["lstm-t5"] == (5, "lstm")
    assert plan.jobs()["gru-t5-s43-fold-1"].timesteps == 5
    assert {j.timesteps for j in plan.reference_fits()} == {3}
    assert not any(name.startswith("references-t5") for name in plan.jobs())


def test_a_misspelt_fit_name_is_refused_with_the_closest_names():
    with pytest.raises(ConfigError, match=r"did you mean gru-s42-fold-1.*\(and ranking, or"):
        _plan().job("gru-s42-fold1")


def test_the_champions_references_are_one_served_job_per_window_length():
    """Ridge, a GRU and gradient boosting as members: the GRU by its own job (after its refit
    before the test period), both references by one job (one console line,
    ``references-t4-all``), in the members' order; in a sweep each reference is refitted on its
    own window length's windows, one job per length."""
    members = [_ref("ridge"), Member("deep", "gru", 42, 0.5), _ref("gradient-boosting")]
    served = _plan().served(members)
    assert [(j.name, j.references, j.after) for j in served] == [
        ("gru-s42-all", (), ("gru-s42-pretest",)),
        ("references-t4-all", ("ridge", "gradient-boosting"), ()),
    ]
    swept = [_ref("ridge-t3"), _ref("gradient-boosting-t5"), _ref("ridge-t5"), _ref("ets")]
    plan = _plan(lengths=(3, 5), refs=(("ridge",), ("ridge",)))
    assert [(j.name, j.references) for j in plan.served(swept)] == [
        ("references-t3-all", ("ridge", "ets")),
        ("references-t5-all", ("gradient-boosting", "ridge")),
    ]
    assert plan.reference_of("ets") == (3, "ets")  # window-free: fitted at the first length
    assert _plan().served(members[1:2])[-1].kind == "deep"


def test_window_free_references_are_fitted_at_the_first_window_length_only():
    """In a sweep of 3, 5 and 8 the references that read no window (their forecast is the
    same at every length) are fitted once, at 3; ridge at every length; a length with none
    left gets an empty tuple."""
    names = ("persistence", "ridge", "ets")
    free = {"persistence", "ets"}
    assert backtest_references(names, free, [3, 5, 8]) == [names, ("ridge",), ("ridge",)]
    assert backtest_references(names, free, [24]) == [names]
    assert backtest_references(("persistence", "ets"), free, [3, 5]) == [("persistence", "ets"), ()]


def test_a_jobs_epochs_come_from_the_fits_before_it():
    """A fold early-stops (None); a refit before the test period trains its folds' mean best
    epoch (12 and 17 -> 14, round half to even; a fold with none counts as 1); a served fit
    as long as its refit."""
    from types import SimpleNamespace

    from seqcast.evaluation.plan import epochs_after

    plan = _plan()
    fit = lambda best, epochs=None: SimpleNamespace(best_epoch=best, epochs=epochs)  # noqa: E731
    done = {"gru-s42-fold-1": fit(12), "gru-s42-fold-2": fit(17), "gru-s42-pretest": fit(None, 9)}
    assert epochs_after(plan.deep("gru", 42, "fold-2"), done) is None
    assert epochs_after(plan.deep("gru", 42, "pretest"), done) == 14
    assert epochs_after(plan.deep("gru", 42, "all"), done) == 9
    done["gru-s42-fold-2"] = fit(None)
    assert epochs_after(plan.deep("gru", 42, "pretest"), done) == 6  # (12 + 1) / 2 -> 6


def test_a_warm_started_refit_trains_a_share_of_the_epochs_from_the_fit_before_it():
    """With warm-started refits (share 0.5): the refit before the test period starts from its
    last fold's weights (fold-2, not fold-1) for half its folds' mean best epoch, the served
    fit from that refit's weights for as long as it; folds start from their seeded start.
    Share 0 is the refit from scratch: no start, every epoch."""
    from types import SimpleNamespace

    from seqcast.evaluation.plan import epochs_after, keeps_weights, start_after, warm_epochs

    def fit(best, epochs=None, weights=None):
        sha = None if weights is None else f"sha-{weights}"
        return SimpleNamespace(best_epoch=best, epochs=epochs, weights=weights, weights_sha256=sha)

    plan = _plan()
    done = {
        "gru-s42-fold-1": fit(12, weights="f1.npz"),
        "gru-s42-fold-2": fit(17, weights="f2.npz"),
        "gru-s42-pretest": fit(None, 7, weights="pre.npz"),
    }
    pretest, served, fold = (plan.deep("gru", 42, f) for f in ("pretest", "all", "fold-2"))
    assert epochs_after(pretest, done, 0.5) == 7  # round(0.5 * 14.5 -> 14) = 7
    assert start_after(pretest, done, 0.5) == {"weights": "f2.npz", "sha256": "sha-f2.npz"}
    assert epochs_after(served, done, 0.5) == 7
    assert start_after(served, done, 0.5) == {"weights": "pre.npz", "sha256": "sha-pre.npz"}
    assert start_after(fold, done, 0.5) is None
    assert epochs_after(pretest, done, 0.0) == 14 and start_after(pretest, done, 0.0) is None
    assert [warm_epochs(14, w) for w in (0.0, 0.25, 0.5, 0.01)] == [14, 4, 7, 1]  # >= 1
    # which fits keep their weights: the last fold, the refit and the served fit, when warm
    assert [keeps_weights(f, 2, 0.5) for f in ("fold-1", "fold-2", "pretest", "all")] == [
        False, True, True, True,
    ]  # fmt: skip
    assert not any(keeps_weights(f, 2, 0.0) for f in ("fold-2", "pretest", "all"))
    # a served fit that continued from weights keeps its own even with warm refits off now
    # (a spec edited since): the next refresh continues from it, not from scratch
    assert keeps_weights("all", 2, 0.0, started=True)
    done["gru-s42-fold-2"] = fit(17)  # a stored fit from before warm refits
    with pytest.raises(ValueError, match="gru-s42-fold-2 stored no weights to start from"):
        start_after(pretest, done, 0.5)
