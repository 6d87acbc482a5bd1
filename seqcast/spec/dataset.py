"""Dataset specs: what one kind of input file is, declared in a TOML file.

A spec names the columns (aliases, kind, checks), how the time index is built and at which
frequency, the target, horizon, features, calendar covariates, the default window, split and
backtest sizes, the gap policy, the seasonal period and the training defaults. The built-in
datasets are spec files shipped in ``seqcast/spec/builtin/``; a user's dataset is a spec file
anywhere (``--dataset my.toml``). Nothing else in the pipeline names a dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from seqcast.spec.choices import (
    LongGapAction,
    LossName,
    ReferenceName,
    StepsKind,
    TargetTransform,
)
from seqcast.spec.form import with_bounds

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
SPECS_DIR_ENV = "SEQCAST_SPECS_DIR"
NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"  # a spec name becomes a directory name

# hourly | daily | weekly | weekly-<mon..sun> | monthly | quarterly | yearly | <N>min
Frequency = str
_FREQUENCY = re.compile(
    r"^(hourly|daily|weekly|weekly-(mon|tue|wed|thu|fri|sat|sun)|monthly|quarterly|yearly"
    r"|\d+min)$"
)
ColumnKind = Literal["int", "float", "category", "date", "datetime"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=with_bounds)

    def fingerprint(self, exclude: set[str] | None = None) -> str:
        """Stable short hash of this object's JSON form, less the ``exclude`` fields (used in
        cache keys)."""
        payload = json.dumps(self.model_dump(mode="json", exclude=exclude), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


class ColumnSpec(Frozen):
    """A canonical column of the raw file, the other names it may carry, and its checks.

    ``int`` and ``float`` columns are numbers (checked as floats, so ``2.5`` in an ``int``
    column is reported instead of truncated); ``category`` columns hold text, limited to
    ``allowed`` when given; ``date`` / ``datetime`` columns hold the time index as text.
    """

    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    kind: ColumnKind = "float"
    required: bool = True
    min: float | None = None
    max: float | None = None
    integral: bool = False
    allowed: tuple[str, ...] = ()
    unit: str = Field(default="", max_length=20)  # shown beside the name: "AvgTemp (°C)"

    @model_validator(mode="after")
    def _check(self) -> ColumnSpec:
        numeric = self.kind in ("int", "float")
        if not numeric and (self.min is not None or self.max is not None or self.integral):
            raise ValueError(f"column {self.name!r}: min, max and integral need a number kind")
        if self.allowed and self.kind != "category":
            raise ValueError(f"column {self.name!r}: allowed values need kind 'category'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"column {self.name!r}: min {self.min} is above max {self.max}")
        return self


class FlagSpec(Frozen):
    """A 0/1 feature derived from a categorical column: 1 where ``column == true_value``."""

    name: str
    column: str
    true_value: str


class SplitSpec(Frozen):
    """Chronological split sizes, counted in supervised rows (target times) from the end.

    ``unit="rows"``: ``val`` and ``test`` are row counts; ``unit="fraction"``: shares of the
    supervised rows (rounded to the nearest row). Train is everything before validation.
    """

    unit: Literal["rows", "fraction"]
    val: float = Field(gt=0)
    test: float = Field(gt=0)

    @model_validator(mode="after")
    def _check(self) -> SplitSpec:
        if self.unit == "fraction" and self.val + self.test >= 1:
            raise ValueError("val + test fractions must leave rows for training")
        if self.unit == "rows" and (self.val != int(self.val) or self.test != int(self.test)):
            raise ValueError("row counts must be whole numbers")
        return self


class TrainingDefaults(Frozen):
    """A dataset's own defaults for the settings a run leaves unset."""

    learning_rate: float = Field(gt=0, le=1.0)
    max_epochs: int = Field(ge=1)
    patience: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    loss: LossName = "mse"
    target_transform: TargetTransform = "none"
    lr_decay: float = Field(default=1.0, gt=0.5, le=1.0)
    ema_momentum: float = Field(default=0.0, ge=0.0, lt=1.0)
    warm_refit: float = Field(default=0.0, ge=0.0, le=1.0)
    folds: int = Field(default=2, ge=1)
    # the share of the pre-test rows before the first fold (0: folds as long as the validation
    # split, the newest being it); seqcast.evaluation.backtest.Folds
    fold_start: float = Field(default=0.0, ge=0.0, lt=1.0)
    seeds: int = Field(default=3, ge=1)
    shortlist: int = Field(default=2, ge=0)
    ensemble_size: int = Field(default=10, ge=0, le=100)
    # None: every registered reference (persistence is fitted whatever the list says)
    references: tuple[ReferenceName, ...] | None = None


class TimeIndexSpec(Frozen):
    """How the raw key columns give each row its time, and the frequency the rows lie on.

    ``datetime``: one column, ISO 8601 or ``format`` (strptime codes). ``date-hour``: a date
    column (``format``) plus an hour column 0..23 (hourly). ``year-week``: a year and a week
    column, ``weeks_per_year`` weeks every year (week ``w`` starts on 1 January + 7 (w - 1)
    days).
    """

    kind: Literal["datetime", "date-hour", "year-week"]
    columns: tuple[str, ...] = Field(min_length=1, max_length=2)
    format: str | None = None
    frequency: Frequency = "hourly"
    weeks_per_year: int = Field(default=53, ge=52, le=53)

    @field_validator("frequency")
    @classmethod
    def _known_frequency(cls, v: str) -> str:
        if not _FREQUENCY.match(v) or v == "0min":
            raise ValueError(
                f"unknown frequency {v!r}: use hourly, daily, weekly, weekly-<mon..sun>, "
                "monthly, quarterly, yearly or <N>min"
            )
        return v

    @model_validator(mode="after")
    def _check(self) -> TimeIndexSpec:
        wanted = {"datetime": 1, "date-hour": 2, "year-week": 2}[self.kind]
        if len(self.columns) != wanted:
            raise ValueError(f"a {self.kind} time index takes {wanted} column(s)")
        if self.kind == "date-hour" and self.frequency != "hourly":
            raise ValueError("a date-hour time index is hourly")
        if self.kind == "year-week" and self.frequency != "weekly":
            raise ValueError("a year-week time index is weekly")
        return self


def step_unit(ti: TimeIndexSpec) -> tuple[str, int]:
    """(base, size): one step of ``ti`` is ``size`` minutes, days or weeks, or months (3 for
    a quarter, 12 for a year)."""
    f = ti.frequency
    if f.endswith("min"):
        return "min", int(f[:-3])
    if f == "hourly":
        return "min", 60
    if f == "daily":
        return "day", 1
    if f.startswith("weekly"):
        return "week", 1
    return "month", {"quarterly": 3, "yearly": 12}.get(f, 1)


HARMONICS = (2, 3)  # higher harmonics a calendar feature may name: ``week_sin2``, ``week_cos3``


def calendar_names(ti: TimeIndexSpec, harmonics: bool = False) -> list[str]:
    """The cyclic calendar features this index makes meaningful (each as ``_sin`` / ``_cos``).

    ``harmonics``: also the higher harmonics (``week_sin2`` is ``sin(2 * 2 pi * phase)``),
    which let a model draw a seasonal shape that one sine and cosine cannot."""
    base, size = step_unit(ti) if ti.kind != "year-week" else ("year-week", 1)
    phases = {
        "min": ["hour", "dow", "doy"] if size < 24 * 60 else ["dow", "doy"],
        "day": ["dow", "doy", "month"],
        "week": ["week", "month"],
        "year-week": ["week"],
        "month": {1: ["month"], 3: ["quarter"]}.get(size, []),  # a year has no cycle to mark
    }[base]
    orders = ("", *map(str, HARMONICS)) if harmonics else ("",)
    return [f"{p}_{fn}{k}" for k in orders for p in phases for fn in ("sin", "cos")]


class DatasetSpec(Frozen):
    """Everything the pipeline needs to know about one kind of input file."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    columns: tuple[ColumnSpec, ...] = Field(min_length=1)
    time_index: TimeIndexSpec
    target: str
    horizon: int = Field(ge=1)
    steps: StepsKind = "last"
    value_features: tuple[str, ...] = Field(min_length=1)
    flags: tuple[FlagSpec, ...] = ()
    calendar_features: tuple[str, ...] = ()
    covariates: tuple[str, ...] = ()
    known_future: tuple[str, ...] = ()
    timesteps: int = Field(ge=1)
    split: SplitSpec
    scale_target: bool = False
    max_fill_steps: int = Field(default=0, ge=0)
    on_long_gap: LongGapAction = "fail"
    seasonal_period: int = Field(ge=1)
    sample_file: str | None = None
    training: TrainingDefaults

    @model_validator(mode="after")
    def _check(self) -> DatasetSpec:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("columns: a column name is declared twice")
        known = set(names)

        def need(field: str, cols) -> None:
            missing = [c for c in cols if c not in known]
            if missing:
                raise ValueError(f"{field}: {missing} not among the declared columns")

        need("time_index.columns", self.time_index.columns)
        need("value_features", self.value_features)
        need("flags", [f.column for f in self.flags])
        if self.target not in self.value_features:
            raise ValueError(f"target {self.target!r} must be one of the value_features")
        for c in self.value_features:
            if self.column(c).kind not in ("int", "float"):
                raise ValueError(f"value_features: column {c!r} is not a number column")
        for f in self.flags:
            if self.column(f.column).kind != "category":
                raise ValueError(f"flags: column {f.column!r} is not a category column")
        inputs = set(self.value_features) | {f.name for f in self.flags}
        odd = [c for c in self.known_future if c not in inputs]
        if odd:
            raise ValueError(f"known_future: {odd} must be value_features or flags")
        if self.target in self.known_future:
            raise ValueError("known_future: the target is not known in advance")
        possible = calendar_names(self.time_index, harmonics=True)
        for field in ("calendar_features", "covariates"):
            odd = [c for c in getattr(self, field) if c not in possible]
            if odd:
                raise ValueError(
                    f"{field}: {odd} not meaningful for a {self.time_index.frequency} index; "
                    f"choose from {calendar_names(self.time_index)} (a trailing "
                    f"{' or '.join(map(str, HARMONICS))} names that harmonic, e.g. week_sin2)"
                )
        return self

    def data_fingerprint(self) -> str:
        """:meth:`fingerprint` of what shapes the prepared data: everything but the training
        defaults, the description and the sample file, so that changing ``[training]``
        (seeds, epochs, ...) in a spec refits the models without preparing the data again."""
        return self.fingerprint(exclude={"training", "description", "sample_file"})

    @property
    def feature_names(self) -> list[str]:
        """Input features in window order: values, flags, calendar (of the row's own time)."""
        return [*self.value_features, *(f.name for f in self.flags), *self.calendar_features]

    @property
    def covariate_names(self) -> list[str]:
        """Known-future covariates: the calendar of the target time (``target_*``), then the
        known-future columns' values at the target time (``known_*``)."""
        return [f"target_{c}" for c in self.covariates] + [f"known_{c}" for c in self.known_future]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def target_label(self) -> str:
        """The target's name with its unit when the spec gives one: ``AvgTemp (°C)``."""
        unit = self.column(self.target).unit
        return f"{self.target} ({unit})" if unit else self.target

    @property
    def whole_target(self) -> bool:
        """Whether the target is a count (an ``int`` or ``integral`` column): its values and
        forecasts read as whole numbers."""
        target = self.column(self.target)
        return target.kind == "int" or target.integral

    @property
    def key_columns(self) -> list[str]:
        """The raw columns that name a row's time (a duplicate of them is a failed check)."""
        return list(self.time_index.columns)


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def _field_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


@lru_cache(maxsize=64)
def _load(path: str, mtime_ns: int) -> DatasetSpec:
    from seqcast.errors import ConfigError

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"spec file {path} is not valid TOML: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"spec file {path} cannot be read: {err}") from None
    sample = data.get("sample_file")
    if isinstance(sample, str) and not Path(sample).is_absolute():
        data["sample_file"] = str((Path(path).parent / sample).resolve())
    try:
        return DatasetSpec.model_validate(data)
    except ValidationError as err:
        lines = [f"spec file {path} is invalid:"]
        for e in err.errors():
            msg = str(e["msg"]).removeprefix("Value error, ")
            lines.append(f"  - {_field_path(e['loc'])}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def load_spec(path: str | Path) -> DatasetSpec:
    """Read and validate a spec file (cached while the file is unchanged). A relative
    ``sample_file`` is taken relative to the spec file. Raises ConfigError naming the file and
    each field at fault."""
    from seqcast.errors import ConfigError

    p = Path(path).resolve()
    if not p.is_file():
        raise ConfigError(f"spec file {path} not found")
    return _load(str(p), p.stat().st_mtime_ns)


def spec_path(dataset: str) -> Path:
    """The spec file a ``--dataset`` value names: a built-in name, or a path to a ``.toml``
    file. Where ``SEQCAST_SPECS_DIR`` is set (the deployments set it), a relative path is
    taken inside that directory and any path must resolve inside it."""
    from seqcast.errors import ConfigError

    if re.match(NAME_PATTERN, dataset) and not dataset.endswith(".toml"):
        builtin = BUILTIN_DIR / f"{dataset}.toml"
        if builtin.is_file():
            return builtin
        raise ConfigError(
            f"unknown dataset {dataset!r}: give a built-in name ({', '.join(builtin_names())}) "
            "or the path of a spec file ending in .toml"
        )
    if not dataset.endswith(".toml"):
        raise ConfigError(f"dataset {dataset!r} is neither a built-in name nor a .toml spec file")
    root = os.environ.get(SPECS_DIR_ENV)
    if root:
        base = Path(root).resolve()
        p = (base / dataset).resolve()
        if base not in p.parents:
            raise ConfigError(f"spec file {dataset!r} is outside the specs directory {base}")
        return p
    return Path(dataset).resolve()


def get_spec(dataset: str) -> DatasetSpec:
    """The spec a ``--dataset`` value names (see :func:`spec_path`)."""
    return load_spec(spec_path(dataset))


def check_dataset(dataset: str) -> str:
    """Validator for a ``dataset`` parameter: it must name a loadable, valid spec."""
    from seqcast.errors import ConfigError

    try:
        get_spec(dataset)
    except ConfigError as err:
        raise ValueError(str(err)) from None
    return dataset
