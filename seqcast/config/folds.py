"""The backtest's fold layout, a setting of a run (``TrainConfig.backtest_folds``); the window
positions it gives are :mod:`seqcast.evaluation.backtest`'s."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Folds:
    """The backtest's layout: ``count`` folds; ``start`` (a share of the pre-test windows,
    0 < start < 1): the blocks divide the pre-test windows after the first ``start`` of them
    equally, so they span the training period; None: each block is as long as the
    validation split, the newest being it."""

    count: int
    start: float | None = None

    def __post_init__(self) -> None:
        if self.start is not None and not 0.0 < self.start < 1.0:
            raise ValueError(
                f"a backtest start share lies strictly between 0 and 1, got {self.start}"
            )

    @property
    def names(self) -> list[str]:
        return fold_names(self.count)

    def key(self) -> int | dict:
        """JSON form for settings and cache keys: the count alone for the default layout, so
        a run with the default layout keeps the keys it had."""
        return self.count if self.start is None else {"count": self.count, "start": self.start}


def as_folds(folds: int | Folds) -> Folds:
    """A layout from a fold count (the default, validation-length blocks) or a layout."""
    return folds if isinstance(folds, Folds) else Folds(int(folds))


def fold_names(folds: int | Folds) -> list[str]:
    count = folds.count if isinstance(folds, Folds) else folds
    return [f"fold-{k}" for k in range(1, count + 1)]
