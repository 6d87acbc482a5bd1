"""A long-format file read into a :class:`Panel`: every series in time order, checked one by
one. A series that fails a check is left out with its reason and rows (the others go on);
only a file with no usable series, or without the declared columns, is an error.

Checks, per series (rows are the file's line numbers, the header being line 1):

- the target holds numbers (a text cell leaves its series out);
- the time column parses (whole numbers for a ``step`` index, dates for ``datetime``);
- no two rows share a (series, time);
- the rows lie on the frequency: a missing time or an empty target is a gap, filled by
  carrying the last value forward (never from a later row) when no run of it is longer than
  ``max_fill_steps``, else the series is left out; a filled value is never scored;
- monthly, quarterly and yearly dates stand for their period (a month-end date is its month);
  dates with a zone or an offset are read as UTC;
- the series holds :attr:`PanelSpec.min_rows` rows (its test, the backtest and a season).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqcast.errors import DataError, Problem
from seqcast.panel.spec import PANDAS_FREQUENCY, PanelSpec

EXAMPLE_ROWS = 5  # rows named in a reason
# frequencies of a fixed length in nanoseconds (the others follow the calendar)
PERIOD_CODE = {"monthly": "M", "quarterly": "Q", "yearly": "Y"}
FIXED_STEP = {"h": 3_600 * 10**9, "D": 86_400 * 10**9, "W": 7 * 86_400 * 10**9}


@dataclass(frozen=True)
class LeftOut:
    """A series left out of the run, why, and the file lines at fault."""

    series: str
    reason: str
    lines: tuple[int, ...] = ()

    def text(self) -> str:
        where = ""
        if self.lines:
            shown = ", ".join(str(n) for n in self.lines[:EXAMPLE_ROWS])
            more = f" and {len(self.lines) - EXAMPLE_ROWS} more" if len(self.lines) > 5 else ""
            where = f" (line {shown}{more})"
        return f"series {self.series!r}: {self.reason}{where}"


@dataclass
class Panel:
    """Every usable series: ``values[i]`` (rows,) float64 in time order, ``times[i]`` its
    time labels (int64 steps or datetime64), ``filled[i]`` how many values were filled
    (carried forward) and ``gaps[i]`` where."""

    ids: list[str]
    values: list[np.ndarray]
    times: list[np.ndarray]
    filled: list[int] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    source: str = ""
    # True where a value was filled (never scored as an actual); empty: none recorded
    gaps: list[np.ndarray] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self) -> int:
        return int(sum(len(v) for v in self.values))

    def to_frame(self) -> pd.DataFrame:
        """The panel as a long frame: series, time, value (the order it is held in)."""
        return pd.DataFrame(
            {
                "series": np.repeat(self.ids, [len(v) for v in self.values]),
                "time": np.concatenate(self.times) if self.times else [],
                "value": np.concatenate(self.values) if self.values else [],
            }
        )


def _lines(index: pd.Index) -> tuple[int, ...]:
    return tuple(int(i) + 2 for i in index)  # line 1 is the header


def read_long(frame: pd.DataFrame, spec: PanelSpec, source: str) -> Panel:
    """Check ``frame`` (the file as read, text cells kept) series by series; see the module."""
    wanted = {"series": spec.series, "time": spec.time.column, "target": spec.target}
    missing = [c for c in wanted.values() if c not in frame.columns]
    if missing:
        raise DataError(
            source,
            "read",
            [Problem(c, "column missing") for c in missing],
            hint=f"the file's columns are {list(frame.columns)}; the spec {spec.name!r} names "
            f"series={spec.series!r}, time={spec.time.column!r}, target={spec.target!r}",
        )
    ids = frame[spec.series]
    blank_id = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank_id.any():
        raise DataError(
            source,
            "read",
            [
                Problem(
                    spec.series,
                    "rows without a series id",
                    int(blank_id.sum()),
                    [f"line {n}" for n in _lines(frame.index[blank_id])],
                )
            ],
        )
    work = pd.DataFrame(
        {"series": ids.astype(str).str.strip(), "raw": frame[spec.target]},
        index=frame.index,
    )
    raw = frame[spec.target]
    text = raw.astype("string").str.strip()
    work["value"] = pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype("float64")
    number = work["value"]
    not_finite = number.notna() & ~np.isfinite(number.fillna(0.0))
    work["text"] = (text.notna() & (text != "") & number.isna()) | not_finite
    if spec.time.kind == "step":
        t = pd.to_numeric(frame[spec.time.column].astype("string").str.strip(), errors="coerce")
        bad_time = t.isna() | (t != np.floor(t))
        work["time"] = t.where(~bad_time, 0).astype("int64")
    else:
        # utc=True: offsets that change (daylight saving) or a zone read as one instant each;
        # the zone is then dropped, so every series lies on one naive UTC axis
        t = pd.to_datetime(frame[spec.time.column], errors="coerce", utc=True).dt.tz_localize(None)
        bad_time = t.isna()
        if spec.time.frequency in PERIOD_CODE:  # a date anywhere in its month is that month
            t = t.dt.to_period(PERIOD_CODE[spec.time.frequency]).dt.to_timestamp()
        work["time"] = t
    work["bad_time"] = bad_time.to_numpy()
    left: list[LeftOut] = []
    keep_ids: list[str] = []
    values: list[np.ndarray] = []
    times: list[np.ndarray] = []
    filled: list[int] = []
    gap_masks: list[np.ndarray] = []
    freq = PANDAS_FREQUENCY.get(spec.time.frequency)
    # one pass over the groups in their first-seen order; each check is vectorised in a group
    for sid, g in work.groupby("series", sort=False):
        if g["text"].any():
            left.append(
                LeftOut(
                    sid,
                    f"text or a value that is not finite in target {spec.target!r}",
                    _lines(g.index[g["text"]]),
                )
            )
            continue
        if g["bad_time"].any():
            kind = "whole step numbers" if spec.time.kind == "step" else "dates"
            left.append(
                LeftOut(
                    sid,
                    f"time {spec.time.column!r} is not {kind}",
                    _lines(g.index[g["bad_time"]]),
                )
            )
            continue
        dup = g["time"].duplicated(keep=False)
        if dup.any():
            left.append(LeftOut(sid, f"duplicate {spec.time.column!r} rows", _lines(g.index[dup])))
            continue
        g = g.sort_values("time")
        if spec.time.kind == "step":
            full = np.arange(int(g["time"].iloc[0]), int(g["time"].iloc[-1]) + 1)
        else:
            if freq in FIXED_STEP:  # a fixed length of time: whole multiples of it
                t = g["time"].to_numpy().astype("datetime64[ns]")
                size = np.timedelta64(FIXED_STEP[freq], "ns")
                phase = (t - t[0]) % size  # the rows' place within a step; most share one
                phases, counts = np.unique(phase, return_counts=True)
                off = pd.Series(phase != phases[np.argmax(counts)], index=g.index)
                on = t[~off.to_numpy()]
                full = np.arange(on[0], on[-1] + size, size)
            else:  # the calendar's months, quarters and years
                full = pd.date_range(g["time"].iloc[0], g["time"].iloc[-1], freq=freq)
                off = ~g["time"].isin(full)
                full = full.to_numpy()
            if off.any():
                left.append(
                    LeftOut(
                        sid,
                        f"times off the {spec.time.frequency} frequency",
                        _lines(g.index[off]),
                    )
                )
                continue
        y = pd.Series(g["value"].to_numpy(), index=g["time"].to_numpy()).reindex(full)
        gap = _longest_gap(y.isna().to_numpy())
        if gap > spec.max_fill_steps:
            left.append(
                LeftOut(
                    sid,
                    f"a gap of {gap} missing step(s) in {spec.target!r} "
                    f"(at most {spec.max_fill_steps} are filled: max_fill_steps)",
                    _gap_lines(g, y),
                )
            )
            continue
        if len(y) < spec.min_rows:
            left.append(
                LeftOut(
                    sid,
                    f"{len(y)} rows, too short: needs {spec.min_rows} (test {spec.test_rows} + "
                    f"{spec.folds} backtest block(s) of {spec.horizon} + {spec.period + 1} of "
                    "history)",
                )
            )
            continue
        gaps = y.isna().to_numpy()
        n_missing = int(gaps.sum())
        if n_missing:
            # carried forward (a value never reads a later row); a leading gap takes the first
            y = y.ffill().bfill()
        keep_ids.append(sid)
        values.append(y.to_numpy(dtype=np.float64))
        times.append(np.asarray(full))
        filled.append(n_missing)
        gap_masks.append(gaps)
    if not keep_ids:
        raise DataError(
            source,
            "validate",
            [Problem(spec.series, "no usable series", len(left), [x.text() for x in left])],
            hint="every series was left out; the reasons above name the series and lines",
        )
    return Panel(keep_ids, values, times, filled, left, source, gap_masks)


def _longest_gap(missing: np.ndarray) -> int:
    """The longest run of True in ``missing``."""
    if not missing.any():
        return 0
    edges = np.diff(np.r_[0, missing.astype(np.int8), 0])
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


def _gap_lines(g: pd.DataFrame, y: pd.Series) -> tuple[int, ...]:
    """The file lines of the missing steps and of the rows either side of them (a missing
    time has no line of its own)."""
    line_of = dict(zip(g["time"].to_numpy(), (g.index + 2).tolist(), strict=True))
    index = y.index.to_numpy()
    near: set[int] = set()
    for k in np.flatnonzero(y.isna().to_numpy()):
        for j in (k - 1, k, k + 1):
            if 0 <= j < len(index) and index[j] in line_of:
                near.add(int(line_of[index[j]]))
    return tuple(sorted(near))
