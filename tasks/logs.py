"""The logger a task writes to: the Prefect run's inside a flow run, a module's logger when a
task's function is called on its own (``.fn``, or a command run without a server)."""

from __future__ import annotations

import logging

from prefect import get_run_logger
from prefect.exceptions import MissingContextError


def run_logger(name: str) -> logging.Logger | logging.LoggerAdapter:
    """The run's logger inside a flow or task run; ``logging.getLogger(name)`` outside one."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(name)
