"""Raw and clean pandera schemas built from a :class:`~seqcast.spec.dataset.DatasetSpec`."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pandera.pandas as pa

from seqcast.spec.dataset import ColumnSpec, DatasetSpec


def integral(s: pd.Series) -> pd.Series:
    """Element-wise: the value is missing or a whole number."""
    return s.isna() | (s == s.round())


def not_all_missing(s: pd.Series) -> bool:
    return bool(s.notna().any())


def _parses(fmt: str | None):
    def check(s: pd.Series) -> pd.Series:
        text = s.astype("string").str.strip()
        parsed = pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce")
        return parsed.notna()

    return check


def _number_checks(c: ColumnSpec) -> list[pa.Check]:
    checks = []
    if c.min is not None:
        checks.append(pa.Check.ge(c.min))
    if c.max is not None:
        checks.append(pa.Check.le(c.max))
    if c.integral:
        checks.append(pa.Check(integral, name="whole_number"))
    return checks


@lru_cache(maxsize=32)
def raw_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    """The raw file's checks: every declared column's kind and range, the time key's format,
    no value column entirely empty, no duplicate time key. Other columns pass untouched."""
    keys = list(spec.time_index.columns)
    columns: dict[str, pa.Column] = {}
    for c in spec.columns:
        if c.kind in ("int", "float"):
            checks = _number_checks(c)
            if c.name in spec.value_features:
                checks.append(
                    pa.Check(not_all_missing, name="not_entirely_missing", element_wise=False)
                )
            # Whole numbers are checked as floats: integer coercion would truncate 2.5 to 2.
            columns[c.name] = pa.Column(
                float, checks, coerce=True, nullable=c.name not in keys, required=c.required
            )
        elif c.kind == "category":
            checks = [pa.Check.isin(list(c.allowed))] if c.allowed else []
            columns[c.name] = pa.Column(str, checks, nullable=False, required=c.required)
        else:
            fmt = spec.time_index.format if c.name == keys[0] else None
            columns[c.name] = pa.Column(
                None, [pa.Check(_parses(fmt), name="date_format")], required=c.required
            )
    return pa.DataFrameSchema(columns, unique=keys, strict=False, name=f"{spec.name} raw")


def _regular(df: pd.DataFrame) -> bool:
    return bool(df["time"].is_monotonic_increasing and (df["step"].diff().dropna() == 1).all())


def _missing_only_in_gaps(df: pd.DataFrame) -> pd.Series:
    values = df.drop(columns=["time", "step", "gap"])
    return ~values.isna().any(axis=1) | df["gap"]


@lru_cache(maxsize=32)
def clean_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    """The cleaned frame's checks: a sorted, regular time index, missing values only inside
    flagged gaps, the value columns' ranges, 0/1 flags, calendar features within -1..1."""
    columns: dict[str, pa.Column] = {
        "time": pa.Column("datetime64[ns]", unique=True),
        "step": pa.Column(int, unique=True),
        "gap": pa.Column(bool),
    }
    for name in spec.value_features:
        columns[name] = pa.Column(float, _number_checks(spec.column(name)), nullable=True)
    for flag in spec.flags:
        columns[flag.name] = pa.Column(float, pa.Check.isin([0.0, 1.0]), nullable=True)
    for name in spec.calendar_features:
        columns[name] = pa.Column(float, [pa.Check.ge(-1), pa.Check.le(1)])
    return pa.DataFrameSchema(
        columns,
        checks=[
            pa.Check(_regular, error="time index must be sorted and regular (step + 1 each row)"),
            pa.Check(_missing_only_in_gaps, error="missing values outside a flagged gap"),
        ],
        strict=False,
        coerce=False,
        name=f"{spec.name} clean",
    )
