"""A fit's own units: what every model of one fit was fitted in, and what serving needs to
feed it and read its forecasts, made once per fit (``seqcast.evaluation.backtest.fit_units``)
and stored with the fit (``fit.json``) and with each served member (``bundle.json``).

Pure data: the feature scaler and the target transform as their stored documents (so a stored
fit reads back exactly), the season and steps the models forecast, and the training windows it
was fitted on.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from seqcast.data.scale import AffineScaler
from seqcast.data.target_transform import TargetTransform, target_transform_of


class FittedOn(BaseModel):
    """The training windows of a fit: its name, how many, the first and last target time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fit: str
    windows: int
    target_start: str | None = None
    target_end: str | None = None


class FitUnits(BaseModel):
    """One fit's units (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # the window features' scaler, fitted on this fit's training windows (AffineScaler.to_dict)
    features: dict[str, Any] | None = None
    # the target transform's document (TargetTransform.to_dict); None: original units
    target: dict[str, Any] | None = None
    season: int | None = None  # the seasonal period the history-reading models use
    steps: list[int] = []  # the steps ahead forecast; empty in fits made before paths
    fitted_on: FittedOn | None = None

    @property
    def transform(self) -> TargetTransform:
        """The target transform, as an object."""
        return target_transform_of(self.target)

    def feature_scaler(self) -> AffineScaler:
        if self.features is None:
            raise ValueError("these units have no feature scaler")
        return AffineScaler.from_dict(self.features)

    @property
    def season_or_1(self) -> int:
        return int(self.season or 1)


def units_of(units: FitUnits | dict | None) -> FitUnits:
    """``units`` as :class:`FitUnits` (a stored document is validated; None: empty units)."""
    if isinstance(units, FitUnits):
        return units
    return FitUnits.model_validate(units or {})
