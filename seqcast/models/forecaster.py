"""The one interface every model implements: deep variants, references, and the ensembles and
seed averages made of them. Pure (no Prefect, no I/O beyond a model's own file).

A :class:`Forecaster` is fitted on windows (``WindowSet``: x (samples, timesteps, features),
covariates (samples, covariates), the target in the fit's units and in original units) and
predicts a block of windows in **original units**, (samples,). What it needs and how it is
stored are declared in its :class:`Capabilities`, so the code that trains, scores, serves and
publishes it asks the capabilities and never a model's name.

Add a model: subclass :class:`Forecaster`, declare its capabilities (``per_seed`` makes it a
candidate for champion, otherwise it is a reference), decorate the class with
:func:`register` and import its module in :mod:`seqcast.models.catalog`, which makes, loads
and lists models by name and drives the run. docs/architecture.md gives every step; the
contract test (``tests/unit/models/test_forecaster_contract.py``) runs it with every other
registered Forecaster.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, Protocol

import numpy as np

from seqcast.config.model_settings import TrainingConfig, VariantConfig
from seqcast.data.units import FitUnits, units_of
from seqcast.evaluation.selection import weighted_mean


class Block(Protocol):
    """What a forecaster reads of a block of windows (a ``WindowSet`` or a serving input)."""

    @property
    def x(self) -> np.ndarray: ...  # (samples, timesteps, features), in the fit's feature units

    @property
    def covariates(self) -> np.ndarray: ...  # (samples, covariates): the target time's calendar


def series_of(block) -> tuple[np.ndarray, np.ndarray]:
    """The target's whole series (rows,) and each window's origin row (samples,) a block
    carries, for the models that forecast from the history up to each origin."""
    history = getattr(block, "history", None)
    origins = getattr(block, "origin_row", None)
    if history is None or origins is None:
        raise ValueError("windows lack the series history; prepare them again")
    return np.asarray(history, dtype=np.float64), np.asarray(origins, dtype=np.int64)


def steps_of(block: Block, units: FitUnits | None) -> list[int]:
    """The steps ahead the fit forecasts: its units' steps, else one per covariate step of
    the block (fits made before units named them)."""
    steps = units_of(units).steps
    return list(steps) if steps else list(range(1, block.covariates.shape[1] + 1))


@dataclass(frozen=True)
class Capabilities:
    """What a forecaster declares about itself, in the spirit of scikit-learn's estimator tags.

    - ``needs_scaling``: trained on the target in the fit's own (scaled) units; it maps its
      output back to original units itself, from the units document it was made with.
    - ``uses_covariates``: reads the known-future covariates (the target time's calendar and
      declared known values).
    - ``reads_window``: reads the window's inputs; without, the forecast is read off the
      target's history and is the same at every window length (the naive references).
    - ``deterministic``: the same windows give the same forecast whatever the seed.
    - ``per_seed``: fitted once per seed and early-stopped on validation windows, so a run
      trains it per seed and fold, and refits it for the epochs its folds stopped at: a
      **candidate** for champion. Without it, a model is a **reference**: fitted once per
      fold, and the yardstick every candidate must beat on the backtest.
    - ``ensemble_member``: may join the backtest's greedy ensemble and be served.
    - ``saved_as``: how a fitted model is stored without pickle: ``keras`` (a ``.keras`` file
      run in numpy at serving, :mod:`seqcast.models.forward`), ``json`` (a statistical
      model's settings and fitted parameters, rebuilt on the newest data at load; ridge's
      coefficients; the boosting references' LightGBM text models) or ``none`` (nothing to
      store: the forecast is read off the windows).
    """

    needs_scaling: bool
    uses_covariates: bool
    reads_window: bool
    deterministic: bool
    per_seed: bool
    ensemble_member: bool
    saved_as: Literal["keras", "json", "none"]

    @property
    def suffix(self) -> str:
        """The stored model file's suffix (empty when nothing is stored)."""
        return {"keras": ".keras", "json": ".json", "none": ""}[self.saved_as]


@dataclass
class FitSummary:
    """What one fit reports beside the model."""

    seconds: float = 0.0
    history: dict[str, list[float]] = field(default_factory=dict)  # per epoch: loss, val_loss
    best_epoch: int | None = None  # 1-based; None for models without epochs
    epochs: int | None = None  # epochs trained
    params: int | None = None
    collapsed_attempts: list[dict] = field(default_factory=list)  # fits retried with a new seed


@dataclass(frozen=True)
class Settings:
    """Everything a registered forecaster may be made with; each takes what it needs."""

    seed: int = 0
    threads: int = 1
    units: FitUnits | None = None  # the fit's own units (``backtest.fit_units``)
    variant: VariantConfig | None = None  # a deep variant's architecture
    training: TrainingConfig | None = None  # a deep variant's fitting settings

    def __post_init__(self) -> None:  # a stored units document is read as FitUnits
        if self.units is not None and not isinstance(self.units, FitUnits):
            object.__setattr__(self, "units", units_of(self.units))


class NotApplicable(Exception):
    """Raised by a reference's ``fit`` when it is not fitted on this data at all (the same
    verdict on every fold of a run: it depends on the whole series, not the fold); the run
    leaves the reference out and says why."""


class Forecaster(ABC):
    """Fit on windows, predict a block in original units, save and load without pickle."""

    capabilities: ClassVar[Capabilities]

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.settings = settings

    @abstractmethod
    def fit(
        self,
        train,
        val=None,
        *,
        epochs: int | None = None,
        on_epoch: Callable[[int, float, float | None], None] | None = None,
    ) -> FitSummary:
        """Fit on ``train`` (a ``WindowSet``). ``val``: windows to early-stop on (models with
        ``per_seed``); without them, ``epochs`` fixes how long an epoch-trained model trains.
        ``on_epoch(epoch, loss, val_loss)`` reports progress where there are epochs."""

    @abstractmethod
    def predict(self, block: Block) -> np.ndarray:
        """The forecast of every window of ``block``: (samples,) in original units."""

    def save(self, folder: Path) -> str | None:
        """Store the fitted model in ``folder``; returns the file's name (None: nothing is
        stored, ``saved_as == "none"``)."""
        return None

    @classmethod
    def load(cls, name: str, path: Path | None, settings: Settings) -> Forecaster:
        """The fitted forecaster stored at ``path`` by :meth:`save`."""
        return cls(name, settings)


class Ensemble:
    """A Forecaster made of Forecasters: the weighted mean of fitted members (a seed average
    has equal weights; a step-aware ensemble gives a member one weight per step). Each member
    may read its own block (its own window length and scaling): :meth:`predict_each`;
    :meth:`predict` gives every member the same block."""

    def __init__(
        self,
        members: Sequence[tuple[Forecaster, float | Sequence[float]]],
        minimum: float | None = None,
    ) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = list(members)
        self.minimum = minimum  # each member's forecasts are raised to it, as in the ranking

    def predict(self, block: Block) -> np.ndarray:
        return self.predict_each([block] * len(self.members))

    def predict_each(self, blocks: Sequence[Block]) -> np.ndarray:
        values = [m.predict(b) for (m, _), b in zip(self.members, blocks, strict=True)]
        if self.minimum is not None:
            values = [np.maximum(v, self.minimum) for v in values]
        return weighted_mean(values, [w for _, w in self.members])


REGISTRY: dict[str, type[Forecaster]] = {}  # filled by register(); read it via models.catalog


def register(*names: str) -> Callable[[type[Forecaster]], type[Forecaster]]:
    """Register a Forecaster class under one or more names."""

    def wrap(cls: type[Forecaster]) -> type[Forecaster]:
        for name in names:
            REGISTRY[name] = cls
        return cls

    return wrap
