"""The typed run config: dataset defaults, overrides, and values rejected before any work."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from seqcast.config import PrepareConfig, TrainConfig
from seqcast.report.settings import loss_label


def test_dataset_defaults_fill_unset_fields():
    """Unset timesteps, horizon, target scaling and training settings come from the spec."""
    bike = TrainConfig(dataset="bike-hourly")
    assert (bike.resolved_timesteps, bike.resolved_horizon, bike.resolved_scale_target) == (
        24,
        24,
        True,
    )
    assert bike.resolved_steps == list(range(1, 25))
    single = TrainConfig(dataset="bike-hourly", horizon=2, steps="last")
    assert single.resolved_steps == [2]
    assert bike.resolved_variant.learning_rate == 0.003
    assert (bike.resolved_training.max_epochs, bike.resolved_training.batch_size) == (100, 64)
    temp = TrainConfig(dataset="weekly-temperature", training={"max_epochs": 5})
    assert (temp.resolved_timesteps, temp.resolved_horizon, temp.resolved_scale_target) == (
        4,
        4,
        True,
    )
    assert temp.resolved_training.max_epochs == 5 and temp.resolved_training.patience == 30


def test_sweep_gives_one_prepare_config_per_window_length():
    """timesteps_sweep (4, 8) prepares the data twice, once per length."""
    cfg = TrainConfig(dataset="weekly-temperature", timesteps_sweep=(4, 8))
    assert [c.timesteps for c in cfg.prepare_configs()] == [4, 8]
    assert all(type(c) is PrepareConfig for c in cfg.prepare_configs())


@pytest.mark.parametrize(
    "fields",
    [
        {"timesteps": 0},
        {"horizon": -1},
        {"scaler": "robust"},
        {"gaps": {"max_fill_steps": -1}},
        {"variants": ("transformer",)},
        {"variants": ("lstm", "lstm")},
        {"task_runner": "dask"},
        {"dask_address": "not an address", "task_runner": "dask"},
        {"workers": 0},
        {"training": {"seed": -1}},
        {"variant": {"dropout": 1.0}},
        {"timesteps_sweep": (4, 0)},
        {"references": ("prophet",)},
        {"references": ("ridge", "ridge")},
    ],
)
def test_out_of_range_values_are_rejected(fields):
    """Each bad value fails validation of the config itself."""
    with pytest.raises(ValidationError):
        TrainConfig(dataset="weekly-temperature", **fields)


def test_loss_label_names_the_loss_and_the_units_trained_on():
    """The learning curves' title says what the loss is measured on."""
    from seqcast.config import TrainConfig

    bike = TrainConfig(dataset="bike-hourly")
    assert loss_label(bike) == "MAE of the standardised log(1 + Rented Bike Count)"
    plain = TrainConfig(dataset="bike-hourly", training={"target_transform": "none"})
    assert loss_label(plain) == "MAE of the minmax-scaled Rented Bike Count"
    assert loss_label(TrainConfig(dataset="weekly-temperature")) == (
        "MSE of the minmax-scaled AvgTemp"
    )
    assert loss_label(TrainConfig(dataset="weekly-temperature", scale_target=False)) == (
        "MSE of AvgTemp in °C"
    )
    # the label every chart, table and the console use for the target
    assert TrainConfig(dataset="weekly-temperature").spec.target_label == "AvgTemp (°C)"
    assert TrainConfig(dataset="bike-hourly").spec.target_label == "Rented Bike Count"


def test_interval_levels_are_checked_and_sorted():
    import pytest
    from pydantic import ValidationError

    assert TrainConfig(dataset="bike-hourly", interval_levels=(0.95, 0.8)).interval_levels == (
        0.8,
        0.95,
    )
    with pytest.raises(ValidationError, match="strictly between 0 and 1"):
        TrainConfig(dataset="bike-hourly", interval_levels=(0.8, 1.0))


def test_require_deep_is_off_unless_asked_on_the_command_line():
    """By default a run always promotes something (the fallback); --require-deep restores
    the strict rule, and the config (the UI form) carries it."""
    from seqcast.app.cli import _build_parser
    from seqcast.app.options import _train_config

    parser = _build_parser()
    plain = _train_config(parser.parse_args(["train", "--dataset", "weekly-temperature"]))
    assert plain.resolved_selection.require_deep is False
    strict = _train_config(
        parser.parse_args(["train", "--dataset", "weekly-temperature", "--require-deep"])
    )
    assert strict.resolved_selection.require_deep is True
    assert (
        TrainConfig.model_json_schema()["$defs"]["SelectionConfig"]["properties"]["require_deep"][
            "title"
        ]
        == "Require a deep champion"
    )


def test_references_are_a_setting_with_persistence_always_fitted():
    """Unset: every reference, in the catalog's order; a list: those, persistence added,
    in the catalog's order; the spec's [training] list is the default; the command line's
    --references reaches the config, and a misspelt name is refused naming the choices."""
    from seqcast.app.cli import _build_parser
    from seqcast.app.options import _train_config
    from seqcast.errors import ConfigError
    from seqcast.models import catalog

    every = TrainConfig(dataset="weekly-temperature").resolved_references
    assert every == catalog.references()
    chosen = TrainConfig(dataset="weekly-temperature", references=("theta", "ridge"))
    assert chosen.resolved_references == ("persistence", "ridge", "theta")
    spec = chosen.spec.model_copy(
        update={"training": chosen.spec.training.model_copy(update={"references": ("ets",)})}
    )
    assert TrainConfig(dataset="weekly-temperature").with_spec(spec).resolved_references == (
        "persistence",
        "ets",
    )
    assert chosen.with_spec(spec).resolved_references == ("persistence", "ridge", "theta")

    parser = _build_parser()
    args = ["train", "--dataset", "weekly-temperature", "--references", "ets, arima"]
    assert _train_config(parser.parse_args(args)).resolved_references == (
        "persistence",
        "ets",
        "arima",
    )
    with pytest.raises(
        ConfigError, match=r"--references: Input should be 'persistence'.*\(got 'prophet'\)"
    ):
        _train_config(parser.parse_args([*args[:3], "--references", "ets,prophet"]))


def test_a_rerun_is_matched_to_the_train_run_with_the_same_fit_settings(tmp_path):
    """Fit settings are resolved: an explicit value equal to the dataset's default matches a
    run that left it unset; another value does not, and the error names it and the run; no
    run at all is said so."""
    import json

    from seqcast.errors import ConfigError
    from seqcast.report.run_match import matching_train_run

    run_cfg = TrainConfig(dataset="weekly-temperature", out=str(tmp_path), training={"seed": 1})
    runs = tmp_path / "weekly-temperature" / "runs"
    with pytest.raises(ConfigError, match="no train run of weekly-temperature under"):
        matching_train_run(run_cfg)
    for name, cfg in (("20261201T000000Z-a", run_cfg), ("20261202T000000Z-b", None)):
        (runs / name).mkdir(parents=True)
        manifest = {"spec": run_cfg.spec.model_dump(mode="json")}
        manifest["config"] = (cfg or run_cfg).model_dump(mode="json") | (
            {"mode": "refresh"} if cfg is None else {}
        )
        (runs / name / "manifest.json").write_text(json.dumps(manifest))
    same = run_cfg.model_copy(update={"training": run_cfg.training.model_copy(
        update={"max_epochs": run_cfg.resolved_training.max_epochs})})  # fmt: skip
    assert matching_train_run(same).run_id == "20261201T000000Z-a"  # the refresh is no train
    other = run_cfg.model_copy(update={"training": run_cfg.training.model_copy(
        update={"max_epochs": 7})})  # fmt: skip
    with pytest.raises(ConfigError) as err:
        matching_train_run(other)
    assert "the newest train run, 20261201T000000Z-a, differs in:" in str(err.value)
    assert "training.max_epochs: 7 here, 300 in the run" in str(err.value)


def test_the_fold_layout_comes_from_the_dataset_and_one_fold_is_the_validation_split():
    from seqcast.config.folds import Folds

    bike = TrainConfig(dataset="bike-hourly")
    assert bike.backtest_folds == Folds(4, 0.2)  # the spec: 4 folds spanning from 0.2
    assert TrainConfig(dataset="weekly-temperature").backtest_folds == Folds(2, None)
    assert TrainConfig(dataset="bike-hourly", selection={"fold_start": 0}).backtest_folds == Folds(
        4, None
    )
    # one fold is the validation split: the start share only spreads two or more
    assert TrainConfig(dataset="bike-hourly", selection={"folds": 1}).backtest_folds == Folds(1)
