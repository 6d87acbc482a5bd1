"""One Prefect API for every process of a command.

Without ``PREFECT_API_URL`` Prefect starts a temporary server in each process that needs one:
the command's own and every worker of a process pool, each taking seconds to start. The
``shared_api`` context starts one temporary server and points this process and its children
at it. Where an API is configured (a real server, the test harness) it does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def shared_api() -> Iterator[str | None]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = PREFECT_API_URL.value()
    if configured:
        yield configured
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url  # inherited by worker processes
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield server.api_url
    finally:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=10)  # send queued run logs while the server is up
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()
