"""Seoul weekly average temperature: ``year``, ``week`` (1..53, 53 weeks a year), ``AvgTemp``."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas.fields import CleanBase, integral, not_all_missing, temperature


class WeeklyTemperatureRaw(pa.DataFrameModel):
    # Whole numbers, checked as floats: integer coercion would silently truncate 2.5 to 2.
    year: Series[float] = pa.Field(ge=1800, le=2200, coerce=True)
    week: Series[float] = pa.Field(ge=1, le=53, coerce=True)
    AvgTemp: Series[float] = temperature()

    @pa.check("AvgTemp", name="not_entirely_missing", element_wise=False)
    def _has_values(cls, s):
        return not_all_missing(s)

    @pa.check("year", "week", name="whole_number")
    def _whole(cls, s):
        return integral(s)

    class Config:
        unique = ("year", "week")
        strict = False


class WeeklyTemperatureClean(CleanBase):
    AvgTemp: Series[float] = temperature()
    week_sin: Series[float] = pa.Field(ge=-1, le=1)
    week_cos: Series[float] = pa.Field(ge=-1, le=1)
