"""A target period as a person names it, at the data's frequency."""

from __future__ import annotations

import numpy as np
import pytest

from seqcast.spec.dataset import TimeIndexSpec, get_spec
from seqcast.spec.timeindex import period_label, steps_of_times, times_of


def _step(ti: TimeIndexSpec, when: str) -> int:
    import pandas as pd

    steps, off = steps_of_times(pd.DatetimeIndex([when]), ti)
    assert not off[0]
    return int(steps[0])


def test_the_weekly_file_names_the_year_week_and_its_first_day():
    ti = get_spec("weekly-temperature").time_index
    step = 2019 * 53 + 0  # 2019 week 1
    assert period_label(step, ti) == "2019 week 1, starting 2019-01-01"
    assert period_label(step + 1, ti) == "2019 week 2, starting 2019-01-08"
    assert str(times_of(np.array([step]), ti)[0].date()) == "2019-01-01"


@pytest.mark.parametrize(
    ("frequency", "when", "label"),
    [
        ("hourly", "2018-05-24 18:00", "2018-05-24 18:00"),
        ("daily", "2018-05-24", "2018-05-24"),
        ("weekly", "2018-05-21", "week starting 2018-05-21"),
        ("monthly", "2018-05-01", "2018-05"),
    ],
)
def test_other_frequencies_name_the_period_at_their_resolution(frequency, when, label):
    ti = TimeIndexSpec(kind="datetime", columns=("t",), frequency=frequency)
    assert period_label(_step(ti, when), ti) == label


def test_quarters_and_years_count_from_january_and_take_any_day_within():
    """A quarterly step is 3 months from January: 2019-08-15 lies in 2019 Q3 (starting
    2019-07-01), 49 * 4 + 2 = 198 quarters after 1970 Q1; a yearly step is a year. Their
    calendars: the quarter's phase for quarterly data, none for yearly data."""
    import pandas as pd

    from seqcast.spec.dataset import calendar_names
    from seqcast.spec.timeindex import calendar

    q = TimeIndexSpec(kind="datetime", columns=("t",), frequency="quarterly")
    steps, off = steps_of_times(pd.DatetimeIndex(["2019-08-15", "2019-07-01", "2020-01-31"]), q)
    assert steps.tolist() == [198, 198, 200] and not off.any()
    dates = [str(t.date()) for t in times_of(steps, q)]
    assert dates == ["2019-07-01", "2019-07-01", "2020-01-01"]
    assert [period_label(s, q) for s in (198, 199, 200)] == ["2019 Q3", "2019 Q4", "2020 Q1"]
    assert calendar_names(q) == ["quarter_sin", "quarter_cos"]
    assert calendar(np.array([200, 201]), q, ["quarter_sin"])["quarter_sin"] == pytest.approx(
        [0.0, 1.0]
    )

    y = TimeIndexSpec(kind="datetime", columns=("t",), frequency="yearly")
    steps, _ = steps_of_times(pd.DatetimeIndex(["1995-06-30", "2019-01-01"]), y)
    assert steps.tolist() == [25, 49]
    assert [period_label(s, y) for s in steps] == ["1995", "2019"]
    assert str(times_of(np.array([49]), y)[0].date()) == "2019-01-01"
    assert calendar_names(y) == []
