"""The closed choice sets a dataset spec and a run's settings share.

They sit at the bottom of the library (below the config, the data stages and the models) so
that the spec, the settings and the code that acts on a choice all name one definition.
"""

from __future__ import annotations

from typing import Literal, get_args

# The references a run can fit beside the deep candidates, in the order they are fitted and
# reported (``seqcast.models.catalog.references()`` lists the same names: a test holds the two
# together). ``persistence`` is fitted in every run: it is the yardstick of every skill figure.
ReferenceName = Literal[
    "persistence",
    "seasonal-naive",
    "drift",
    "ridge",
    "gradient-boosting",
    "lag-boosting",
    "ets",
    "theta",
    "arima",
]
ALWAYS_FITTED: ReferenceName = "persistence"

# How a feature is scaled (fitted on training rows only): to 0..1, or to mean 0 and sd 1.
ScalerKind = Literal["minmax", "standard"]

# What training minimises, in the model's target units.
LossName = Literal["mse", "mae", "huber"]

# The target a model trains on: as it is, or log(1 + target) standardised on training rows.
TargetTransform = Literal["none", "log1p", "difference", "normalize", "auto"]

# What a gap longer than the longest filled one does: fail the run, or drop the windows it
# touches.
LongGapAction = Literal["fail", "drop-windows"]

# Which steps ahead each origin forecasts: every step 1..horizon (a path), or only the
# horizon-th (one value, the course notes' ``shift(-horizon)``).
StepsKind = Literal["all", "last"]


def resolved_references(chosen: tuple[ReferenceName, ...] | None) -> tuple[ReferenceName, ...]:
    """The references a run fits: ``chosen`` (None: every one) with ``persistence`` always
    among them, in the order of :data:`ReferenceName`, each once."""
    every = get_args(ReferenceName)
    wanted = set(every if chosen is None else chosen) | {ALWAYS_FITTED}
    return tuple(name for name in every if name in wanted)


def forecast_steps(horizon: int, kind: StepsKind) -> list[int]:
    """The steps ahead forecast from each origin: ``[1, .., horizon]`` or ``[horizon]``."""
    if horizon < 1:
        raise ValueError("horizon must be >= 1")
    return list(range(1, horizon + 1)) if kind == "all" else [horizon]
