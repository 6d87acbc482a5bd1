"""The evaluation report as a person sees it: claims that name their split, collapsed fits
flagged, the settings actually used, and figures that a real browser (headless Chromium)
loads at sane sizes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace

import numpy as np
import pytest

from seqcast.evaluation.leaderboard import Candidate, claims, collapsed, leaderboard
from seqcast.report.page import ReportInput, render


def _input() -> ReportInput:
    """Two weeks of hourly test targets; a good model, a flat (collapsed) one, two references."""
    times = np.arange("2018-10-01T00", "2018-10-15T00", dtype="datetime64[h]")
    truth = 500 + 300 * np.sin(np.arange(len(times)) * 2 * np.pi / 24)
    val_truth = truth[::-1].copy()

    truths = {"fold-1": val_truth, "fold-2": val_truth, "test": truth}

    def cand(name, kind, offset, flat=False):
        return Candidate(
            name,
            kind,
            {f: np.full_like(y, 500.0) if flat else y + offset for f, y in truths.items()},
        )

    cands = [
        cand("gru", "deep", 20.0),
        cand("lstm", "deep", 0.0, flat=True),
        cand("persistence", "reference", 60.0),
        cand("ridge", "reference", 10.0),
    ]
    board = leaderboard(cands, truths, cands[2].predictions, ["fold-1", "fold-2"])
    span = {"windows": 336, "target_start": "2018-09-01T00", "target_end": "2018-09-14T23"}
    return ReportInput(
        dataset="bike-hourly",
        run_id="20261123T000000Z-test",
        board=board,
        champion="gru",
        champion_reason="gru has the lowest mean backtest MAE of the deep candidates",
        periods={"test": {"rows": len(times), "target_start": "2018-10-01", "target_end": "x"}},
        fits={
            "fold-1": {"train": span, "early_stop": span, "scored": span},
            "fold-2": {"train": span, "early_stop": span, "scored": span},
            "pretest": {"train": span, "early_stop": None, "scored": span},
            "all": {"train": span, "early_stop": None, "scored": None},
        },
        test_times=times,
        test_truth=truth,
        test_predictions={c.name: c.predictions["test"] for c in cands},
        histories={n: {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]} for n in "abcde"},
        profile=[],
        config={"timesteps": None},
        fingerprint={},
        versions={},
        units="Rented Bike Count",
        loss_label="MSE of the minmax-scaled target",
        settings=[("timesteps", "24", "dataset default (bike-hourly)")],
        frequency="hourly",
    )


def test_collapse_is_flat_or_no_better_than_the_mean():
    """Flat predictions and R² <= 0 on a scored block are collapsed; a useful fit is not."""
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert collapsed(np.full(4, 2.5), {"r2": 0.0}) == "flat prediction"
    assert collapsed(np.array([4.0, 3.0, 2.0, 1.0]), {"r2": -3.0}) == "R² -3 <= 0"
    assert collapsed(y + 0.1, {"r2": 0.99}) is None


def test_claims_name_their_split_and_the_references_not_beaten():
    """gru (MAE 20) beats persistence (60) but not ridge (10), on the backtest, on validation
    and on test."""
    r = _input()
    lines = claims(r.board, "gru")
    assert lines == [
        "On the backtest (mean of the folds), gru (MAE 20.00) beats persistence 60.00 but does "
        "not beat ridge 10.00.",
        "On validation, gru (MAE 20.00) beats persistence 60.00 but does not beat ridge 10.00.",
        "On test, gru (MAE 20.00) beats persistence 60.00 but does not beat ridge 10.00.",
    ]


def test_report_flags_collapse_shows_settings_and_explains_wape():
    """The headline names splits, the flat variant is flagged, resolved settings are shown."""
    report = render(_input())
    md = report.markdown
    assert "On test, gru (MAE 20.00)" in md
    assert "lstm (flat prediction (fold-1))" in md
    assert "| 1 | ridge | reference | 10.0 | 10 / 10 | 10.0 |" in md  # backtest, folds, val
    assert "| timesteps | 24 | dataset default (bike-hourly) |" in md
    assert "stays defined when some actual values are 0" in md
    assert "| pretest | " in md and "no (fixed epochs) |" in md


def test_fits_table_says_when_refits_average_their_weights():
    """Refits (no early stopping) name the weight averaging; the folds do not."""
    md = render(replace(_input(), refit_ema=0.99)).markdown
    refits = [line for line in md.splitlines() if line.startswith(("| pretest |", "| all |"))]
    assert len(refits) == 2
    assert all("no (fixed epochs; weights averaged, momentum up to 0.99)" in r for r in refits)
    assert "weights averaged" not in "".join(
        line for line in md.splitlines() if line.startswith("| fold-")
    )


def test_fits_table_says_where_a_warm_started_refit_starts():
    """With warm-started refits, the refit before the test period names the last fold it
    continues from and the served fit the refit; with them off, neither says so."""
    md = render(replace(_input(), refit_ema=0.99, refit_warm=0.75)).markdown
    rows = {line.split("|")[1].strip(): line for line in md.splitlines() if line.startswith("| ")}
    assert (
        "weights averaged, momentum up to 0.99; from fold-2's weights, 0.75 of the epochs)"
        in (rows["pretest"])
    )
    assert "from pretest's weights, 0.75 of the epochs)" in rows["all"]
    assert "of the epochs" not in render(_input()).markdown


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

MEASURE = """<script>
window.addEventListener('load', () => {
  const sizes = [...document.images].map(i => [i.alt, i.naturalWidth, i.naturalHeight,
                                               i.getBoundingClientRect().width]);
  const pre = document.createElement('pre'); pre.id = 'measured';
  pre.textContent = 'MEASURED' + JSON.stringify(sizes) + 'END';
  document.body.appendChild(pre);
});
</script></body>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (`make browser`)")
@pytest.mark.slow
def test_report_figures_load_in_a_real_browser(tmp_path):
    """Headless Chromium loads every figure of the HTML report, each wide and tall enough to
    read, and takes a screenshot of the page."""
    report = render(_input())
    page = tmp_path / "report.html"
    page.write_text(report.html.replace("</body>", MEASURE))
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(
        [
            *args,
            "--window-size=1300,2400",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    sizes = json.loads(re.findall(r"MEASURED(\[.*\])END", dom)[-1])
    assert [s[0] for s in sizes] == [
        "Actual vs predicted, test period",
        "Backtest: error per fold",
        "Learning curves",
        "Residuals",
        "MAE by forecast step",
        "MAE by hour of day",
    ]
    for alt, width, height, shown_width in sizes:
        assert width >= 600 and 200 <= height <= 1600, (alt, width, height)
        assert shown_width >= 600, alt  # not squeezed by the page
    shot = tmp_path / "page.png"
    subprocess.run(
        [*args, f"--screenshot={shot}", "--window-size=1300,2400", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert shot.stat().st_size > 50_000
