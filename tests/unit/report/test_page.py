"""The rendered report: its tables' heads and notes, and a link to the run's manifest at the
end, not a page of raw JSON."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest

from seqcast.report.page import _tables, render
from tests.unit.report.samples import hourly_report
from tests.unit.report.test_formats import _weekly_report


@pytest.mark.filterwarnings("ignore:No artists with labels")  # the fixture has no candidates
def test_manifest_is_a_link_in_markdown_and_a_collapsed_section_in_html():
    """report.md links manifest.json; report.html holds the JSON inside a closed <details>."""
    config = {f"setting_{i}": i for i in range(40)}
    report = render(replace(_weekly_report(), config=config, versions={"keras": "3.15.1"}))
    assert "```json" not in report.markdown and "setting_39" not in report.markdown
    assert "[manifest.json](manifest.json)" in report.markdown
    details = re.search(r"<details>(.*?)</details>", report.html, re.S)
    assert details and "setting_39" in details.group(1) and "keras" in details.group(1)
    assert "<details open" not in report.html
    assert report.html.count("setting_39") == 1


def _leaderboard(folds: int) -> tuple[list[str], list[list[str]], str]:
    head, rows, note = next(
        (h, rows, n)
        for title, h, rows, n in _tables(hourly_report(folds=folds))
        if "Leader" in title
    )
    return head, rows, note


def test_two_folds_show_the_backtest_each_fold_and_validation():
    """gru is 2 off on both folds: backtest mean 2, per fold 2 / 2, validation 2; no note."""
    head, rows, note = _leaderboard(folds=2)
    assert head[3:7] == ["backtest MAE", "MAE per fold", "val MAE", "test MAE"]
    assert rows[0][:7] == ["1", "gru (champion)", "deep", "2.000", "2 / 2", "2.000", "2.000"]
    assert note == ""


def test_one_fold_shows_one_column_and_says_why():
    """With one fold the backtest, the fold and validation are the same windows: one column,
    named for all three, and a note under the table in both reports."""
    head, rows, note = _leaderboard(folds=1)
    assert head[3:5] == ["backtest MAE = fold-1 = val MAE", "test MAE"]
    assert rows[0][:5] == ["1", "gru (champion)", "deep", "2.000", "2.000"]
    assert len(rows[0]) == len(head)
    report = render(hourly_report(folds=1))
    assert "one column shows all three" in note
    assert note in report.markdown and note in html.unescape(report.html)


def test_both_reports_show_the_close_up_after_the_test_period():
    """20 days of hourly test windows: a close-up of the last 14 days follows the test figure
    in report.md (as a file) and report.html (embedded)."""
    report = render(hourly_report(days=20))
    caption = "Actual vs the champion, test period: last 14 days"
    assert "test_close_up.png" in report.figures
    md = report.markdown
    assert md.index("figures/actual_vs_predicted.png") < md.index(f"![{caption}]")
    assert f"![{caption}](figures/test_close_up.png)" in md
    assert f'<img alt="{caption}"' in report.html


def test_every_number_column_of_the_leaderboard_reads_at_one_precision():
    """Test MAEs 1.634 and 1.57 in one column read 1.634 and 1.570 (the column's largest value
    to four significant digits); fit seconds 22.83 and 0.05 read 22.83 and 0.05."""
    from seqcast.report.page import _columns_at_one_precision

    rows = [
        ["1", "gru", "deep", "-", 1.343, 1.634, 22.83],
        ["2", "ridge", "reference", "-", 1.479, 1.57, 0.05],
    ]
    got = _columns_at_one_precision(rows, first=4, one_fold=True)
    assert got == [
        ["1", "gru", "deep", "1.343", "1.634", "22.83"],
        ["2", "ridge", "reference", "1.479", "1.570", "0.05"],
    ]
    two_folds = _columns_at_one_precision(rows, first=4, one_fold=False)
    assert two_folds[1][:5] == ["2", "ridge", "reference", "1.479", "-"]
