"""Every registered Forecaster by name: the deep variants and the references. Make a new one
(:func:`create`), load a stored one (:func:`load`), or ask what it declares
(:func:`capabilities`), without naming its class."""

from __future__ import annotations

from pathlib import Path

import seqcast.models.arima
import seqcast.models.deep_forecaster
import seqcast.models.references
import seqcast.models.statistical
from seqcast.models.forecaster import REGISTRY, Capabilities, Forecaster, Settings

# The order models are listed, fitted and reported in: by module, then as each registers
# (whichever module a caller happens to import first).
ORDER = (
    seqcast.models.deep_forecaster,
    seqcast.models.references,
    seqcast.models.statistical,
    seqcast.models.arima,
)


def registered() -> dict[str, type[Forecaster]]:
    """Every registered forecaster by name (deep variants and references), in :data:`ORDER`."""
    modules = [m.__name__ for m in ORDER]
    rank = {  # a model registered anywhere else (a test's, a plugin's) comes last
        name: modules.index(c.__module__) if c.__module__ in modules else len(modules)
        for name, c in REGISTRY.items()
    }
    return {name: REGISTRY[name] for name in sorted(REGISTRY, key=rank.__getitem__)}


def candidates() -> tuple[str, ...]:
    """The models fitted per seed (``per_seed``): the deep variants, candidates for champion."""
    return tuple(n for n, c in registered().items() if c.capabilities.per_seed)


def references() -> tuple[str, ...]:
    """Every other registered model: the references, fitted once per fold, in the order they
    were registered; each is the yardstick a candidate must beat."""
    return tuple(n for n, c in registered().items() if not c.capabilities.per_seed)


def window_free() -> frozenset[str]:
    """Models whose forecast reads no window (the same at every window length)."""
    return frozenset(n for n, c in REGISTRY.items() if not c.capabilities.reads_window)


def outside_ensembles() -> frozenset[str]:
    """Models that never join an ensemble (nor are served)."""
    return frozenset(n for n, c in REGISTRY.items() if not c.capabilities.ensemble_member)


def capabilities(name: str) -> Capabilities:
    return _class_of(name).capabilities


def create(name: str, settings: Settings) -> Forecaster:
    """A new, unfitted forecaster."""
    return _class_of(name)(name, settings)


def load(name: str, path: Path | None, settings: Settings) -> Forecaster:
    """A fitted forecaster from its stored file (``path`` None when it stores nothing)."""
    return _class_of(name).load(name, path, settings)


def _class_of(name: str) -> type[Forecaster]:
    known = registered()
    if name not in known:
        raise KeyError(f"unknown forecaster {name!r}; known: {sorted(known)}")
    return known[name]
