"""Replaying an operating policy on history (pure): walk forward through the forecast times,
and at each one do what a forecast run of the deployment does, in its order: score the
served forecasts whose actuals have arrived, hold the serving version's live quality to its
promise (``seqcast.evaluation.live``), act as the policy says (refresh or retrain on a
schedule or on degradation), then forecast.

The walk is given two callables and knows nothing else of models: ``forecast(handle, i)``
makes the forecasts of a fitted champion at every forecast time from the ``i``-th on (in one
block: a champion does not change between its actions, so forecasting ahead of the walk
reads nothing it should not; each forecast still reads only rows up to its own origin), and
``act(action, time)`` refreshes or retrains on the rows up to ``time`` and returns the new
champion (None: it promoted nothing, the old one keeps serving). ``seqcast.app.replay``
gives it the flows' own train and refresh and the serving code's ``forecast_at``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from seqcast.errors import ConfigError
from seqcast.evaluation.live import Promise, live_quality

POLICY_FORMS = (
    "never; refresh:EVERY or retrain:EVERY (EVERY like 7d, 12h, 2w); on-degradation "
    "(refresh when degraded) or on-degradation:retrain"
)
_EVERY = re.compile(r"^(\d+)([hdw])$")
_UNIT = {"h": "hours", "d": "days", "w": "weeks"}

Action = Literal["refresh", "retrain"]


@dataclass(frozen=True)
class Policy:
    """When the deployment refits the champion: ``never``, on a schedule (``every``) or on
    degradation, and how (``action``)."""

    name: str  # as written: "refresh:7d"
    trigger: Literal["never", "schedule", "degradation"]
    action: Action | None = None
    every: pd.Timedelta | None = None

    @property
    def slug(self) -> str:
        """The name as a folder name: ``refresh-7d``."""
        return self.name.replace(":", "-")


def parse_policy(text: str) -> Policy:
    """A policy from its written form (:data:`POLICY_FORMS`); a clear error otherwise."""
    name = text.strip().lower()
    kind, _, arg = name.partition(":")
    if name == "never":
        return Policy(name, "never")
    if kind == "on-degradation" and arg in ("", "refresh", "retrain"):
        return Policy(name, "degradation", "retrain" if arg == "retrain" else "refresh")
    if kind in ("refresh", "retrain") and (m := _EVERY.match(arg)):
        every = pd.Timedelta(**{_UNIT[m.group(2)]: int(m.group(1))})
        if every > pd.Timedelta(0):
            return Policy(name, "schedule", kind, every)  # type: ignore[arg-type]
    raise ConfigError(f"unknown policy {text!r}: expected {POLICY_FORMS}")


@dataclass
class Served:
    """A champion in the walk: the handle ``forecast`` reads, its promise and a version."""

    handle: Any
    promise: Promise
    version: int = 1


@dataclass(frozen=True)
class LiveRules:
    """The forecast flow's live settings (``config.LiveConfig``), with the window resolved."""

    window: int
    factor: float = 1.3
    min_scored: int = 20
    coverage_floor: float = 0.65
    cooldown_hours: float = 24.0

    @property
    def cooldown(self) -> pd.Timedelta:
        return pd.Timedelta(hours=self.cooldown_hours)


@dataclass
class Walk:
    """What a replay did: every served forecast (with ``version``), every scored one (with
    ``actual`` and ``error``), each action and each forecast time's live check."""

    served: pd.DataFrame
    scored: pd.DataFrame
    actions: list[dict] = field(default_factory=list)
    checks: pd.DataFrame = field(default_factory=pd.DataFrame)


def walk(
    times: np.ndarray,
    first: Served,
    forecast: Callable[[Any, int], pd.DataFrame],
    act: Callable[[Action, pd.Timestamp], Served | None],
    actuals: pd.Series,
    policy: Policy,
    rules: LiveRules,
) -> Walk:
    """Walk the forecast ``times`` (sorted) with ``first`` serving from the first one, as the
    module docstring says. ``actuals``: the observed target by time."""
    times = pd.DatetimeIndex(times)
    current = first
    served_parts: list[pd.DataFrame] = []
    plan = _with_actuals(forecast(current.handle, 0), actuals, current.version)
    last_action = times[0]
    last_event: pd.Timestamp | None = None
    actions: list[dict] = []
    checks = []
    for i, now in enumerate(times):
        # 1. score: the current version's forecasts made before now whose actual is known
        made = plan["origin_time"] < now
        scored = plan[made & (plan["target_time"] <= now) & plan["actual"].notna()]
        quality = live_quality(
            scored, current.promise, rules.window, rules.factor, rules.min_scored,
            rules.coverage_floor,
        )  # fmt: skip
        checks.append(
            {"time": now, "version": current.version, "scored": quality.rows,
             "live_mae": quality.mae, "ratio": quality.ratio, "degraded": quality.degraded}
        )  # fmt: skip
        # 2. act as the policy says
        action: Action | None = None
        reason = ""
        cooled = last_event is None or now - last_event >= rules.cooldown
        if policy.trigger == "schedule" and now - last_action >= policy.every:
            action, reason = policy.action, f"every {policy.every}"
        elif policy.trigger == "degradation" and quality.degraded and cooled:
            action, reason = policy.action, "; ".join(quality.reasons)
            last_event = now
        if action is not None:
            started = time.perf_counter()
            fresh = act(action, now)
            seconds = time.perf_counter() - started
            actions.append(
                {"time": now, "action": action, "reason": reason, "seconds": seconds,
                 "from_version": current.version,
                 "to_version": None if fresh is None else current.version + 1}
            )  # fmt: skip
            last_action = now
            if fresh is not None:
                served_parts.append(plan[plan["origin_time"] < now])
                current = Served(fresh.handle, fresh.promise, current.version + 1)
                plan = _with_actuals(forecast(current.handle, i), actuals, current.version)
    served_parts.append(plan)
    served = pd.concat(served_parts, ignore_index=True)
    served = served[served["origin_time"] <= times[-1]].reset_index(drop=True)
    done = served[served["actual"].notna() & (served["target_time"] <= times[-1])].copy()
    return Walk(served, done.reset_index(drop=True), actions, pd.DataFrame(checks))


def _with_actuals(rows: pd.DataFrame, actuals: pd.Series, version: int) -> pd.DataFrame:
    out = rows.sort_values(["origin_time", "step"]).reset_index(drop=True)
    out["version"] = version
    out["actual"] = actuals.reindex(pd.DatetimeIndex(out["target_time"])).to_numpy()
    out["error"] = out["prediction"] - out["actual"]  # forecast minus actual
    return out


def summary(walk_: Walk, steps_of_interest: tuple[int, ...] = (2,)) -> dict:
    """A policy's figures: live MAE over every scored forecast (the mean over steps) and at
    the given steps, coverage per interval level, actions and their seconds."""
    scored = walk_.scored
    err = scored["error"].abs()
    levels = sorted(
        (
            c.removeprefix("lower_")
            for c in scored.columns
            if c.startswith("lower_") and not c.startswith("lower_online_")
        ),
        key=float,
    )
    out: dict = {
        "scored": len(scored),
        "live_mae": float(err.groupby(scored["step"]).mean().mean()) if len(scored) else None,
        "refits": len(walk_.actions),
        "action_seconds": float(sum(a["seconds"] for a in walk_.actions)),
        "versions": int(scored["version"].max()) if len(scored) else 1,
    }
    for s in steps_of_interest:
        mine = err[scored["step"] == s]
        out[f"live_mae_step{s}"] = float(mine.mean()) if len(mine) else None
    for lv in levels:
        has = scored[f"lower_{lv}"].notna()  # a version served without intervals has none
        inside = (scored["actual"] >= scored[f"lower_{lv}"]) & (
            scored["actual"] <= scored[f"upper_{lv}"]
        )
        out[f"coverage_{lv}"] = float(inside[has].mean()) if has.any() else None
        online = f"lower_online_{lv}"
        if online not in scored or not scored[online].notna().any():
            continue
        has = scored[online].notna()  # the same forecasts with online-adapted bounds
        adapted = (scored["actual"] >= scored[online]) & (
            scored["actual"] <= scored[f"upper_online_{lv}"]
        )
        out[f"coverage_online_{lv}"] = float(adapted[has].mean())
        part = scored[has]
        nominal = float(lv) / 100
        for name, key in (("step", part["step"]), ("hour", _hours(part))):
            if key is None:
                continue
            by = adapted[has].groupby(key.to_numpy()).mean()
            static = inside[has].groupby(key.to_numpy()).mean()
            out[f"worst_{name}_{lv}"] = {
                "static": float((static - nominal).abs().max()),
                "online": float((by - nominal).abs().max()),
            }
    return out


def _hours(scored: pd.DataFrame) -> pd.Series | None:
    """The target times' hour of day, when the forecasts are hourly (else None)."""
    times = pd.DatetimeIndex(scored["target_time"])
    return None if (times.hour == times.hour[0]).all() else pd.Series(times.hour)


def daily_mae(scored: pd.DataFrame, freq: str = "D") -> pd.Series:
    """Live MAE (mean over steps) by target day: the replay report's line per policy."""
    if scored.empty:
        return pd.Series(dtype=float)
    day = pd.DatetimeIndex(scored["target_time"]).floor(freq)
    by = scored.assign(day=day, abs_error=scored["error"].abs())
    return by.groupby(["day", "step"])["abs_error"].mean().groupby("day").mean()
