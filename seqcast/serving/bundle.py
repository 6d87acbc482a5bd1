"""The champion bundle as a typed document: what a train run hands to serving.

Made by the ``publish-run`` task (``seqcast.report.documents.bundle_document``) and by a refresh;
read by the forecast flow, the MLflow pyfunc model, ``seqcast status``, replay, refresh and the
model registry's tags. Stored as ``<run>/champion/bundle.json`` beside the members' model files.

A bundle carries its ``schema_version``. Bundles written before it was recorded (version 1:
no ``schema_version``, and in the oldest, no ``steps``, ``policy``, member ``forecaster``,
``weight`` or ``epochs``) and version 2 (no member ``weights``, no ``warm_refit`` in the
spec: both take their defaults, none and 0) are brought to the current version by
:func:`migrate`, the one place that knows earlier shapes; every reader gets a :class:`Bundle`.
A seqcast older than a bundle refuses it by its version, saying to upgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from seqcast.data.units import FitUnits
from seqcast.evaluation.leaderboard import Policy
from seqcast.spec.choices import LongGapAction
from seqcast.spec.dataset import DatasetSpec

SCHEMA_VERSION = 4  # 3: deep members may carry their weights; the spec its warm_refit
# 4: members may carry a share per step (a step-aware ensemble), the intervals an online rate


class ServedMember(BaseModel):
    """One served member of the champion: a fit of a registered Forecaster, its model file,
    window length, weight and the units it was fitted in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    forecaster: str  # the registered Forecaster (``seqcast.models.catalog``)
    kind: str  # "deep" or "reference"
    label: str  # the candidate label (``lstm``, ``lstm-t48``) or the reference's name
    seed: int | None  # None for a reference (fitted once, not per seed)
    weight: float = Field(ge=0.0)  # its share of the champion's weighted mean
    # its share at each step (a step-aware ensemble; ``weight`` is their mean); None: ``weight``
    # at every step
    by_step: list[float] | None = None
    timesteps: int = Field(ge=1)  # its window length
    file: str  # its model file in the bundle's folder
    units: FitUnits  # the fit's own units (``seqcast.evaluation.backtest.fit_units``)
    epochs: int | None = None  # what a refresh refits it for (deep members)
    # its weights in the bundle's folder (.npz) and their sha256: where a warm-started refresh
    # starts from (deep members of a run with warm-started refits)
    weights: str | None = None
    weights_sha256: str | None = None


class Bundle(BaseModel):
    """What serving needs to forecast with the champion, exactly as it was evaluated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    dataset: str
    candidate: str  # the champion candidate's name
    policy: Policy = "deep"  # how it was promoted
    combine: Literal["weighted-mean"] = "weighted-mean"
    horizon: int = Field(ge=1)
    steps: list[int] = Field(min_length=1)  # the steps ahead it forecasts
    spec: DatasetSpec  # the spec it was trained with
    max_fill_steps: int = Field(ge=0)
    on_long_gap: LongGapAction
    trained_on: dict[str, Any] | None = None  # the served fits' training windows
    members: list[ServedMember] = Field(min_length=1)
    # conformal offsets per level and step (``seqcast.evaluation.calibration``)
    intervals: dict[str, Any] | None = None
    promise: dict[str, Any] | None = None  # what its backtest promised live forecasts
    # a refresh's bundle: the run (and version) it refitted, and that bundle's trained_on
    refreshed_from: dict[str, Any] | None = None

    @property
    def longest_window(self) -> int:
        return max(m.timesteps for m in self.members)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def migrate(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored bundle document in the current version's shape (see the module docstring).
    Raises ``ValueError`` for a version newer than this code reads."""
    version = int(doc.get("schema_version", 1))
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"bundle schema version {version} is newer than this seqcast reads "
            f"({SCHEMA_VERSION}); upgrade seqcast"
        )
    if version == SCHEMA_VERSION:
        return doc
    if version == 3:  # 4 only added optional fields
        return {**doc, "schema_version": SCHEMA_VERSION}
    out = dict(doc)
    out["steps"] = list(doc.get("steps") or [doc["horizon"]])  # before paths: one horizon
    out["policy"] = doc.get("policy") or "deep"
    members = []
    for m in doc["members"]:
        m = dict(m)
        variant = m.pop("variant", None)  # before registered forecasters
        m["forecaster"] = m.get("forecaster") or variant or m["label"]
        m.setdefault("weight", 1.0 / len(doc["members"]))
        m.setdefault("epochs", None)
        # before units named the season and steps (the naive references read them)
        units = dict(m.get("units") or {})
        if units.get("season") is None:
            units["season"] = doc["spec"].get("seasonal_period")
        units["steps"] = units.get("steps") or out["steps"]
        m["units"] = units
        members.append(m)
    out["members"] = members
    out["schema_version"] = SCHEMA_VERSION
    return out


def bundle_of(doc: dict[str, Any]) -> Bundle:
    """A stored bundle document, of this or an earlier version, as a :class:`Bundle`."""
    return Bundle.model_validate(migrate(doc))


def read_bundle(path: Path) -> Bundle:
    """``bundle.json`` at ``path``, of this or an earlier version, as a :class:`Bundle`."""
    import json

    return bundle_of(json.loads(Path(path).read_text()))
