"""Dataset spec files: loading, the errors a bad spec gets, the general time index (steps,
grid, calendar) and the schemas generated from a spec."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from schemas import SCHEMA_VERSION, raw_schema
from seqcast.config import PrepareConfig
from seqcast.data.stage_keys import stage_keys
from seqcast.data.synthetic import rows_from_spec
from seqcast.data.validate import validate_frame
from seqcast.errors import ConfigError, DataError
from seqcast.spec.dataset import TimeIndexSpec, builtin_names, calendar_names, get_spec, load_spec
from seqcast.spec.timeindex import calendar, steps_from_raw, times_of
from tests.conftest import SPEC_FIXTURES

SPECS = SPEC_FIXTURES
DAILY = SPECS / "daily-sales.toml"


def test_builtin_specs_load_by_name():
    """The two built-in datasets are spec files shipped with the package."""
    assert builtin_names() == ["bike-hourly", "weekly-temperature"]
    bike = get_spec("bike-hourly")
    assert (bike.time_index.kind, bike.time_index.columns) == ("date-hour", ("Date", "Hour"))
    assert bike.key_columns == ["Date", "Hour"]
    assert get_spec("weekly-temperature").time_index.weeks_per_year == 53
    assert Path(bike.sample_file).is_file()  # relative to the spec file, not to the cwd


def test_spec_path_loads_a_user_spec_and_names_its_folder():
    spec = get_spec(str(DAILY))
    assert spec.name == "daily-sales"
    assert spec.feature_names == [
        "units",
        "price",
        "promoted",
        "dow_sin",
        "dow_cos",
        "doy_sin",
        "doy_cos",
    ]


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _edited(old: str, new: str) -> str:
    text = DAILY.read_text()
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ('name = "daily-sales"', 'name = "../evil"', "name", "pattern"),
        ('name = "daily-sales"', 'name = "Daily Sales"', "name", "pattern"),
        (
            'value_features = ["units", "price"]',
            'value_features = ["units", "cost"]',
            "(top level)",
            "value_features: ['cost'] not among the declared columns",
        ),
        (
            'frequency = "daily"',
            'frequency = "fortnightly"',
            "time_index.frequency",
            "unknown frequency 'fortnightly'",
        ),
        (
            'covariates = ["dow_sin", "dow_cos"]',
            'covariates = ["hour_sin"]',
            "(top level)",
            "covariates: ['hour_sin'] not meaningful for a daily index",
        ),
        (
            'covariates = ["dow_sin", "dow_cos"]',
            'covariates = ["dow_sin", "dow_cos5"]',
            "(top level)",
            "['dow_cos5'] not meaningful for a daily index; choose from ['dow_sin', 'dow_cos', "
            "'doy_sin', 'doy_cos', 'month_sin', 'month_cos'] (a trailing 2 or 3 names that "
            "harmonic",
        ),
        (
            'target = "units"',
            'target = "promotion"',
            "(top level)",
            "target 'promotion' must be one of the value_features",
        ),
        (
            "min = 0.5\n",
            'min = 0.5\nallowed = ["x"]\n',
            "columns[2]",
            "allowed values need kind 'category'",
        ),
        ("horizon = 1", "horizon = 0", "horizon", "greater than or equal to 1"),
        ("horizon = 1", "horizon = 1\nhorizn = 2", "horizn", "Extra inputs"),
    ],
)
def test_bad_spec_names_the_file_and_the_field(tmp_path, old, new, field, message):
    """Every fault in a spec file is a ConfigError naming the file, the field and the fault."""
    path = _write(tmp_path, _edited(old, new))
    with pytest.raises(ConfigError) as err:
        load_spec(path)
    text = str(err.value)
    assert str(path) in text and f"{field}:" in text and message in text, text


def test_invalid_toml_and_unknown_dataset_are_clear_errors(tmp_path):
    path = _write(tmp_path, "name = 'x\n")
    with pytest.raises(ConfigError, match=r"s\.toml is not valid TOML"):
        load_spec(path)
    with pytest.raises(ConfigError, match=r"unknown dataset 'bikes'.*bike-hourly"):
        get_spec("bikes")
    with pytest.raises(ConfigError, match="not found"):
        get_spec(str(tmp_path / "missing.toml"))


def test_specs_dir_confines_spec_paths(tmp_path, monkeypatch):
    """Where SEQCAST_SPECS_DIR is set (the deployments), a spec must lie inside it."""
    inside = tmp_path / "specs"
    inside.mkdir()
    _write(inside, DAILY.read_text(), "daily.toml")
    monkeypatch.setenv("SEQCAST_SPECS_DIR", str(inside))
    assert get_spec("daily.toml").name == "daily-sales"
    with pytest.raises(ConfigError, match="outside the specs directory"):
        get_spec(str(DAILY))
    assert get_spec("bike-hourly").name == "bike-hourly"  # built-ins stay available


def test_an_edited_spec_file_is_read_again(tmp_path):
    path = _write(tmp_path, DAILY.read_text())
    assert load_spec(path).horizon == 1
    path.write_text(_edited("horizon = 1", "horizon = 3"))
    import os

    os.utime(path, ns=(1, 10**18))  # a new modification time, as an editor gives it
    assert load_spec(path).horizon == 3


def _index(kind="datetime", frequency="daily", columns=("t",), fmt=None) -> TimeIndexSpec:
    return TimeIndexSpec(kind=kind, columns=columns, frequency=frequency, format=fmt)


@pytest.mark.parametrize(
    ("frequency", "times", "steps"),
    [
        ("daily", ["1970-01-01", "1970-01-02", "2020-01-01"], [0, 1, 18262]),
        ("hourly", ["1970-01-01 00:00", "1970-01-01 05:00", "1970-01-02 00:00"], [0, 5, 24]),
        ("15min", ["1970-01-01 00:00", "1970-01-01 00:45", "1970-01-01 01:00"], [0, 3, 4]),
        # 1970-01-01 was a Thursday: the first Monday is 5 January, the first Thursday the 1st
        ("weekly", ["1970-01-05", "1970-01-12", "1970-12-28"], [0, 1, 51]),
        ("weekly-thu", ["1970-01-01", "1970-01-08", "1970-01-15"], [0, 1, 2]),
        ("monthly", ["1970-01-01", "1970-02-01", "1971-03-01"], [0, 1, 14]),
    ],
)
def test_steps_and_times_round_trip(frequency, times, steps):
    """Each frequency counts its periods from 1970-01-01; a step's time is its period's start."""
    ti = _index(frequency=frequency)
    spec = get_spec(str(DAILY)).model_copy(update={"time_index": ti})
    frame = pd.DataFrame({"t": times})
    assert steps_from_raw(frame, spec, "f.csv").tolist() == steps
    assert [str(t) for t in times_of(np.array(steps), ti)] == [str(pd.Timestamp(t)) for t in times]


@pytest.mark.parametrize(
    ("frequency", "times", "check", "line"),
    [
        ("hourly", ["2020-01-01 00:00", "2020-01-01 01:30"], "off the hourly grid", 3),
        ("weekly", ["2020-01-06", "2020-01-14"], "off the weekly grid", 3),  # a Tuesday
        ("daily", ["2020-01-01 12:00", "2020-01-02"], "off the daily grid", 2),
        ("monthly", ["2020-01-01", "2020-01-15"], "two rows in one monthly period", 2),
        ("daily", ["2020-01-01", "yesterday"], "not a date/time in ISO 8601", 3),
    ],
)
def test_rows_off_the_grid_are_reported_with_their_file_line(frequency, times, check, line):
    spec = get_spec(str(DAILY)).model_copy(update={"time_index": _index(frequency=frequency)})
    with pytest.raises(DataError) as err:
        steps_from_raw(pd.DataFrame({"t": times}), spec, "sales.csv")
    problem = err.value.problems[0]
    assert "sales.csv" in str(err.value)
    assert problem.check == check and problem.examples[0].startswith(f"line {line}:")


def test_prepared_data_keys_ignore_training_defaults_but_not_data_fields(tmp_path):
    """Editing a spec's ``[training]`` or description keeps every stage key (the data is not
    prepared again; the fits' own keys hold the training settings); a data field changes
    them from the stage that reads it."""
    text = (SPECS / "daily-sales.toml").read_text()

    def keys(new_text: str, name: str) -> dict[str, str]:
        path = tmp_path / name
        path.write_text(new_text)
        return stage_keys(PrepareConfig(dataset=str(path)), "0" * 64, SCHEMA_VERSION)

    base = keys(text, "a.toml")
    assert "max_epochs = 50" in text and 'description = "Synthetic' in text
    edited = text.replace("max_epochs = 50", "max_epochs = 7").replace(
        'description = "Synthetic', 'description = "Edited'
    )
    assert keys(edited, "b.toml") == base
    other = keys(text.replace("max = 5000", "max = 6000"), "c.toml")
    assert "max = 5000" in text
    assert all(other[s] != base[s] for s in base)


def test_calendar_features_follow_the_frequency():
    """Hourly data has hour of day; daily, day of week and of year; monthly, month of year."""
    assert calendar_names(_index(frequency="hourly"))[:2] == ["hour_sin", "hour_cos"]
    assert "hour_sin" not in calendar_names(_index(frequency="daily"))
    assert calendar_names(_index(frequency="monthly")) == ["month_sin", "month_cos"]
    # 1970-01-05 is a Monday (dow 0), 1970-01-08 a Thursday (dow 3 of 7)
    got = calendar(np.array([4, 7]), _index(frequency="daily"), ["dow_sin", "dow_cos"])
    assert np.allclose(got["dow_sin"], [0.0, np.sin(2 * np.pi * 3 / 7)])
    assert np.allclose(got["dow_cos"], [1.0, np.cos(2 * np.pi * 3 / 7)])
    # April is month 3 of 12 counted from 0: a quarter of the way round
    april = calendar(np.array([3]), _index(frequency="monthly"), ["month_sin"])
    assert np.allclose(april["month_sin"], [1.0])


def test_calendar_harmonics_go_round_k_times_a_cycle():
    """``month_cos2`` is cos(2 * 2 pi * phase): April (a quarter of the year) is half way
    round the second harmonic and three quarters round the third."""
    names = ["month_sin2", "month_cos2", "month_sin3", "month_cos3"]
    april = calendar(np.array([3]), _index(frequency="monthly"), names)
    assert np.allclose([april[n][0] for n in names], [0.0, -1.0, -1.0, 0.0])
    assert "month_sin2" not in calendar_names(_index(frequency="monthly"))
    assert "month_sin2" in calendar_names(_index(frequency="monthly"), harmonics=True)
    with pytest.raises(ValueError, match="month_sin4"):
        calendar(np.array([3]), _index(frequency="monthly"), ["month_sin4"])


def test_generated_raw_schema_reports_user_spec_columns():
    """A user spec's own checks (range, whole number, allowed values, date format) are
    reported like the built-ins', with the file line and the time key."""
    spec = get_spec(str(DAILY))
    frame = rows_from_spec(spec, 6, seed=1).astype({"units": object, "promotion": object})
    assert validate_frame(frame, raw_schema(spec), spec.key_columns).problems == []
    frame.loc[1, "units"] = 2.5
    frame.loc[2, "promotion"] = "maybe"
    frame.loc[3, "day"] = "03/01/2020"
    problems = validate_frame(frame, raw_schema(spec), spec.key_columns).problems
    found = {(p.column, p.check.split(" (")[0]) for p in problems}
    assert found == {
        ("units", "not a whole number"),
        ("promotion", "not an allowed value"),
        ("day", "wrong format"),
    }
    units = next(p for p in problems if p.column == "units")
    assert units.examples[0].startswith("line 3 (day=2020-01-07)")


def test_data_off_the_declared_frequency_points_at_the_spec_field():
    """Hourly rows under a daily spec: the file lines, and the spec field that disagrees."""
    spec = get_spec(str(DAILY))
    rows = rows_from_spec(spec, 5).assign(
        day=pd.date_range("2020-01-01", periods=5, freq="h").strftime("%Y-%m-%d %H:%M")
    )
    with pytest.raises(DataError) as err:
        steps_from_raw(rows, spec, "sales.csv")
    assert err.value.problems[0].check == "off the daily grid"
    assert "spec 'daily-sales' declares time_index.frequency = 'daily'" in err.value.hint


def test_a_column_the_file_lacks_points_at_the_spec():
    from seqcast.data.ingest import read_table

    spec = get_spec(str(DAILY))
    content = rows_from_spec(spec, 5).drop(columns=["price"]).to_csv(index=False).encode()
    with pytest.raises(DataError) as err:
        read_table(content, "sales.csv", spec)
    assert [(p.column, p.check) for p in err.value.problems] == [
        ("price", "required column is missing")
    ]
    assert "spec 'daily-sales' declares ['price'] in [[columns]]" in err.value.hint


@pytest.mark.slow
def test_a_run_keeps_the_spec_it_started_with(tmp_path, prefect_server):
    """A config reads its spec once, when it is made: a spec file edited while the run goes
    on changes nothing inside it (subflows and process workers get the same spec too)."""
    import os
    import pickle

    from prefect import flow

    path = _write(tmp_path, DAILY.read_text())

    @flow
    def inner(cfg: PrepareConfig) -> int:
        return cfg.spec.horizon

    @flow
    def outer(cfg: PrepareConfig) -> tuple[int, int]:
        path.write_text(_edited("horizon = 1", "horizon = 4"))
        os.utime(path, ns=(1, 10**18))
        return inner(cfg), pickle.loads(pickle.dumps(cfg)).spec.horizon

    assert outer(PrepareConfig(dataset=str(path))) == (1, 1)
    assert PrepareConfig(dataset=str(path)).spec.horizon == 4  # a new run reads the new file
