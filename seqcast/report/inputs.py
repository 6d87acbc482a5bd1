"""What the evaluation report is made from (``seqcast.report.page`` renders it,
``seqcast.report.figures`` draws its figures)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ReportInput:
    dataset: str
    run_id: str
    board: list[dict]
    champion: str | None
    champion_reason: str
    periods: dict
    fits: dict  # fit name -> train / early_stop / scored periods (backtest.describe)
    test_times: np.ndarray  # (samples, steps) target times
    test_truth: np.ndarray  # (samples, steps)
    test_predictions: dict[str, np.ndarray]  # name -> (samples, steps) original units
    histories: dict[str, dict[str, list[float]]]
    profile: list[dict]
    config: dict
    fingerprint: dict
    versions: dict
    units: str
    loss_label: str  # what the learning curves measure, e.g. "MSE of the scaled target"
    settings: list[tuple[str, str, str]]  # (setting, value used, where it came from)
    refit_ema: float = 0.0  # refits keep a moving average of their weights (0: off)
    refit_warm: float = 0.0  # refits continue from the fit before them, this share of epochs
    steps: tuple[int, ...] = (1,)  # the forecast steps of the columns above
    frequency: str = ""  # the data's frequency: hourly data gets MAE by hour of day
    # the champion's test-period bounds: level ("80") -> (lower, upper), each (samples, steps)
    test_bounds: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    champion_policy: str = "deep"  # "fallback": no deep candidate qualified, the best served
    transform_note: str = ""  # how "auto" chose the target transform on the backtest
    description: str = ""  # the dataset spec's description: what the series is
    whole: bool = False  # the target is a count: its values read as whole numbers
    # the champion rule chosen on half the folds, scored on the others
    # (``seqcast.evaluation.selection.nested_check``)
    nested: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        """One step given as (samples,) is the path (samples, 1)."""

        def path(a) -> np.ndarray:
            a = np.asarray(a)
            return a.reshape(len(a), -1)

        self.test_times, self.test_truth = path(self.test_times), path(self.test_truth)
        self.test_predictions = {n: path(p) for n, p in self.test_predictions.items()}


@dataclass
class Report:
    markdown: str
    html: str
    figures: dict[str, bytes]
