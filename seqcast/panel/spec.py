"""A panel spec: what a long-format file of many series is, declared in a TOML file.

It names the series column (``series``), the time column (``time``: a plain step index
``kind = "step"``, integers that count the periods, or ``kind = "datetime"`` with a
``frequency``), the target, the seasonal period and the horizon. Each series' last ``test``
rows are its test period (the competition's split when ``test`` is the competition's horizon),
and the ``folds`` blocks of ``horizon`` rows before it are the backtest. Nothing else about a
series is declared: each has its own length and start.

A spec file is a panel spec when it names ``series``; every other spec is a single-series
:class:`~seqcast.spec.dataset.DatasetSpec` and never reaches this package.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from seqcast.errors import ConfigError
from seqcast.spec.dataset import NAME_PATTERN, Frozen

PanelFrequency = Literal["step", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly"]
# what pandas calls each frequency (a datetime time column's rows must lie on it)
PANDAS_FREQUENCY = {
    "hourly": "h",
    "daily": "D",
    "weekly": "W",
    "monthly": "MS",
    "quarterly": "QS",
    "yearly": "YS",
}
PanelVariant = Literal["gru", "lstm", "rnn"]
PanelReference = Literal["naive", "seasonal-naive", "ets", "theta", "arima"]


class PanelTime(Frozen):
    """The time column: ``step`` (whole numbers, one per period, no calendar) or
    ``datetime`` (text pandas parses, on ``frequency``)."""

    column: str = Field(min_length=1)
    kind: Literal["step", "datetime"] = "step"
    frequency: PanelFrequency = "step"

    @model_validator(mode="after")
    def _check(self) -> PanelTime:
        if self.kind == "datetime" and self.frequency == "step":
            raise ValueError("time.frequency: a datetime column needs a frequency (hourly, ...)")
        return self


class PanelTraining(Frozen):
    """How the global deep models and the local references are fitted."""

    variants: tuple[PanelVariant, ...] = Field(default=("gru", "lstm"), min_length=1)
    units: int = Field(default=64, ge=1, le=1024)
    learning_rate: float = Field(default=0.002, gt=0, le=1.0)
    batch_size: int = Field(default=256, ge=1)
    max_epochs: int = Field(default=30, ge=1)
    patience: int = Field(default=4, ge=1)
    seeds: int = Field(default=2, ge=1)
    # the newest N training windows of each series per fit (None: every window); caps a fit's
    # cost per series, so cost grows with the number of series, not their length
    windows_per_series: int | None = Field(default=None, ge=1)
    # a learned series-identity input (an embedding) beside the window
    series_identity: bool = False
    references: tuple[PanelReference, ...] = ("naive", "seasonal-naive", "ets", "theta")
    # series per reference task (the unit a task runner or a Dask worker receives)
    chunk_size: int = Field(default=50, ge=1)
    # the champion rule also tries the mean of the best 2 .. this many candidates
    ensemble_size: int = Field(default=4, ge=0, le=20)


class PanelSpec(Frozen):
    """Everything the panel pipeline needs to know about one long-format file."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    series: str = Field(min_length=1)
    time: PanelTime
    target: str = Field(min_length=1)
    period: int = Field(ge=1)  # the seasonal period (1: none): MASE's scale and snaive's lag
    horizon: int = Field(ge=1)
    test: int | None = Field(default=None, ge=1)  # rows per series at its end (default horizon)
    folds: int = Field(default=2, ge=1)
    window: int = Field(ge=1)  # rows of history a deep model reads (shorter histories padded)
    levels: tuple[int, ...] = (80, 95)
    max_fill_steps: int = Field(default=0, ge=0)  # a missing run this short is interpolated
    sample_file: str | None = None
    training: PanelTraining = PanelTraining()

    @property
    def test_rows(self) -> int:
        return self.test or self.horizon

    @property
    def min_rows(self) -> int:
        """The rows a series needs: its test, the backtest's blocks, and a season and one row
        of history before the earliest block (the MASE scale reads a season back)."""
        return self.test_rows + self.folds * self.horizon + self.period + 1

    @model_validator(mode="after")
    def _check(self) -> PanelSpec:
        names = [self.series, self.time.column, self.target]
        if len(set(names)) != len(names):
            raise ValueError("series, time.column and target must be three different columns")
        if any(not 0 < level < 100 for level in self.levels):
            raise ValueError("levels: each must lie between 0 and 100")
        if self.test is not None and self.test % self.horizon:
            raise ValueError(
                f"test: {self.test} rows are not whole blocks of the horizon ({self.horizon}); "
                "each test block is forecast from the row before it"
            )
        return self


def is_panel_file(path: Path) -> bool:
    """Whether the spec file at ``path`` declares a long-format panel (names ``series``)."""
    try:
        return "series" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def load_panel_spec(path: str | Path) -> PanelSpec:
    """The panel spec in ``path``; a clear error naming the file and each bad field."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"spec {p} cannot be read: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"spec {p} is not valid TOML: {err}") from None
    try:
        return PanelSpec.model_validate(raw)
    except ValidationError as err:
        lines = [
            f"  - {'.'.join(str(x) for x in e['loc']) or '(spec)'}: {e['msg']}"
            for e in err.errors()
        ]
        raise ConfigError(f"spec {p} is not a valid panel spec:\n" + "\n".join(lines)) from None
