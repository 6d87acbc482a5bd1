"""Reading back what a flow run did: every flow and task run under it, with states and times.

Used by the benchmark and the tests (and handy in a notebook while debugging).
"""

from __future__ import annotations

import asyncio

from seqcast.app.console import Step


def state_name(run) -> str:
    """A flow or task run's state name; "Pending" while the API has not recorded one yet (a
    task run is listed a moment before its first state arrives, longer on a busy machine)."""
    return run.state.name if run.state is not None else "Pending"


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
                    "state": state_name(r),
                    "seconds": r.total_run_time.total_seconds(),
                }
                for r in flows
            ] + [
                {
                    "kind": "task",
                    "name": r.name,
                    "state": state_name(r),
                    "seconds": (r.end_time - r.start_time).total_seconds()
                    if r.end_time and r.start_time
                    else 0.0,
                }
                for r in tasks
            ]

    return asyncio.run(read())


UNSETTLED = ("Scheduled", "Pending", "Running")


def task_states(flow_run_id, settle_s: float = 20.0) -> dict[str, str]:
    """Task-run name -> final state name ('Cached', 'Completed', ...) under a flow run. The
    API records a task run's final state a moment after it happens (from events), longer on
    a busy machine: read until none is still unsettled, ``settle_s`` seconds at most."""
    import time

    deadline = time.monotonic() + settle_s
    while True:
        states = {r["name"]: r["state"] for r in run_tree(flow_run_id) if r["kind"] == "task"}
        if not any(s in UNSETTLED for s in states.values()) or time.monotonic() > deadline:
            return states
        time.sleep(0.25)


_FLOW_NAMES: dict = {}  # flow id -> name (a flow's name never changes)

GROUPED_FLOWS = ("prepare",)  # shown as one line per run of the flow, listing its stages


def steps_of(tag: str) -> list[Step]:
    """Every task run of the flow runs tagged ``tag``, as :class:`seqcast.app.console.Step`s in
    start order, with each one's latest progress artifact (epochs of a training task). Tasks
    of a ``prepare`` flow carry its run id as their group, and that flow run is a step too."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterType,
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.sorting import TaskRunSort

    with get_client(sync_client=True) as client:
        flows = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag]))
        )
        if not flows:
            return []
        for f in flows:
            if f.flow_id not in _FLOW_NAMES:
                _FLOW_NAMES[f.flow_id] = client.read_flow(f.flow_id).name
        by_flow = FlowRunFilter(id=FlowRunFilterId(any_=[f.id for f in flows]))
        tasks = client.read_task_runs(
            flow_run_filter=by_flow, sort=TaskRunSort.EXPECTED_START_TIME_ASC
        )
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(type=ArtifactFilterType(any_=["progress"])),
            flow_run_filter=by_flow,
        )
    progress = {a.task_run_id: a for a in artifacts}
    grouped = {f.id: f for f in flows if _FLOW_NAMES[f.flow_id] in GROUPED_FLOWS}
    subflow_tasks = {f.parent_task_run_id for f in flows}  # a subflow's stand-in task run
    steps = [
        _step(f.id, _FLOW_NAMES[f.flow_id], f, None, group=str(f.id), is_group=True)
        for f in grouped.values()
        if f.state is not None
    ]
    for r in tasks:
        if r.state is None or r.id in subflow_tasks:
            continue
        group = str(r.flow_run_id) if r.flow_run_id in grouped else ""
        steps.append(_step(r.id, r.name, r, progress.get(r.id), group=group))
    return steps


def _step(run_id, name: str, run, artifact, *, group: str, is_group: bool = False) -> Step:
    state = run.state
    end = run.end_time if state.is_final() else None
    seconds = (
        (end - run.start_time).total_seconds()
        if end and run.start_time
        else run.total_run_time.total_seconds()
    )
    return Step(
        id=str(run_id),
        name=name,
        state=state.name,
        final=state.is_final(),
        seconds=max(seconds, 0.0),
        progress=float(artifact.data) if artifact is not None and artifact.data else None,
        detail=(artifact.description or "") if artifact is not None else "",
        group=group,
        is_group=is_group,
    )


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

    def _poll(self) -> list | None:
        try:
            steps = steps_of(self.tag)
        except Exception:  # the view is best-effort; the run's own errors are reported
            return None
        self.on_steps(steps)
        return steps

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._poll()

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        import time

        self._stop.set()
        self._thread.join(timeout=10)
        # The API records task runs and their final states a moment after they happen (from
        # events): poll until every step is final and a second has passed, 5 s at most.
        start = time.monotonic()
        while (steps := self._poll()) is not None and time.monotonic() < start + 5:
            if all(s.final for s in steps) and time.monotonic() >= start + 1:
                break
            time.sleep(0.25)
