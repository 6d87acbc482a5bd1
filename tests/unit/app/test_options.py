"""The command line's defaults come from the typed config: an option's default and the
``(default: ...)`` its help shows are the config field's own, so they cannot drift apart."""

from __future__ import annotations

import re

from seqcast.app.cli import _build_parser
from seqcast.config import PrepareConfig, TrainConfig
from seqcast.config.model_settings import TrainingConfig, VariantConfig


def _help_of(parser, command: str, option: str) -> tuple[str, object]:
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    action = next(a for a in sub._actions if option in a.option_strings)
    return action.help, action.default


def test_each_shown_default_is_the_config_fields_default():
    parser = _build_parser()
    expected = {
        "--units": VariantConfig.model_fields["units"].default,
        "--layers": VariantConfig.model_fields["layers"].default,
        "--dropout": VariantConfig.model_fields["dropout"].default,
        "--dense-units": VariantConfig.model_fields["dense_units"].default,
        "--seed": TrainingConfig.model_fields["seed"].default,
        "--scaler": PrepareConfig.model_fields["scaler"].default,
        "--task-runner": TrainConfig.model_fields["task_runner"].default,
        "--mode": TrainConfig.model_fields["mode"].default,
    }
    for option, value in expected.items():
        text, _ = _help_of(parser, "train", option)
        shown = re.search(r"\(default: ([^)]*)\)", " ".join(text.split())).group(1)
        assert shown == str(value), option
    levels, _ = _help_of(parser, "train", "--levels")
    default_levels = TrainConfig.model_fields["interval_levels"].default
    assert f"(default: {','.join(map(str, default_levels))})" in levels


def test_an_options_parsed_default_is_the_config_fields_default():
    parser = _build_parser()
    for option, (model, field) in {
        "--scaler": (PrepareConfig, "scaler"),
        "--task-runner": (TrainConfig, "task_runner"),
        "--mode": (TrainConfig, "mode"),
    }.items():
        _, default = _help_of(parser, "train", option)
        assert default == model.model_fields[field].default, option
