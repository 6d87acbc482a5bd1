"""Synthetic sample data with the same columns and formats as the real Seoul files.

Plausible seasonality, nothing more: the bundled sample is for the quick start and tests, not
for judging models. ``scripts/make_sample_data.py`` writes it to ``data/raw/``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def weekly_temperature(years: range = range(2015, 2019), seed: int = 7) -> pd.DataFrame:
    """``year``, ``week`` (1..53 every year), ``AvgTemp``: an annual cycle, a level that shifts
    from year to year, and persistent (AR(1)) weather anomalies, so that, as in the real file,
    last year's value is no better a forecast than last week's."""
    rng = np.random.default_rng(seed)
    year = np.repeat(np.array(years), 53)
    week = np.tile(np.arange(1, 54), len(years))
    cycle = 12.5 - 14.5 * np.cos(2 * np.pi * (week - 3) / 53)
    level = np.repeat(rng.normal(0, 1.0, len(years)), 53)
    anomaly = np.zeros(len(week))
    shocks = rng.normal(0, 1.6, len(week))
    for i in range(1, len(week)):  # AR(1): a few hundred rows, generated once
        anomaly[i] = 0.7 * anomaly[i - 1] + shocks[i]
    return pd.DataFrame(
        {"year": year, "week": week, "AvgTemp": np.round(cycle + level + anomaly, 6)}
    )


def bike_hourly(start: str = "2018-03-01", days: int = 84, seed: int = 7) -> pd.DataFrame:
    """Hourly rentals driven by hour-of-day commute peaks, temperature and rain."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(start, periods=days * 24, freq="h")
    hour = times.hour.to_numpy()
    doy = times.dayofyear.to_numpy()
    weekend = times.dayofweek.to_numpy() >= 5
    temp = 13 - 13 * np.cos(2 * np.pi * (doy - 20) / 365) + 4 * np.sin(2 * np.pi * (hour - 9) / 24)
    temp = temp + np.cumsum(rng.normal(0, 0.25, len(times))) * 0.3
    humidity = np.clip(60 - 1.2 * (temp - 13) + rng.normal(0, 10, len(times)), 10, 98)
    rain = np.where(rng.random(len(times)) < 0.05, rng.gamma(1.2, 2.0, len(times)), 0.0)
    wind = np.clip(rng.gamma(2.0, 0.8, len(times)), 0, 7)
    visibility = np.clip(2000 - rain * 150 - rng.gamma(1.0, 150, len(times)), 30, 2000)
    dew = temp - (100 - humidity) / 5
    solar = np.clip(np.sin(np.pi * (hour - 6) / 13), 0, None) * (1.2 + 0.8 * (temp > 10))
    commute = np.exp(-((hour - 8) ** 2) / 2) + 1.3 * np.exp(-((hour - 18) ** 2) / 3)
    leisure = np.exp(-((hour - 15) ** 2) / 12)
    shape = np.where(weekend, 0.25 * commute + 1.1 * leisure, commute + 0.35 * leisure)
    level = 250 + 1100 * shape * np.clip((temp + 5) / 30, 0.1, 1.2)
    level = level * np.where(rain > 0, 0.25, 1.0) * np.where(hour < 5, 0.35, 1.0)
    holiday_days = {pd.Timestamp(start) + pd.Timedelta(days=d) for d in (4, 45)}
    day = times.normalize()
    holiday = np.array([d in holiday_days for d in day])
    level = level * np.where(holiday, 0.6, 1.0)
    closed_day = pd.Timestamp(start) + pd.Timedelta(days=30)
    functioning = day != closed_day
    count = np.where(functioning, np.round(level * rng.lognormal(0, 0.12, len(times))), 0)
    months = times.month.to_numpy()
    seasons = np.select(
        [np.isin(months, [12, 1, 2]), np.isin(months, [3, 4, 5]), np.isin(months, [6, 7, 8])],
        ["Winter", "Spring", "Summer"],
        "Autumn",
    )
    return pd.DataFrame(
        {
            "Date": times.strftime("%d/%m/%Y"),
            "Rented Bike Count": count.astype(int),
            "Hour": hour,
            "Temperature": np.round(temp, 1),
            "Humidity": np.round(humidity).astype(int),
            "Wind speed": np.round(wind, 1),
            "Visibility": np.round(visibility).astype(int),
            "Dew point temperature": np.round(dew, 1),
            "Solar Radiation": np.round(solar, 2),
            "Rainfall": np.round(rain, 1),
            "Snowfall": 0.0,
            "Seasons": seasons,
            "Holiday": np.where(holiday, "Holiday", "No Holiday"),
            "Functioning Day": np.where(functioning, "Yes", "No"),
        }
    )
