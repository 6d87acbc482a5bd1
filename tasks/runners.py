"""The task runner a training fan-out uses: processes (default), threads, or a Dask cluster."""

from __future__ import annotations

from typing import Any

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from seqcast.config import TrainConfig
from seqcast.models.fitting import thread_env


def threads_per_worker(config: TrainConfig) -> int:
    """Cores shared out so that parallel processes do not oversubscribe them."""
    import os

    return max(1, (os.cpu_count() or 1) // config.worker_count)


def task_runner_for(config: TrainConfig) -> TaskRunner[Any]:
    if config.task_runner == "process":
        return ProcessPoolTaskRunner(
            max_workers=config.worker_count,
            initializer=thread_env,
            initargs=(threads_per_worker(config),),
        )
    if config.task_runner == "thread":
        return ThreadPoolTaskRunner(max_workers=config.worker_count)
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(address=config.dask_address)
