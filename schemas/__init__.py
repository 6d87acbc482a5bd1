"""pandera schemas for the raw and the cleaned frame of each built-in dataset.

``SCHEMA_VERSION`` is part of every stage's cache key: bump it when a schema changes.
"""

from __future__ import annotations

import pandera.pandas as pa

from schemas.bike_hourly import BikeHourlyClean, BikeHourlyRaw
from schemas.weekly_temperature import WeeklyTemperatureClean, WeeklyTemperatureRaw

SCHEMA_VERSION = "1"

RAW: dict[str, type[pa.DataFrameModel]] = {
    "weekly-temperature": WeeklyTemperatureRaw,
    "bike-hourly": BikeHourlyRaw,
}
CLEAN: dict[str, type[pa.DataFrameModel]] = {
    "weekly-temperature": WeeklyTemperatureClean,
    "bike-hourly": BikeHourlyClean,
}

__all__ = ["CLEAN", "RAW", "SCHEMA_VERSION"]
