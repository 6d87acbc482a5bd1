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
