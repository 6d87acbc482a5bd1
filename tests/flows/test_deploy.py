"""seqcast deploy: a dataset's train and forecast deployments registered through Prefect's
Python API, with the spec's folder as the runs' specs directory."""

from __future__ import annotations

import asyncio

import pytest

from seqcast.app.cli import main
from seqcast.app.deployments import ROOT, plan_deployments
from tests.conftest import SPEC_FIXTURES

pytestmark = pytest.mark.usefixtures("prefect_server")

DAILY = SPEC_FIXTURES / "daily-sales.toml"


async def _deployment(name: str):
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return await client.read_deployment_by_name(name)


def test_plan_for_a_builtin_and_for_a_spec_file():
    bike = plan_deployments("bike-hourly")
    assert (bike.parameter, bike.train, bike.forecast) == (
        "bike-hourly",
        "train-bike-hourly",
        "forecast-bike-hourly",
    )
    assert "SEQCAST_SPECS_DIR" not in bike.env
    daily = plan_deployments(str(DAILY))
    assert daily.parameter == "daily-sales.toml"
    assert daily.env["SEQCAST_SPECS_DIR"] == str(DAILY.parent)
    assert daily.env["SEQCAST_OUTPUT_ROOT"] == str(ROOT / "outputs")
    # known-future values cannot be given by a schedule: no forecast schedule, and it says so
    assert daily.forecast_cron is None and "known-future" in daily.notes[0]


def test_deploy_command_registers_the_three_deployments(capsys):
    assert main(["deploy", "--dataset", str(DAILY), "--timezone", "Asia/Seoul"]) == 0
    out = capsys.readouterr().out
    assert "deployed: train/train-daily-sales  cron '0 3 * * *' (Asia/Seoul)" in out
    assert "deployed: forecast/forecast-daily-sales  no schedule" in out
    train = asyncio.run(_deployment("train/train-daily-sales"))
    assert train.parameters == {"config": {"dataset": "daily-sales.toml", "out": "."}}
    assert train.job_variables["env"]["SEQCAST_SPECS_DIR"] == str(DAILY.parent)
    assert train.work_pool_name == "seqcast-process"
    assert [s.schedule.cron for s in train.schedules] == ["0 3 * * *"]
    assert train.schedules[0].schedule.timezone == "Asia/Seoul"
    forecast = asyncio.run(_deployment("forecast/forecast-daily-sales"))
    assert forecast.schedules == [] and forecast.entrypoint == "flows/forecast.py:forecast"
    # one stage, fit or the ranking, rerun from the UI with the train runs' settings
    assert "deployed: rerun/rerun-daily-sales  no schedule (run it from the UI" in out
    rerun = asyncio.run(_deployment("rerun/rerun-daily-sales"))
    assert rerun.entrypoint == "flows/run_stage.py:rerun" and rerun.schedules == []
    assert rerun.parameters == {"name": "ranking", "config": train.parameters["config"]}


def test_deploy_refuses_a_bad_spec(capsys, tmp_path):
    assert main(["deploy", "--dataset", str(tmp_path / "none.toml")]) == 2
    assert "not found" in capsys.readouterr().err


def test_deployments_run_from_the_project_root():
    """A worker runs the flow from the project root (the entrypoints and samples live there)."""
    main(["deploy", "--dataset", "weekly-temperature"])
    train = asyncio.run(_deployment("train/train-weekly-temperature"))
    assert train.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
    ]


def test_training_options_become_the_deployments_default_parameters(capsys):
    """Options given to deploy are what scheduled runs use; '' leaves a flow unscheduled."""
    argv = ["deploy", "--dataset", "weekly-temperature", "--out", "nightly", "--variants", "gru"]
    assert main([*argv, "--max-epochs", "3", "--train-cron", "", "--forecast-cron", ""]) == 0
    out = capsys.readouterr().out
    assert "deployed: train/train-weekly-temperature  no schedule" in out
    train = asyncio.run(_deployment("train/train-weekly-temperature"))
    assert train.parameters == {
        "config": {
            "dataset": "weekly-temperature",
            "out": "nightly",
            "variants": ["gru"],
            "training": {"max_epochs": 3},
        }
    }
    assert train.schedules == []
    forecast = asyncio.run(_deployment("forecast/forecast-weekly-temperature"))
    assert forecast.parameters == {"config": {"dataset": "weekly-temperature", "out": "nightly"}}


def test_deploy_refuses_a_bad_option_before_registering(capsys):
    """A training option out of bounds is refused by the config, naming it."""
    assert main(["deploy", "--dataset", "weekly-temperature", "--max-epochs", "0"]) == 2
    err = capsys.readouterr().err
    assert "--max-epochs: Input should be greater than or equal to 1 (got 0)" in err


def test_deploy_says_which_deployment_it_replaced(capsys):
    """Registering over a deployment of the same name (say one from prefect.yaml) says so,
    with the schedule and parameters it had."""
    argv = ["deploy", "--dataset", "bike-hourly", "--forecast-cron", ""]
    assert main([*argv, "--train-cron", "30 2 * * *", "--timezone", "Asia/Seoul"]) == 0
    capsys.readouterr()
    assert main([*argv, "--out", "other"]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("deployed: train/train-bike-hourly  cron '0 3 * * *' (UTC)")
    # the retrain automation is replaced too, never doubled, and runs the train deployment
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        (auto,) = client.read_automations_by_name("seqcast-retrain-bike-hourly-on-degradation")
        train = client.read_deployment_by_name("train/train-bike-hourly")
    assert auto.trigger.expect == {"seqcast.forecast.degraded"}
    assert [a.deployment_id for a in auto.actions] == [train.id]
    # it refreshes the champion by default, with the deployment's own parameters
    assert auto.actions[0].parameters == {
        "config": {"dataset": "bike-hourly", "out": "other", "mode": "refresh"}
    }
    assert lines[at + 1] == (
        "  replaced the deployment of that name, which had schedule 30 2 * * * (Asia/Seoul), "
        "parameters {'dataset': 'bike-hourly', 'out': '.'}"
    )
