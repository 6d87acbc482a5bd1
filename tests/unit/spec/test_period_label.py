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
