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
    assert tuple(_options("run-stage")["stage"].choices) == STAGES
