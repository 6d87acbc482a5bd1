"""A process worker that stops when it is told to: ``seqcast worker`` (``make worker``).

``prefect worker start`` (Prefect 3.8) turns SIGTERM into a SIGINT that its own command runner
swallows: the worker goes on polling, and a service manager's stop waits for its kill timeout
(measured: still running 120 s after SIGTERM). This runs Prefect's own ``ProcessWorker`` in a
loop of its own instead. The first SIGTERM or SIGINT stops it from taking new flow runs;
when none is running it exits at once, else it waits for them to finish (each flow run is a
process of its own, and a training cut short is wasted). A second signal stops those flow
runs too and exits.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable


def _worker_class():
    import warnings

    from prefect.workers.process import ProcessWorker

    warnings.filterwarnings("ignore", message=".*has key 'process' that matches existing")

    class DrainingWorker(ProcessWorker):
        """Prefect's process worker, which stops taking flow runs once ``draining`` is set and
        counts the flow runs it is running."""

        draining = False
        running = 0

        async def get_and_submit_flow_runs(self):
            if self.draining:
                return []
            return await super().get_and_submit_flow_runs()

        async def run(self, flow_run, configuration, task_status=None):
            self.running += 1
            try:
                return await super().run(flow_run, configuration, task_status)
            finally:
                self.running -= 1

    return DrainingWorker


async def serve(pool: str, limit: int | None, say: Callable[[str], None]) -> int:
    """Run a process worker for ``pool`` until it is signalled (see the module docstring);
    returns the exit status."""
    loop = asyncio.get_running_loop()
    signals: asyncio.Queue[int] = asyncio.Queue()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, signals.put_nowait, sig)
    worker = _worker_class()(work_pool_name=pool, limit=limit)
    serving = asyncio.create_task(worker.start(printer=say))
    first = asyncio.create_task(signals.get())
    await asyncio.wait({serving, first}, return_when=asyncio.FIRST_COMPLETED)
    if serving.done():  # it stopped by itself
        first.cancel()
        return 1 if serving.exception() else 0
    worker.draining = True
    say(f"received {signal.Signals(first.result()).name}: taking no new flow runs")
    if worker.running:
        say(
            f"waiting for {worker.running} running flow run(s) to finish; signal again to "
            "stop them now"
        )
        while worker.running and signals.empty():
            await asyncio.sleep(0.5)
        if worker.running:
            say(f"received {signal.Signals(signals.get_nowait()).name}: stopping them")
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)
    say("worker stopped")
    return 0


def run_worker(pool: str, limit: int | None) -> int:
    return asyncio.run(serve(pool, limit, lambda line: print(line, flush=True)))
