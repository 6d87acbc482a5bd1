"""Seoul hourly public-bike rentals with weather (``Date`` dd/mm/yyyy + ``Hour``)."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas.fields import CleanBase, integral, measured, not_all_missing, temperature
from seqcast.config import BIKE_HOURLY

SEASONS = ["Winter", "Spring", "Summer", "Autumn"]
HOLIDAY = ["Holiday", "No Holiday"]
FUNCTIONING = ["Yes", "No"]
_MEASURED = list(BIKE_HOURLY.value_features)  # the count and the weather columns


class _BikeValues(pa.DataFrameModel):
    count: Series[float] = measured(0, None, alias="Rented Bike Count")
    temperature: Series[float] = temperature(alias="Temperature")
    humidity: Series[float] = measured(0, 100, alias="Humidity")
    wind_speed: Series[float] = measured(0, 60, alias="Wind speed")
    visibility: Series[float] = measured(0, 10_000, alias="Visibility")
    dew_point: Series[float] = measured(-60, 45, alias="Dew point temperature")
    solar: Series[float] = measured(0, 10, alias="Solar Radiation")
    rainfall: Series[float] = measured(0, 500, alias="Rainfall")
    snowfall: Series[float] = measured(0, 500, alias="Snowfall")

    @pa.check("Rented Bike Count", name="whole_number")
    def _whole_count(cls, s):
        return integral(s)

    class Config:
        strict = False


class BikeHourlyRaw(_BikeValues):
    date: Series[str] = pa.Field(alias="Date", str_matches=r"^\d{1,2}/\d{1,2}/\d{4}$")
    hour: Series[float] = pa.Field(alias="Hour", ge=0, le=23, coerce=True)
    seasons: Series[str] = pa.Field(alias="Seasons", isin=SEASONS)
    holiday: Series[str] = pa.Field(alias="Holiday", isin=HOLIDAY)
    functioning: Series[str] = pa.Field(alias="Functioning Day", isin=FUNCTIONING)

    @pa.check("Hour", name="whole_number")
    def _whole_hour(cls, s):
        return integral(s)

    @pa.check(*_MEASURED, name="not_entirely_missing", element_wise=False)
    def _has_values(cls, s):
        return not_all_missing(s)

    class Config:
        unique = ("Date", "Hour")
        strict = False


class BikeHourlyClean(CleanBase, _BikeValues):
    holiday: Series[float] = pa.Field(isin=[0.0, 1.0], nullable=True)
    functioning: Series[float] = pa.Field(isin=[0.0, 1.0], nullable=True)
    hour_sin: Series[float] = pa.Field(ge=-1, le=1)
    hour_cos: Series[float] = pa.Field(ge=-1, le=1)
    dow_sin: Series[float] = pa.Field(ge=-1, le=1)
    dow_cos: Series[float] = pa.Field(ge=-1, le=1)

    class Config:
        strict = False
        coerce = False
