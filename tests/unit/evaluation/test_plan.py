"""The run's plan (pure): which windows each champion member and each reference is fitted on."""

from __future__ import annotations

from seqcast.evaluation.plan import backtest_references, seeded_members, served_references
from seqcast.evaluation.selection import Member


def _ref(label: str) -> Member:
    return Member("reference", label, None, 0.25)


def test_the_champions_references_are_one_served_task_per_window_length():
    """Ridge, a GRU and gradient boosting as members: both references are refitted in one
    task (one console line, ``references-t4-all``), in the members' order; in a sweep each
    reference is refitted on its own window length's windows, one task per length."""
    members = [_ref("ridge"), Member("deep", "gru", 1, 0.5), _ref("gradient-boosting")]
    assert served_references(members, ["p4"], [4], sweep=False) == {
        ("p4", 4): ("ridge", "gradient-boosting")
    }
    assert seeded_members(members) == [("gru", 1)]
    swept = [_ref("ridge-t3"), _ref("gradient-boosting-t5"), _ref("ridge-t5")]
    assert served_references(swept, ["p3", "p5"], [3, 5], sweep=True) == {
        ("p3", 3): ("ridge",),
        ("p5", 5): ("gradient-boosting", "ridge"),
    }
    assert served_references(members[1:2], ["p4"], [4], sweep=False) == {}


def test_window_free_references_are_fitted_at_the_first_window_length_only():
    """In a sweep of 3, 5 and 8 the references that read no window (their forecast is the
    same at every length) are fitted once, at 3; ridge at every length; a length with none
    left gets an empty tuple."""
    names = ("persistence", "ridge", "ets")
    free = {"persistence", "ets"}
    assert backtest_references(names, free, [3, 5, 8]) == [names, ("ridge",), ("ridge",)]
    assert backtest_references(names, free, [24]) == [names]
    assert backtest_references(("persistence", "ets"), free, [3, 5]) == [("persistence", "ets"), ()]
