"""The report's settings table: the value each setting had and where it came from."""

from __future__ import annotations

from seqcast.config import TrainConfig
from seqcast.report.settings import settings_used


def _source(config: TrainConfig) -> dict[str, tuple[str, str]]:
    return {name: (value, source) for name, value, source in settings_used(config)}


def test_a_setting_left_alone_reads_as_the_default():
    """scaler, seed and units unset: 'default', also when passed with their default value
    (as the command line passes --scaler's default) or after a round trip through a dump."""
    unset = TrainConfig(dataset="bike-hourly")
    passed = TrainConfig(dataset="bike-hourly", scaler="minmax", training={"seed": 42})
    dumped = TrainConfig(**unset.model_dump())
    for config in (unset, passed, dumped):
        rows = _source(config)
        assert rows["scaler"] == ("minmax", "default")
        assert rows["seed"] == ("42", "default")
        assert rows["units"] == ("32", "default")


def test_a_setting_the_dataset_fills_reads_as_the_dataset_default():
    """bike-hourly's timesteps 24 and batch size 64: the dataset's, set or not."""
    for config in (
        TrainConfig(dataset="bike-hourly"),
        TrainConfig(dataset="bike-hourly", timesteps=24, training={"batch_size": 64}),
    ):
        rows = _source(config)
        assert rows["timesteps"] == ("24", "dataset default (bike-hourly)")
        assert rows["batch_size"] == ("64", "dataset default (bike-hourly)")
        assert rows["loss"][1] == "dataset default (bike-hourly)"


def test_a_setting_changed_for_the_run_reads_as_set_for_this_run():
    """scaler standard, seed 7, timesteps 12, folds 3: each 'set for this run'."""
    rows = _source(
        TrainConfig(
            dataset="bike-hourly",
            scaler="standard",
            timesteps=12,
            training={"seed": 7},
            selection={"folds": 3},
        )
    )
    assert rows["scaler"] == ("standard", "set for this run")
    assert rows["seed"] == ("7", "set for this run")
    assert rows["timesteps"] == ("12", "set for this run")
    assert rows["folds"] == ("3", "set for this run")
    assert rows["horizon"] == ("24", "dataset default (bike-hourly)")
