"""seqcast init-spec: a spec drafted from a CSV, checked against small hand-made files."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from seqcast.app.cli import main
from seqcast.data.draft import draft_spec
from seqcast.spec.dataset import DatasetSpec


def _daily() -> pd.DataFrame:
    days = pd.date_range("2021-03-01", periods=12, freq="D").delete([4, 5])  # a 2-day gap
    return pd.DataFrame(
        {
            "id": range(1, 11),
            "date": days.strftime("%Y-%m-%d"),
            "sales": [10, 12, 9, 14, 20, 18, 11, 13, 15, 17],
            "price": [1.5, 1.5, 1.6, 1.6, 1.4, 1.4, 1.5, 1.5, 1.5, 1.7],
            "shop": ["a", "b"] * 5,
        }
    )


def _spec(text: str) -> DatasetSpec:
    return DatasetSpec.model_validate(tomllib.loads(text))


def test_daily_file_gives_a_loadable_spec_with_ranges_and_categories():
    draft = draft_spec(_daily(), "Shop Sales!", target="sales", horizon=2)
    spec = _spec(draft.text)
    assert spec.name == "shop-sales"
    assert spec.time_index.model_dump(exclude_defaults=True) == {
        "kind": "datetime",
        "columns": ("date",),
        "frequency": "daily",
    }
    assert (spec.target, spec.horizon, spec.seasonal_period) == ("sales", 2, 7)
    assert spec.value_features == ("sales", "price")  # the row id is left out
    sales, shop = spec.column("sales"), spec.column("shop")
    # 9..20, whole numbers: a margin of 10 % of the range (1.1), rounded outwards
    assert (sales.kind, sales.min, sales.max, sales.integral) == ("int", 7, 22, True)
    assert (shop.kind, shop.allowed) == ("category", ("a", "b"))
    assert spec.max_fill_steps == 2  # the longest gap
    assert "the longest gap 2 period(s)" in draft.notes[0]
    assert draft.undecided == []


def test_undecided_target_and_ambiguous_dates_are_said():
    frame = pd.DataFrame(
        {
            "when": ["01/02/2020", "02/02/2020", "03/02/2020", "04/02/2020"],
            "hour": [0, 0, 0, 0],
            "load": [1.0, 2.0, 3.0, 4.0],
        }
    )
    frame = pd.concat([frame.assign(hour=h) for h in range(24)]).sort_values(["when", "hour"])
    draft = draft_spec(frame, "grid")
    spec = _spec(draft.text)
    assert spec.time_index.kind == "date-hour" and spec.time_index.format == "%d/%m/%Y"
    assert any("also as %m/%d/%Y" in u for u in draft.undecided)
    assert any(u.startswith("target: guessed 'load'") for u in draft.undecided)
    assert "#   target: guessed 'load'" in draft.text  # and written into the file


@pytest.mark.parametrize(
    ("times", "frequency", "season"),
    [
        (pd.date_range("2020-01-01", periods=30, freq="15min"), "15min", 96),
        (pd.date_range("2020-01-01", periods=30, freq="h"), "hourly", 24),
        (pd.date_range("2020-01-05", periods=30, freq="7D"), "weekly-sun", 52),
        (pd.date_range("2015-01-01", periods=30, freq="MS"), "monthly", 12),
        (pd.date_range("2010-01-01", periods=30, freq="QS"), "quarterly", 4),
        (pd.date_range("1990-01-01", periods=30, freq="YS"), "yearly", 1),
    ],
)
def test_frequency_and_season_come_from_the_spacing(times, frequency, season):
    frame = pd.DataFrame({"t": times.strftime("%Y-%m-%d %H:%M"), "v": range(30)})
    spec = _spec(draft_spec(frame, "x", target="v").text)
    assert (spec.time_index.frequency, spec.seasonal_period) == (frequency, season)


def test_year_and_week_columns_give_a_year_week_index():
    frame = pd.DataFrame({"year": [2020] * 53, "week": range(1, 54), "temp": range(53)})
    spec = _spec(draft_spec(frame, "w", target="temp").text)
    assert spec.time_index.kind == "year-week" and spec.time_index.weeks_per_year == 53


def test_a_file_without_a_time_column_is_refused():
    with pytest.raises(ValueError, match="no time column found"):
        draft_spec(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), "x")


def test_init_spec_command_writes_once_and_says_what_to_check(tmp_path, capsys):
    source = tmp_path / "sales.csv"
    _daily().to_csv(source, index=False)
    spec = tmp_path / "sales.toml"
    argv = ["init-spec", "--source", str(source), "--spec", str(spec)]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == str(spec) and spec.is_file()
    assert any(line.startswith("check: target: guessed") for line in out)
    assert any(line.startswith("next: edit the spec, then seqcast train") for line in out)
    before = spec.read_text()
    assert main(argv) == 2  # never overwritten without --force
    assert "exists; give --force" in capsys.readouterr().err
    assert spec.read_text() == before
    assert main([*argv, "--target", "nope"]) == 2
    assert "target 'nope' is not a number column" in capsys.readouterr().err


def test_init_spec_reads_a_semicolon_file_with_decimal_commas(tmp_path, capsys):
    """A ;-separated file with decimal commas drafts the same spec as its comma copy, and the
    console says how the file was read."""
    comma, semicolon = tmp_path / "sales.csv", tmp_path / "sales-semi.csv"
    _daily().to_csv(comma, index=False)
    _daily().to_csv(semicolon, index=False, sep=";", decimal=",")
    assert "1,5" in semicolon.read_text()
    specs = []
    for source in (comma, semicolon):
        spec = tmp_path / f"{source.stem}.toml"
        argv = ["init-spec", "--source", str(source), "--spec", str(spec), "--name", "sales"]
        assert main([*argv, "--target", "sales"]) == 0
        specs.append(spec.read_text())
    assert specs[0] == specs[1]
    assert "detected: file: ';'-separated, decimal commas, UTF-8" in capsys.readouterr().out


def _weekly_with_gaps(empty: list[int], absent: int | None = None) -> pd.DataFrame:
    """Weeks 1..20 of 2021, AvgTemp = the week number, empty in the ``empty`` weeks; rain 0.5,
    empty in week 5; the ``absent`` week's row left out."""
    weeks = [w for w in range(1, 21) if w != absent]
    return pd.DataFrame(
        {
            "year": 2021,
            "week": weeks,
            "AvgTemp": [float("nan") if w in empty else float(w) for w in weeks],
            "rain": [float("nan") if w == 5 else 0.5 for w in weeks],
        }
    )


def _clean_with(spec: DatasetSpec, frame: pd.DataFrame):
    from seqcast.data.clean import clean

    return clean(
        frame,
        spec,
        max_fill_steps=spec.max_fill_steps,
        on_long_gap=spec.on_long_gap,
        source="w.csv",
    )


def test_empty_cells_count_as_missing_values_and_short_runs_are_filled():
    """Empty cells and an absent week make runs of 1, 2, 4 and 2 weeks: the 4 weeks from week
    12 are reported; filling a quarter of the 8-week window (2) would drop 9 of 12 windows, so
    the fill rises to 4 (half the window) and clean fills every cell under the drafted spec."""
    frame = _weekly_with_gaps([3, 7, 8, 12, 13, 14, 15, 19], absent=18)
    draft = draft_spec(frame, "w", target="AvgTemp")
    spec = _spec(draft.text)
    assert (spec.timesteps, spec.max_fill_steps, spec.on_long_gap) == (8, 4, "fail")
    got = _clean_with(spec, frame)
    assert not got.frame["gap"].any()
    assert got.report["filled_cells_by_column"] == {"AvgTemp": 9, "rain": 2}
    assert "1 missing period(s), the longest gap 1 period(s)" in draft.notes[0]
    assert (
        "empty cells: 'AvgTemp' 8, 'rain' 1; the longest run of missing steps (absent periods "
        "included) 4, in 'AvgTemp' from 2021-03-19 (year 2021, week 12)"
    ) in draft.notes
    assert not [u for u in draft.undecided if u.startswith("on_long_gap")]
    assert "Every run is interpolated" in draft.text


def test_a_run_longer_than_half_the_window_drops_its_windows():
    """A 6-week run (weeks 11-16) is more than half the 8-week window: runs up to 2 weeks are
    filled, the 6 weeks stay missing and flagged, and the 10 of 12 windows touching them are
    counted against filling all 6 (a horizon of 1, whose windows are counted below)."""
    frame = _weekly_with_gaps([3, 7, 8, 11, 12, 13, 14, 15, 16])
    draft = draft_spec(frame, "w", target="AvgTemp", horizon=1)
    spec = _spec(draft.text)
    assert (spec.max_fill_steps, spec.on_long_gap) == (2, "drop-windows")
    got = _clean_with(spec, frame)
    gap_weeks = got.frame.loc[got.frame["gap"], "step"] - 2021 * 52 + 1
    assert gap_weeks.tolist() == [11, 12, 13, 14, 15, 16]
    assert got.report["filled_cells_by_column"] == {"AvgTemp": 3, "rain": 1}
    # windows end at weeks 8..19 (12); those whose 8 inputs or target touch weeks 11-16: 10
    assert (
        "on_long_gap: 1 run(s) of missing values longer than max_fill_steps = 2 stay missing "
        "and drop 10 of 12 windows; max_fill_steps = 6 drops none"
    ) in draft.undecided
    assert "from 2021-03-12 (year 2021, week 11)" in draft.notes[-1]


def _monthly(level: np.ndarray) -> pd.DataFrame:
    months = pd.date_range("2000-01-01", periods=len(level), freq="MS")
    return pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "sales": level})


def test_a_trending_series_is_drafted_with_differencing_and_an_open_upper_bound():
    """Ten years of monthly sales rising 2 a month with a 12-month season and noise: the
    trend test proposes the difference transform, says why in a comment, and leaves the
    upper bound open (next year's rows exceed this file's maximum); noise around a fixed
    level is drafted as before (counts: log1p, both bounds)."""
    rng = np.random.default_rng(0)
    t = np.arange(120)
    rising = np.round(100 + 2 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 3, 120))
    draft = draft_spec(_monthly(rising), "sales", target="sales")
    spec = _spec(draft.text)
    assert spec.training.target_transform == "difference"
    assert spec.column("sales").max is None and spec.column("sales").min is not None
    assert "# target_transform: after removing the 12-period seasonal profile, ADF p" in draft.text
    assert any("proposed target_transform = 'difference'" in n for n in draft.notes)
    flat = np.round(100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 3, 120))
    level = _spec(draft_spec(_monthly(flat), "sales", target="sales").text)
    assert level.training.target_transform == "log1p"
    assert level.column("sales").max is not None


def test_a_series_whose_swing_grows_with_its_level_is_drafted_with_normalize():
    """Ten years of monthly sales growing 1.5 % a month with a season and noise in proportion
    to the level (a multiplicative season): the swing of the newest years is several times
    that of the first, so the draft proposes the change in units of the window's spread and
    says why; the additive trend above keeps the plain difference (its swing does not grow)."""
    from seqcast.data.trend import swing_follows_level

    rng = np.random.default_rng(0)
    t = np.arange(120)
    level = 100 * np.exp(0.015 * t)
    growing = np.round(level * (1 + 0.2 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.02, 120)))
    draft = draft_spec(_monthly(growing), "sales", target="sales")
    assert _spec(draft.text).training.target_transform == "normalize"
    assert "the swing follows the level: the standard deviation within each 12-period" in (
        " ".join(draft.text.split())
    )
    additive = 100 + 2 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 3, 120)
    assert swing_follows_level(additive, 12) == ""
    assert swing_follows_level(growing[:60], 12) == ""  # five blocks: too few to say


@pytest.mark.parametrize(
    ("freq", "periods", "frequency", "horizon"),
    [
        ("h", 24 * 60, "hourly", 24),
        ("D", 400, "daily", 14),
        ("7D", 260, "weekly-mon", 4),
        ("MS", 240, "monthly", 12),
        ("QS", 120, "quarterly", 8),
        ("YS", 60, "yearly", 4),
        ("MS", 60, "monthly", 6),  # too short for a year ahead: said so
    ],
)
def test_the_horizon_is_drafted_from_the_frequency(freq, periods, frequency, horizon):
    """A day of hours, two weeks of days, four weeks, a year of months, eight quarters, four
    years; 60 months are too short for 12 (a validation split of 12 months scores 2 h - 1
    rows), so 6, and the notes say why; a horizon given is kept. (The series repeats every 7
    periods: on daily data its seasonal profile explains every value, which the trend test
    must take without failing.)"""
    times = pd.date_range("2001-01-01", periods=periods, freq=freq)
    frame = pd.DataFrame({"t": times.strftime("%Y-%m-%d %H:%M"), "v": np.arange(periods) % 7})
    draft = draft_spec(frame, "x", target="v")
    spec = _spec(draft.text)
    assert (spec.time_index.frequency, spec.horizon) == (frequency, horizon)
    assert spec.steps == "all" and f"forecast the next {horizon} step(s)" in spec.description
    (note,) = [n for n in draft.notes if n.startswith(f"horizon {horizon}")]
    assert ("too short" in note) is (periods == 60 and freq == "MS")
    assert _spec(draft_spec(frame, "x", target="v", horizon=3).text).horizon == 3


def test_text_columns_become_flags_or_are_left_out_with_the_reason():
    """'weather' (clear 5, mist 3, rain 2) becomes two flags, clear the baseline; 'holiday'
    (no 9, yes 1) one flag for the rarer 'yes'; 'station' (one value) and 'code' (10 values)
    are left out, each said why; the drafted spec loads and feeds the flags to the models."""
    days = pd.date_range("2021-01-01", periods=10, freq="D")
    frame = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "rides": [10, 12, 9, 14, 20, 18, 11, 13, 15, 17],
            "weather": ["clear"] * 5 + ["mist"] * 3 + ["rain"] * 2,
            "holiday": ["no"] * 9 + ["yes"],
            "station": ["north"] * 10,
            "code": [f"c{i}" for i in range(10)],
        }
    )
    draft = draft_spec(frame, "rides", target="rides", horizon=2)
    spec = _spec(draft.text)
    assert [(f.name, f.column, f.true_value) for f in spec.flags] == [
        ("weather_mist", "weather", "mist"),
        ("weather_rain", "weather", "rain"),
        ("holiday_yes", "holiday", "yes"),
    ]
    assert {"weather_mist", "weather_rain", "holiday_yes"} <= set(spec.feature_names)
    notes = "\n".join(draft.notes)
    assert "'weather' (3 values) as 2 flags (one-hot): weather_mist, weather_rain" in notes
    assert "the baseline 'clear'" in notes
    assert "'station' holds one value ('north'): left out" in notes
    assert "'code' is a category of 10 values, more than 8" in notes
