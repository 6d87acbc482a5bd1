"""The replay's walk on a hand-checkable series: a level of 10 (actuals 9, 11, 9, ...) that
jumps to 18 at hour 50; a champion forecasts its own level for steps 1 and 2 and promises an
MAE of 1. Every check is what a forecast run of the deployment would do at that hour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast.errors import ConfigError
from seqcast.evaluation.live import Promise
from seqcast.evaluation.replay import LiveRules, Served, parse_policy, summary, walk

TIMES = pd.date_range("2024-01-01", periods=120, freq="h")
FAULT = 50
ACTUALS = pd.Series(
    np.where(np.arange(130) < FAULT, 10.0, 18.0) + np.where(np.arange(130) % 2, 1.0, -1.0),
    index=pd.date_range("2024-01-01", periods=130, freq="h"),
)
PROMISE = Promise([1.0, 1.0])
RULES = LiveRules(window=24, factor=1.3, min_scored=5, coverage_floor=0.5)


def forecast(level: float, i: int) -> pd.DataFrame:
    origins = TIMES[i:]
    return pd.DataFrame(
        {
            "origin_time": np.repeat(origins, 2),
            "step": np.tile([1, 2], len(origins)),
            "target_time": np.repeat(origins, 2)
            + pd.to_timedelta(np.tile([1, 2], len(origins)), "h"),
            "prediction": level,
        }
    )


def refit(calls: list):
    def act(action, now):
        calls.append((action, now))
        # refitted on the rows up to now: the newest level (the mean of the last two actuals)
        return Served(float(ACTUALS[:now].iloc[-2:].mean()), PROMISE)

    return act


def test_never_keeps_one_version_and_its_error_after_the_jump():
    calls: list = []
    w = walk(
        TIMES, Served(10.0, PROMISE), forecast, refit(calls), ACTUALS, parse_policy("never"), RULES
    )
    assert calls == [] and w.actions == []
    assert set(w.served["version"]) == {1}
    late = w.scored[w.scored["target_time"] > TIMES[FAULT + 2]]
    assert late["error"].abs().mean() == pytest.approx(8.0, abs=1.01)  # 10 against 17 or 19
    assert w.checks["degraded"].iloc[-1]  # it would have fired


def test_on_degradation_refreshes_soon_after_the_jump_and_the_error_returns():
    calls: list = []
    policy = parse_policy("on-degradation")
    w = walk(TIMES, Served(10.0, PROMISE), forecast, refit(calls), ACTUALS, policy, RULES)
    assert [a for a, _ in calls] == ["refresh"]
    when = calls[0][1]
    assert TIMES[FAULT] < when <= TIMES[FAULT] + pd.Timedelta(hours=6)
    assert "live MAE" in w.actions[0]["reason"]
    # forecasts made from the action's hour on come from version 2, earlier ones from 1
    made = w.served.set_index("origin_time")["version"]
    assert (made[made.index >= when] == 2).all() and (made[made.index < when] == 1).all()
    after = w.scored[w.scored["origin_time"] >= when]
    assert after["error"].abs().mean() == pytest.approx(1.0, abs=0.01)
    assert summary(w)["refits"] == 1 and summary(w)["versions"] == 2


def test_a_schedule_acts_every_period_whatever_the_quality():
    calls: list = []
    w = walk(
        TIMES,
        Served(10.0, PROMISE),
        forecast,
        refit(calls),
        ACTUALS,
        parse_policy("retrain:1d"),
        RULES,
    )
    assert [t for _, t in calls] == [TIMES[24], TIMES[48], TIMES[72], TIMES[96]]
    assert {a for a, _ in calls} == {"retrain"} and summary(w)["versions"] == 5


def test_a_retrain_that_promotes_nothing_is_retried_only_after_the_cooldown():
    calls: list = []

    def fails(action, now):
        calls.append(now)
        return None

    policy = parse_policy("on-degradation:retrain")
    w = walk(TIMES, Served(10.0, PROMISE), forecast, fails, ACTUALS, policy, RULES)
    # degraded from a few hours after the jump to the end: one retry a day, no sooner
    assert len(calls) == 3 and set(np.diff(calls)) == {pd.Timedelta(hours=24)}
    assert set(w.served["version"]) == {1} and w.actions[0]["to_version"] is None


def test_nothing_is_scored_past_the_last_forecast_time_and_each_forecast_once():
    w = walk(
        TIMES,
        Served(10.0, PROMISE),
        forecast,
        refit([]),
        ACTUALS,
        parse_policy("on-degradation"),
        RULES,
    )
    assert w.scored["target_time"].max() <= TIMES[-1]
    assert not w.served.duplicated(["origin_time", "step"]).any()
    assert len(w.served) == 2 * len(TIMES)


@pytest.mark.parametrize(
    "text", ["sometimes", "refresh", "refresh:7", "retrain:0d", "on-degradation:x"]
)
def test_an_unknown_policy_names_the_forms(text):
    with pytest.raises(ConfigError, match="expected never; refresh:EVERY"):
        parse_policy(text)


def test_policy_forms_parse():
    assert parse_policy("refresh:7d").every == pd.Timedelta(days=7)
    assert parse_policy("retrain:12h").every == pd.Timedelta(hours=12)
    assert parse_policy("on-degradation").action == "refresh"
    assert parse_policy("refresh:7d").slug == "refresh-7d"
