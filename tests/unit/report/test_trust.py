"""The report's opening summary: what, how far ahead, the champion, its margins over the best
reference on the backtest and on test, and each reason to doubt it."""

from __future__ import annotations

import html
from dataclasses import replace

import numpy as np

from seqcast.report.page import render
from seqcast.report.trust import ahead, margin, trust_summary
from tests.unit.report.samples import hourly_report


def test_ahead_names_the_steps_and_the_frequency():
    """24 hourly steps read as 1 to 24 hours ahead; one weekly step as 4 weeks ahead."""
    assert ahead(tuple(range(1, 25)), "hourly") == (
        "1 to 24 hours ahead (24 steps from each origin, hourly data)"
    )
    assert ahead((4,), "weekly") == "4 weeks ahead (weekly data)"


def test_margin_is_the_champions_mae_against_the_references_in_percent():
    """MAE 2 against 5 is 60 % lower; 8 against 5 is 60 % higher."""
    assert margin(2.0, 5.0) == "60.0 % lower"
    assert margin(8.0, 5.0) == "60.0 % higher"


def test_a_sound_run_reads_in_five_lines_without_warnings():
    """gru is 2 off, ridge 5 off on every fold and on test: 60 % lower on both splits; 480 test
    windows, nothing collapsed, nothing to warn about."""
    summary = trust_summary(replace(hourly_report(), description="Seoul bike rentals"))
    assert summary.lines == [
        "Forecast: Rented Bike Count (bike-hourly: Seoul bike rentals); errors are in its units.",
        "How far ahead: 1 hour ahead (hourly data).",
        "Champion: gru.",
        "On the backtest (mean of 2 folds): MAE 2.000, 60.0 % lower than the best reference "
        "there, ridge (5.000).",
        "On test (2018-10-01 00:00 to x): MAE 2.000, 60.0 % lower than the best reference "
        "there, ridge (5.000).",
    ]
    assert summary.warnings == []


def test_a_champion_that_loses_to_a_reference_on_test_is_a_warning():
    """gru is 2 off on the backtest but 8 off on test, where ridge is 5 off."""
    summary = trust_summary(hourly_report(residuals=np.full(480, 8.0)))
    assert summary.lines[-1].startswith("On test (2018-10-01 00:00 to x): MAE 8.000, 60.0 % higher")
    assert summary.warnings == [
        "On test the champion (MAE 8.000) loses to ridge (5.000) "
        "(reported only: test never chooses)."
    ]


def _board(*entries) -> list[dict]:
    """Leaderboard entries from (name, kind, backtest MAE, test MAE)."""
    return [
        {"name": n, "kind": k, "backtest": {"mae": b, "fold_mae": [b]}, "test": {"mae": t}}
        for n, k, b, t in entries
    ]


def test_a_mostly_reference_ensemble_and_deep_models_behind_persistence_are_said():
    """The ensemble is 0.2 gru + 0.8 theta: 20 % deep, said with its members; gru alone (MAE
    12) does not beat persistence (10) on the backtest; on test lstm (a deep candidate, not a
    reference) beats the champion too."""
    board = _board(
        ("ensemble", "ensemble", 8.0, 9.0),
        ("theta", "reference", 9.0, 9.5),
        ("persistence", "reference", 10.0, 11.0),
        ("gru", "deep", 12.0, 10.0),
        ("lstm", "deep", 13.0, 7.0),
    )
    board[0]["weights"] = {"gru": 0.2, "theta": 0.8}
    r = replace(hourly_report(days=3), board=board, champion="ensemble")
    summary = trust_summary(r)
    assert "Champion: ensemble (20 % deep: gru 0.20; theta 0.80)." in summary.lines
    assert summary.warnings == [
        "On test the champion (MAE 9.000) loses to lstm (7.000) "
        "(reported only: test never chooses).",
        "The champion is 20 % deep: most of its forecast comes from references (gru 0.20; "
        "theta 0.80).",
        "No deep model alone beats persistence on the backtest: the best, gru (MAE 12), "
        "against 10.",
    ]


def test_a_reference_champion_is_compared_with_the_next_best_reference():
    """arima won as the fallback: its margin is over theta, not over itself."""
    board = _board(("arima", "reference", 5.0, 6.0), ("theta", "reference", 6.0, 5.0),
                   ("gru", "deep", 7.0, 8.0))  # fmt: skip
    r = replace(hourly_report(days=3), board=board, champion="arima", champion_policy="fallback")
    lines = trust_summary(r).lines
    assert any("lower than the best other reference there, theta (6.000)" in x for x in lines)
    assert not any("reference there, arima" in x for x in lines)


def test_a_collapsed_fit_is_a_warning():
    """A fit of gru that collapsed on seed 42 and was refitted is named with its seed; a
    candidate that collapsed on a scored block (lstm) with the block."""
    r = hourly_report()
    board = [dict(e, retried_after=[{"seed": 42}]) if e["name"] == "gru" else e for e in r.board]
    summary = trust_summary(replace(r, board=board))
    assert summary.warnings == [
        "Collapsed fits: gru (seed 42 collapsed and was refitted with a new seed)."
    ]
    flat = dict(r.board[0], name="lstm", collapsed="flat prediction (fold-1)")
    assert trust_summary(replace(r, board=[*r.board, flat])).warnings == [
        "Collapsed fits: lstm (flat prediction (fold-1), never chosen)."
    ]


def test_fewer_than_50_test_windows_is_a_warning():
    """Two days of hourly test windows (48) warn; three (72) do not."""
    assert trust_summary(hourly_report(days=2)).warnings == [
        "Only 48 test windows (fewer than 50): the test figures are a small sample."
    ]
    assert trust_summary(hourly_report(days=3)).warnings == []


def test_both_reports_open_with_the_summary_and_its_warnings():
    """The summary and its warning come before the leaderboard in Markdown and in HTML."""
    report = render(hourly_report(days=2))
    warning = "Only 48 test windows (fewer than 50): the test figures are a small sample."
    for text in (report.markdown, html.unescape(report.html)):
        assert text.index("At a glance") < text.index("Champion: gru.") < text.index(warning)
        assert text.index(warning) < text.index("Leaderboard")
