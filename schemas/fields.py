"""Shared field definitions and checks, so raw and clean schemas state each range once."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

TEMPERATURE_RANGE = (-35.0, 45.0)


def measured(lo: float | None = None, hi: float | None = None, **kw: Any) -> Any:
    """A numeric measurement: coerced to float, may be missing (cleaning fills or flags it)."""
    return pa.Field(ge=lo, le=hi, coerce=True, nullable=True, **kw)


def temperature(**kw: Any) -> Any:
    return measured(*TEMPERATURE_RANGE, **kw)


def integral(s: pd.Series) -> pd.Series:
    """Element-wise: the value is missing or a whole number."""
    return s.isna() | (s == s.round())


def not_all_missing(s: pd.Series) -> bool:
    return bool(s.notna().any())


class CleanBase(pa.DataFrameModel):
    """Columns every cleaned frame has: a regular, sorted time index and the gap flag."""

    time: Series[pd.Timestamp] = pa.Field(unique=True)
    step: Series[int] = pa.Field(unique=True)
    gap: Series[bool]

    @pa.dataframe_check(error="time index must be sorted and regular (step + 1 each row)")
    def regular(cls, df: pd.DataFrame) -> bool:
        return bool(df["time"].is_monotonic_increasing and (df["step"].diff().dropna() == 1).all())

    @pa.dataframe_check(error="missing values outside a flagged gap")
    def missing_only_in_gaps(cls, df: pd.DataFrame) -> pd.Series:
        values = df.drop(columns=["time", "step", "gap"])
        return ~values.isna().any(axis=1) | df["gap"]

    class Config:
        strict = False
        coerce = False
