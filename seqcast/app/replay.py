"""``seqcast replay``: how an operating policy would have done on history.

It trains on the rows before the start with the ``train`` flow, then walks forward through
every forecast time up to the end (``seqcast.evaluation.replay.walk``): the rows up to each
time are what the deployment would have seen, the forecasts are the serving code's own
(``seqcast.serving.predict.forecast_at``), the scoring and the degradation check are the
forecast flow's (``seqcast.evaluation.live``), and each refresh or retrain the policy asks
for is a run of the ``train`` flow on the rows up to that time. Nothing is reimplemented for
the replay.

Everything lands under ``OUT/<dataset>/replay/<start>-<end>[-fault...]/``: the rows each
fit saw (``sources/``), one folder per policy (served and scored forecasts, its actions and
checks, its figures) and ``report.html`` comparing every policy replayed there. The runs
it trains are under ``OUT/<dataset>/replay/training/``, shared by every replay of the
dataset, so the first training of a span is done once (the train flow's caches).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from seqcast.config import LiveConfig, TrainConfig
from seqcast.data.ingest import parse_csv, read_table
from seqcast.errors import ConfigError, DataError, Problem
from seqcast.evaluation.live import Promise, live_window, observed_actuals
from seqcast.evaluation.replay import LiveRules, Policy, Served, daily_mae, summary, walk
from seqcast.io import storage
from seqcast.io.paths import Layout
from seqcast.serving.bundle import read_bundle
from seqcast.serving.forecast_input import usable_origins
from seqcast.serving.predict import clean_content, forecast_at, with_online_bounds
from seqcast.spec.timeindex import steps_from_raw, times_of


@dataclass(frozen=True)
class Fault:
    """A fault drill: the target multiplied by ``factor`` from ``start`` on."""

    start: pd.Timestamp
    factor: float

    @classmethod
    def parse(cls, text: str) -> Fault:
        when, sep, factor = text.rpartition(":")
        try:
            if not sep:
                raise ValueError
            return cls(pd.Timestamp(when), float(factor))
        except ValueError:
            raise ConfigError(
                f"--fault {text!r}: expected DATE:FACTOR, e.g. 2018-10-20:1.8"
            ) from None

    @property
    def slug(self) -> str:
        return f"fault-{self.start:%Y%m%d}x{self.factor:g}"


@dataclass(frozen=True)
class History:
    """The replayed file: its raw table (original headers), each raw row's time, the cleaned
    frame every forecast time reads, and the observed actuals."""

    table: pd.DataFrame
    row_times: pd.DatetimeIndex
    clean: pd.DataFrame
    actuals: pd.Series


def read_history(config: TrainConfig, source: str, fault: Fault | None) -> History:
    """The file at ``source`` read, validated and cleaned as the flows do; with ``fault``,
    its target multiplied from the fault's start (the file itself is never changed)."""
    path = Path(source)
    if not path.is_file():
        raise DataError(source, "replay", [Problem("(file)", "no such file")])
    spec = config.spec
    content = path.read_bytes()
    table = parse_csv(content, source).frame
    ingested = read_table(content, source, spec)
    row_times = times_of(steps_from_raw(ingested.frame, spec, source), spec.time_index)
    if fault is not None:
        column = next((raw for raw, name in ingested.renamed.items() if name == spec.target), None)
        column = column or spec.target
        table = table.copy()
        hit = np.asarray(row_times >= fault.start)
        values = pd.to_numeric(table[column])
        scaled = values.where(~hit, values * fault.factor)
        whole = pd.api.types.is_integer_dtype(values)  # counts stay counts
        table[column] = scaled.round().astype(values.dtype) if whole else scaled
        content = table.to_csv(index=False).encode()
    data = config.prepare_configs()[0]
    cleaned = clean_content(
        content, spec, data.resolved_max_fill_steps, data.resolved_on_long_gap, source
    )
    filled = cleaned.filled_cells
    filled_times = filled.loc[filled["column"] == spec.target, "time"] if len(filled) else []
    actuals = observed_actuals(cleaned.frame, spec.target, filled_times)
    return History(table, row_times, cleaned.frame, actuals)


def replay_folder(config: TrainConfig, start, end, fault: Fault | None) -> Path:
    name = f"{start:%Y%m%d}-{end:%Y%m%d}" + (f"-{fault.slug}" if fault else "")
    return Layout.of(config.out, config.dataset_name).base / "replay" / name


def run_replay(
    config: TrainConfig,
    source: str,
    start: str,
    end: str | None,
    policy: Policy,
    fault: Fault | None = None,
    live: LiveConfig | None = None,
) -> str:
    """Replay ``policy`` on ``source`` from ``start`` to ``end`` (default: the file's last
    time); returns the replay's folder (its report compares every policy replayed there)."""
    from flows.train import refresh, train

    live = live or LiveConfig()
    history = read_history(config, source, fault)
    clean = history.clean
    times = pd.DatetimeIndex(clean["time"])
    first, last = pd.Timestamp(start), pd.Timestamp(end) if end else times[-1]
    rows = np.flatnonzero((times >= first) & (times <= last))
    if first <= times[0] or not len(rows):
        raise ConfigError(
            f"replay span {first} .. {last}: it must start after the file's first time "
            f"({times[0]}) and hold forecast times (the file ends at {times[-1]})"
        )
    folder = replay_folder(config, first, last, fault)
    # every replay of the dataset trains under one root, so a training on the same rows with
    # the same settings is done once (the train flow's caches), whatever the span or policy
    training = folder.parent / "training"
    sources = folder / "sources"
    spec = config.spec
    seconds = {"train": 0.0, "forecast": 0.0}
    current_run = ""  # the run whose champion serves; each refresh starts from it
    runs: list[str] = []  # the first training's, then each action's

    def cut(until: pd.Timestamp, inclusive: bool = True) -> str:
        """The raw rows up to ``until``, as a file of their own (what the deployment saw)."""
        keep = history.row_times <= until if inclusive else history.row_times < until
        path = sources / f"rows-{'to' if inclusive else 'before'}-{until:%Y%m%dT%H%M}.csv"
        if not path.exists():
            storage.write_csv(path, history.table[np.asarray(keep)])
        return str(path)

    def served_of(run_dir: str) -> Served | None:
        bundle_file = Path(run_dir) / "champion" / "bundle.json"
        if not bundle_file.exists():
            return None
        bundle = read_bundle(bundle_file)
        if not bundle.promise:
            raise ConfigError(f"{bundle_file} holds no promise: retrain with this version")
        return Served(bundle_file, Promise.from_dict(bundle.promise))

    def run_config(until: str) -> TrainConfig:
        return config.model_copy(update={"source": until, "out": str(training), "mode": "full"})

    def act(action: str, now: pd.Timestamp) -> Served | None:
        nonlocal current_run
        cfg = run_config(cut(now))
        done = refresh(cfg, current_run) if action == "refresh" else train(cfg)
        fresh = served_of(done)
        runs.append(done)
        if fresh is not None:
            current_run = done
            bundles.append(fresh.handle)  # the champion of the next version
        return fresh

    def forecast(bundle_file: Path, i: int) -> pd.DataFrame:
        started = time.perf_counter()
        bundle = read_bundle(bundle_file)
        origins = usable_origins(clean, bundle.longest_window, rows[i:])
        out = forecast_at(clean, spec, bundle, bundle_file.parent, origins)
        seconds["forecast"] += time.perf_counter() - started
        return out

    started = time.perf_counter()
    current_run = train(run_config(cut(first, inclusive=False)))
    runs.append(current_run)
    seconds["train"] = time.perf_counter() - started
    initial = served_of(current_run)
    if initial is None:
        raise ConfigError(
            f"the training on the rows before {first} promoted no champion "
            f"({current_run}/report.html): nothing to replay"
        )
    rules = LiveRules(
        window=live.window or live_window(spec.time_index.frequency),
        factor=live.factor,
        min_scored=live.min_scored,
        coverage_floor=live.coverage_floor,
        cooldown_hours=live.cooldown_hours,
    )
    bundles: list[Path] = [initial.handle]  # version v's bundle is bundles[v - 1]
    began = time.perf_counter()
    result = walk(times[rows], initial, forecast, act, history.actuals, policy, rules)
    result = online_bounds(result, bundles, spec, times[rows][-1])
    total = time.perf_counter() - began
    action_seconds = sum(a["seconds"] for a in result.actions)
    seconds["actions"] = action_seconds
    seconds["walk"] = total - action_seconds - seconds["forecast"]
    mine = folder / policy.slug
    storage.write_frame(mine / "served.parquet", result.served)
    storage.write_frame(mine / "scored.parquet", result.scored)
    storage.write_frame(mine / "checks.parquet", result.checks)
    figures = summary(result)
    storage.write_json(
        mine / "summary.json",
        {
            "policy": policy.name,
            "dataset": config.dataset_name,
            "source": source,
            "fault": None if fault is None else {"start": str(fault.start), "factor": fault.factor},
            "start": str(first),
            "end": str(last),
            "forecast_times": len(rows),
            "runs": runs,  # the first training's, then each action's
            "promise_mae": float(np.mean(initial.promise.mae_by_step)),
            "live": rules.__dict__,
            "seconds": seconds,
            "actions": [{**a, "time": str(a["time"])} for a in result.actions],
            **figures,
        },
    )
    write_report(folder)
    return str(folder)


def online_bounds(result, bundles: list[Path], spec, last: pd.Timestamp):
    """The walk with every version's served forecasts given the bounds that version would have
    served had it adapted its offsets online (``serving.predict.with_online_bounds``)."""
    parts = []
    for version, rows in result.served.groupby("version", sort=True):
        bundle = read_bundle(bundles[int(version) - 1])
        parts.append(
            with_online_bounds(rows, bundle.intervals, spec.time_index.frequency, bundle.steps)
        )
    served = pd.concat(parts, ignore_index=True)
    done = served[served["actual"].notna() & (served["target_time"] <= last)]
    return replace(result, served=served, scored=done.reset_index(drop=True))


def write_report(folder: Path) -> None:
    """``report.html`` and ``report.md`` of a replay folder: every policy replayed there."""
    from seqcast.report.replay import replay_report

    policies = {}
    for found in sorted(folder.glob("*/summary.json")):
        doc = storage.read_json(found)
        scored = storage.read_frame(found.parent / "scored.parquet")
        policies[doc["policy"]] = (doc, daily_mae(scored))
    page = replay_report(folder.name, policies)
    storage.write_text(folder / "report.md", page.markdown)
    storage.write_text(folder / "report.html", page.html)
    storage.write_bytes(folder / "live_mae.png", page.png)
