"""Reading back what a flow run did: every flow and task run under it, with states and times.

Used by the benchmark and the tests (and handy in a notebook while debugging).
"""

from __future__ import annotations

import asyncio


def run_tree(flow_run_id) -> list[dict]:
    """Every flow and task run under ``flow_run_id`` with its state and duration."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterParentFlowRunId,
    )

    async def read():
        async with get_client() as client:
            flows = list(
                await client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
                )
            )
            frontier = [flow_run_id]
            while frontier:
                subs = await client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=frontier)
                    )
                )
                flows += subs
                frontier = [s.id for s in subs]
            tasks = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[f.id for f in flows]))
            )
            flow_names = {f.flow_id: (await client.read_flow(f.flow_id)).name for f in flows}
            return [
                {
                    "kind": "flow",
                    "name": flow_names[r.flow_id],
                    "state": r.state.name,
                    "seconds": r.total_run_time.total_seconds(),
                }
                for r in flows
            ] + [
                {
                    "kind": "task",
                    "name": r.name,
                    "state": r.state.name,
                    "seconds": (r.end_time - r.start_time).total_seconds()
                    if r.end_time and r.start_time
                    else 0.0,
                }
                for r in tasks
            ]

    return asyncio.run(read())


def task_states(flow_run_id) -> dict[str, str]:
    """Task-run name -> final state name ('Cached', 'Completed', ...) under a flow run."""
    return {r["name"]: r["state"] for r in run_tree(flow_run_id) if r["kind"] == "task"}


def steps_of(tag: str) -> list:
    """Every task run of the flow runs tagged ``tag``, as :class:`seqcast.console.Step`s in
    start order, with each one's latest progress artifact (epochs of a training task)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterType,
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.sorting import TaskRunSort

    from seqcast.console import Step

    with get_client(sync_client=True) as client:
        flows = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag]))
        )
        if not flows:
            return []
        by_flow = FlowRunFilter(id=FlowRunFilterId(any_=[f.id for f in flows]))
        tasks = client.read_task_runs(
            flow_run_filter=by_flow, sort=TaskRunSort.EXPECTED_START_TIME_ASC
        )
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(type=ArtifactFilterType(any_=["progress"])),
            flow_run_filter=by_flow,
        )
    progress = {a.task_run_id: a for a in artifacts}
    subflow_tasks = {f.parent_task_run_id for f in flows}  # a subflow's stand-in task run
    steps = []
    for r in tasks:
        state = r.state
        if state is None or r.id in subflow_tasks:
            continue
        art = progress.get(r.id)
        end = r.end_time if state.is_final() else None
        seconds = (
            (end - r.start_time).total_seconds()
            if end and r.start_time
            else r.total_run_time.total_seconds()
        )
        steps.append(
            Step(
                id=str(r.id),
                name=r.name,
                state=state.name,
                final=state.is_final(),
                seconds=max(seconds, 0.0),
                progress=float(art.data) if art is not None and art.data is not None else None,
                detail=(art.description or "") if art is not None else "",
            )
        )
    return steps


class Watcher:
    """Polls the API for the steps of the flow runs tagged ``tag`` and hands them to
    ``on_steps`` (from a background thread, every ``interval`` seconds, and once at the end)."""

    def __init__(self, tag: str, on_steps, interval: float = 0.5) -> None:
        import contextvars
        import threading

        self.tag = tag
        self.on_steps = on_steps
        self.interval = interval
        self._stop = threading.Event()
        ctx = contextvars.copy_context()  # the API settings of the command
        self._thread = threading.Thread(target=ctx.run, args=(self._loop,), daemon=True)

    def _poll(self) -> None:
        try:
            steps = steps_of(self.tag)
        except Exception:  # the view is best-effort; the run's own errors are reported
            return
        self.on_steps(steps)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._poll()

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._poll()
