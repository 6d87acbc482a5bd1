"""The Prefect UI form and the command line offer the same closed sets of choices: each is an
enum in the form's schema (a dropdown) and the command line's choices, from one Literal."""

from __future__ import annotations

import argparse
from typing import get_args

from seqcast.app.cli import _build_parser
from seqcast.config import TaskRunnerKind
from seqcast.io.paths import STAGES
from seqcast.spec.choices import LongGapAction, LossName, ScalerKind, StepsKind, TargetTransform

CLOSED = {
    "--steps": StepsKind,
    "--scaler": ScalerKind,
    "--on-long-gap": LongGapAction,
    "--loss": LossName,
    "--target-transform": TargetTransform,
    "--task-runner": TaskRunnerKind,
}


def _options(command: str) -> dict[str, argparse.Action]:
    sub = next(
        a for a in _build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ).choices[command]
    return {s: a for a in sub._actions for s in a.option_strings} | {
        a.dest: a for a in sub._actions if not a.option_strings
    }


def test_command_line_choices_are_the_configs_literals():
    """seqcast train offers exactly the values the config accepts, in the same order."""
    train = _options("train")
    for option, literal in CLOSED.items():
        assert tuple(train[option].choices) == get_args(literal), option


def test_run_stage_form_offers_the_stages_as_a_dropdown():
    """The run-stage flow's stage parameter is an enum of the seven stages, in order."""
    from prefect.utilities.callables import parameter_schema

    from flows.run_stage import run_stage

    stage = parameter_schema(run_stage).model_dump()["properties"]["stage"]
    assert (
        stage["enum"]
        == list(STAGES)
        == [
            "ingest",
            "validate",
            "clean",
            "target",
            "split",
            "scale",
            "temporalize",
        ]
    )
    # the command line takes a stage or a fit's name (seqcast run-stage gru-s42-fold-1): its
    # help lists the stages
    assert all(stage in _options("run-stage")["stage"].help for stage in STAGES)


def _train_definitions() -> dict:
    from prefect.utilities.callables import parameter_schema

    from flows.train import train

    return parameter_schema(train).model_dump()


def test_closed_choices_are_dropdowns_and_optional_fields_carry_no_null_type():
    """loss, target_transform, steps, on_long_gap, scaler, task_runner: an enum on the field
    itself (the form's dropdown, not a tab beside 'None'); no optional field but the
    three-state scale_target keeps a null branch or a null default."""
    definitions = _train_definitions()["definitions"]
    fields = {
        (model, name): prop
        for model, d in definitions.items()
        for name, prop in d["properties"].items()
    }
    closed = {
        ("TrainingConfig", "loss"): LossName,
        ("TrainingConfig", "target_transform"): TargetTransform,
        ("TrainConfig", "steps"): StepsKind,
        ("GapPolicy", "on_long_gap"): LongGapAction,
        ("TrainConfig", "scaler"): ScalerKind,
        ("TrainConfig", "task_runner"): TaskRunnerKind,
    }
    for key, literal in closed.items():
        assert fields[key]["enum"] == list(get_args(literal)), key
    nullable = {k for k, p in fields.items() if {"type": "null"} in p.get("anyOf", [])}
    assert nullable == {("TrainConfig", "scale_target")}
    null_default = {k for k, p in fields.items() if "default" in p and p["default"] is None}
    assert null_default == nullable
    assert fields[("TrainConfig", "timesteps")] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "title": "Window length (timesteps)",
        "description": "Past steps each window holds. Empty: the dataset spec's timesteps. "
        "Allowed: at least 1, at most 1000.",
    }


def test_prefect_accepts_the_same_parameters_as_before():
    """Prefect's schema enforcement: an empty field (left out) and an explicit null for a
    non-enum field pass; a value out of bounds or off the enum fails; pydantic still takes
    None for every optional field."""
    from prefect.utilities.schema_tools.validation import validate

    schema = _train_definitions()

    def errors(config: dict) -> list:
        return validate({"config": config}, schema, preprocess=True)

    assert errors({"dataset": "bike-hourly"}) == []
    assert errors({"dataset": "bike-hourly", "timesteps": None, "training": {"seed": 1}}) == []
    assert errors({"dataset": "bike-hourly", "training": {"loss": "mae", "batch_size": None}}) == []
    assert errors({"dataset": "bike-hourly", "training": {"loss": "bogus"}}) != []
    assert errors({"dataset": "bike-hourly", "timesteps": 0}) != []
    from seqcast.config import TrainConfig

    explicit = TrainConfig(
        dataset="bike-hourly", timesteps=None, training={"loss": None}, gaps={"on_long_gap": None}
    )
    assert explicit == TrainConfig(dataset="bike-hourly")
