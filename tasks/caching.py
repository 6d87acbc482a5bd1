"""Cache helpers shared by the cached tasks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ParamSpec, TypeVar

from prefect import Task

P = ParamSpec("P")
R = TypeVar("R")


def refreshed_if_missing(task: Task[P, R], outputs: Iterable[Path]) -> Task[P, R]:
    """``task`` as it is when its stored outputs exist; otherwise with its cache refreshed.

    A task's cached result names files it wrote. If those were removed by hand after the
    result was cached, the run recomputes them (and replaces the cache record) instead of
    returning a result that points at nothing.
    """
    if all(Path(p).exists() for p in outputs):
        return task
    return task.with_options(refresh_cache=True)
