"""One Prefect API for every process of a command.

Without ``PREFECT_API_URL`` Prefect starts a temporary server in each process that needs one:
the command's own and every worker of a process pool, each taking seconds to start. The
``shared_api`` context starts one temporary server and points this process and its children
at it. Where an API is configured (a real server, the test harness) it does nothing.

A brand-new ``PREFECT_HOME`` holds no database yet: the temporary server would create and
migrate it inside its start-up window (25-30 s on a loaded 2-core machine, longer than
Prefect's default 20 s wait), and the command would die. The database is therefore migrated
here first, in this process and without a deadline, and the server is then given a generous
start-up window. Any failure is an :class:`ApiStartError` saying what to try.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager

from seqcast.errors import SeqcastError

# Seconds the temporary server may take to answer once its database is migrated (it usually
# takes 5-10 s). A larger PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS wins.
STARTUP_TIMEOUT_S = 180


class ApiStartError(SeqcastError):
    """The temporary Prefect API could not be started."""


def _hint() -> str:
    return (
        "  try: run the command again; or start a Prefect server (`make server`) and point at it "
        "with PREFECT_API_URL=http://127.0.0.1:4200/api; or raise "
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
    )


def migrate_database() -> None:
    """Create or upgrade the temporary server's database (under ``PREFECT_HOME``)."""
    from prefect.server.database import provide_database_interface

    asyncio.run(provide_database_interface().create_db())


@contextmanager
def shared_api() -> Iterator[str | None]:
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    configured = PREFECT_API_URL.value()
    if configured:
        yield configured
        return
    # The temporary server's telemetry heartbeat races the flow for SQLite's write lock and
    # logs "database is locked" tracebacks: a throwaway server reports nothing anyway.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.server.api.server import SubprocessASGIServer

    try:
        migrate_database()
    except Exception as exc:
        raise ApiStartError(
            f"could not create or migrate the Prefect database under PREFECT_HOME="
            f"{os.environ.get('PREFECT_HOME', '~/.prefect')}: {type(exc).__name__}: {exc}\n"
            + _hint()
        ) from None
    server = SubprocessASGIServer()
    timeout = max(STARTUP_TIMEOUT_S, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    try:
        server.start(timeout=timeout)
    except Exception as exc:
        server.stop()
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ApiStartError(
            f"could not start the temporary Prefect API server within {timeout} s: {first}\n"
            + _hint()
        ) from None
    os.environ["PREFECT_API_URL"] = server.api_url  # inherited by worker processes
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield server.api_url
    finally:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=10)  # send queued run logs while the server is up
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()
