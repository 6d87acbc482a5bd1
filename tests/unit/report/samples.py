"""Small report inputs whose figures and tables can be worked out by hand."""

from __future__ import annotations

import numpy as np

from seqcast.evaluation.leaderboard import Candidate, leaderboard
from seqcast.report.inputs import ReportInput


def hourly_report(
    days: int = 20,
    folds: int = 2,
    champion_offset: float = 2.0,
    reference_offset: float = 5.0,
    residuals: np.ndarray | None = None,
) -> ReportInput:
    """``days`` of hourly test targets, one step ahead (truth 100 + 10 sin over a day): the
    champion ``gru`` predicts truth + ``champion_offset`` (or truth + ``residuals``, one per
    hour), the reference ``ridge`` truth + ``reference_offset`` on every fold and on test, so
    their MAEs are those offsets."""
    times = np.datetime64("2018-10-01T00", "h") + np.arange(24 * days)  # hourly
    truth = 100 + 10 * np.sin(np.arange(len(times)) * 2 * np.pi / 24)
    fold_names = [f"fold-{k}" for k in range(1, folds + 1)]
    truths = {**{f: truth for f in fold_names}, "test": truth}
    gru_test = truth + (champion_offset if residuals is None else residuals)
    cands = [
        Candidate(
            "gru",
            "deep",
            {**{f: truth + champion_offset for f in fold_names}, "test": gru_test},
        ),
        Candidate("ridge", "reference", {f: y + reference_offset for f, y in truths.items()}),
    ]
    board = leaderboard(cands, truths, cands[1].predictions, fold_names)
    span = {"windows": len(times), "target_start": "2018-09-01T00", "target_end": "2018-09-20T23"}
    fold_fits = {f: {"train": span, "early_stop": span, "scored": span} for f in fold_names}
    return ReportInput(
        dataset="bike-hourly",
        run_id="r",
        board=board,
        champion="gru",
        champion_reason="gru has the lowest mean backtest MAE of the deep candidates",
        periods={"test": {"rows": len(times), "target_start": "2018-10-01", "target_end": "x"}},
        fits={**fold_fits, "pretest": {"train": span, "early_stop": None, "scored": span}},
        test_times=times,
        test_truth=truth,
        test_predictions={c.name: c.predictions["test"] for c in cands},
        histories={n: {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]} for n in "abcd"},
        profile=[],
        config={},
        fingerprint={},
        versions={},
        units="Rented Bike Count",
        loss_label="MSE of the minmax-scaled target",
        settings=[],
        frequency="hourly",
    )
