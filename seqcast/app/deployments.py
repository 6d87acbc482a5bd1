"""Register a dataset's train, forecast and rerun deployments through Prefect's Python API
(what ``seqcast deploy --dataset SPEC`` does), so a new dataset needs no hand-edited prefect.yaml.

The deployments run on the project's process work pool from the project root, as those in
prefect.yaml do. The spec file's folder becomes the runs' ``SEQCAST_SPECS_DIR`` (a run's
``dataset`` parameter must name a spec inside it) and ``ROOT/outputs`` their
``SEQCAST_OUTPUT_ROOT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

from seqcast.errors import ConfigError
from seqcast.io.paths import OUTPUT_ROOT_ENV, RANKING
from seqcast.spec.dataset import BUILTIN_DIR, SPECS_DIR_ENV, get_spec, spec_path

ROOT = Path(__file__).resolve().parents[2]  # the project root
POOL = "seqcast-process"


@dataclass(frozen=True)
class DeployPlan:
    """What will be registered: names, the dataset parameter, schedules, the run environment."""

    dataset: str  # the spec's name
    parameter: str  # the ``dataset`` parameter: a built-in name or the spec's file name
    env: dict[str, str]
    train: str
    forecast: str
    rerun: str  # the rerun flow's deployment: one stage, fit or the ranking, run by hand
    train_cron: str | None
    forecast_cron: str | None
    notes: list[str]
    train_parameters: dict  # the train flow's ``config`` parameter
    forecast_parameters: dict  # the forecast flow's ``config`` parameter


def plan_deployments(
    dataset: str,
    train_cron: str | None = "0 3 * * *",
    forecast_cron: str | None = "5 * * * *",
    settings: dict | None = None,
) -> DeployPlan:
    """The deployments for ``dataset`` (a built-in name or a spec file path). ``settings``
    are train config fields (JSON) that the deployments' runs take by default; ``out``,
    ``source`` and ``mlflow_uri`` among them go to the forecast deployment too. A spec with
    known-future columns gets no forecast schedule: a scheduled run could not give their
    values (request each forecast with them instead)."""
    spec = get_spec(dataset)
    path = spec_path(dataset)
    env = {OUTPUT_ROOT_ENV: str(ROOT / "outputs")}
    if path.parent == BUILTIN_DIR:
        parameter = spec.name
    else:
        env[SPECS_DIR_ENV] = str(path.parent)
        parameter = path.name
    notes = []
    if spec.known_future and forecast_cron:
        notes.append(
            f"no forecast schedule: the spec's known-future column(s) {list(spec.known_future)} "
            "need values at each target time; request runs with config.known set"
        )
        forecast_cron = None
    train_parameters = {**(settings or {}), "dataset": parameter}
    train_parameters.setdefault("out", ".")
    forecast_parameters = {
        k: train_parameters[k]
        for k in ("dataset", "source", "out", "mlflow_uri")
        if k in train_parameters
    }
    return DeployPlan(
        dataset=spec.name,
        parameter=parameter,
        env=env,
        train=f"train-{spec.name}",
        forecast=f"forecast-{spec.name}",
        rerun=f"rerun-{spec.name}",
        train_cron=train_cron,
        forecast_cron=forecast_cron,
        notes=notes,
        train_parameters=train_parameters,
        forecast_parameters=forecast_parameters,
    )


def register(plan: DeployPlan, pool: str = POOL, timezone: str = "UTC") -> list[str]:
    """Create or update the train, forecast and rerun deployments (and the process work pool
    when missing); returns their full names (``flow/deployment``). The rerun deployment
    has no schedule: a person runs it from the UI with the name of a stage, a fit or
    ``ranking``, and the train deployment's settings by default."""
    import asyncio

    from prefect import Flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    async def ensure_pool() -> None:
        async with get_client() as client:
            try:
                await client.read_work_pool(pool)
            except ObjectNotFound:
                await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))

    asyncio.run(ensure_pool())
    names = []
    for flow_name, entrypoint, deployment, cron, parameters, what in (
        (
            "train",
            "flows/train.py:train",
            plan.train,
            plan.train_cron,
            {"config": plan.train_parameters},
            "Retrain",
        ),
        (
            "forecast",
            "flows/forecast.py:forecast",
            plan.forecast,
            plan.forecast_cron,
            {"config": plan.forecast_parameters},
            "Forecast",
        ),
        (
            "rerun",
            "flows/run_stage.py:rerun",
            plan.rerun,
            None,
            {"name": RANKING, "config": plan.train_parameters},
            "Rerun one stage, fit (gru-s42-fold-1) or the ranking of the train run",
        ),
    ):
        # called outside an event loop, from_source returns the flow itself (not a coroutine)
        source = cast(Flow, Flow.from_source(source=str(ROOT), entrypoint=entrypoint))
        _quietly(
            source.deploy,
            name=deployment,
            work_pool_name=pool,
            build=False,
            push=False,
            job_variables={"env": plan.env},
            schedules=[schedule_of(cron, timezone)] if cron else [],
            parameters=parameters,
            description=f"{what}: {plan.dataset} (deployed by seqcast deploy)",
            tags=["seqcast", flow_name, plan.dataset],
            enforce_parameter_schema=True,
            print_next_steps=False,
            ignore_warnings=True,
        )
        names.append(f"{flow_name}/{deployment}")
    return names


def _quietly(call, *args, **kwargs):
    """``call`` with Prefect's own console output (a table per deployment) held back: the
    command prints one line per deployment instead. Shown on stderr when the call fails."""
    import contextlib
    import io
    import sys

    held = io.StringIO()
    try:
        with contextlib.redirect_stdout(held):
            return call(*args, **kwargs)
    except BaseException:
        sys.stderr.write(held.getvalue())
        raise


def schedule_of(cron: str, timezone: str = "UTC"):
    """The Prefect schedule of ``cron``. An hourly cron (``M * * * *``) becomes the same
    times as an hourly interval anchored at minute M, which the UI names "Every hour" in
    its deployments list; as a cron it reads "At 5 minutes past the hour every day", which
    is wrong and too long for the list's column (it shows as "+1")."""
    import re
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from prefect.schedules import Cron, Interval

    hourly = re.fullmatch(r"\s*(\d{1,2})\s+\*\s+\*\s+\*\s+\*\s*", cron)
    if hourly and int(hourly.group(1)) < 60:
        anchor = datetime(2024, 1, 1, 0, int(hourly.group(1)), tzinfo=ZoneInfo(timezone))
        return Interval(timedelta(hours=1), anchor_date=anchor, timezone=timezone)
    return Cron(cron, timezone=timezone)


def cron_of(schedule) -> str:
    """A server's schedule as the cron ``seqcast deploy`` takes (an hourly interval as the
    hourly cron it was made from)."""
    cron = getattr(schedule, "cron", None)
    if cron:
        return str(cron)
    interval, anchor = getattr(schedule, "interval", None), getattr(schedule, "anchor_date", None)
    if interval is not None and anchor is not None and interval.total_seconds() == 3600:
        return f"{anchor.minute} * * * *"
    return str(schedule)


def automation_name(dataset: str) -> str:
    return f"seqcast-retrain-{dataset}-on-degradation"


def register_retrain_automation(plan: DeployPlan, mode: str = "refresh") -> str:
    """A Prefect Automation that runs the dataset's train deployment whenever a forecast run
    emits ``seqcast.forecast.degraded`` for it (``tasks/forecast.py``), replacing one of the
    same name. ``mode``: the run's train mode, ``refresh`` (the champion refitted on the
    newest rows, minutes) or ``full`` (a whole train); the replay's ``on-degradation`` and
    ``on-degradation:retrain`` policies measure the two. The forecast flow keeps the cooldown
    (it emits again only after ``LiveConfig.cooldown_hours``, and a refitted version starts
    its live record afresh), so the run cannot loop. Returns the automation's name."""
    from prefect.automations import Automation, EventTrigger, Posture, RunDeployment
    from prefect.client.orchestration import get_client

    from seqcast.evaluation.live import DEGRADED_EVENT

    name = automation_name(plan.dataset)
    with get_client(sync_client=True) as client:
        train = client.read_deployment_by_name(f"train/{plan.train}")
    try:
        # outside an event loop, read returns the automation itself (not a coroutine)
        cast(Automation, Automation.read(name=name)).delete()
    except (ValueError, LookupError):
        pass  # none yet
    except Exception as exc:  # ObjectNotFound and kin
        if "not found" not in str(exc).lower():
            raise
    Automation(
        name=name,
        description=f"{'Refresh' if mode == 'refresh' else 'Retrain'} {plan.dataset} when "
        "its served forecasts degrade "
        "(deployed by seqcast deploy)",
        trigger=EventTrigger(
            expect={DEGRADED_EVENT},
            match={"prefect.resource.id": f"seqcast.dataset.{plan.dataset}"},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[
            RunDeployment(
                source="selected",
                deployment_id=train.id,
                parameters={"config": {**plan.train_parameters, "mode": mode}},
                job_variables=None,
            )
        ],
    ).create()
    return name


def existing(plan: DeployPlan) -> dict[str, str]:
    """The plan's deployments already on the server (``flow/deployment`` -> their schedules
    and parameters in words): registering replaces them, which the command says."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    async def read() -> dict[str, str]:
        found = {}
        async with get_client() as client:
            for name in (
                f"train/{plan.train}",
                f"forecast/{plan.forecast}",
                f"rerun/{plan.rerun}",
            ):
                try:
                    dep = await client.read_deployment_by_name(name)
                except ObjectNotFound:
                    continue
                crons = [
                    f"{cron_of(s.schedule)} ({getattr(s.schedule, 'timezone', None) or 'UTC'})"
                    for s in dep.schedules
                ]
                found[name] = (
                    f"schedule {', '.join(crons) or 'none'}, parameters "
                    f"{dep.parameters.get('config', dep.parameters)}"
                )
        return found

    return asyncio.run(read())


def check_server() -> str:
    """The configured Prefect API; deploying to a temporary server would register nothing."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ConfigError(
            "no Prefect server configured: start one (make server) and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api, then deploy again"
        )
    return url
