"""The ``forecast`` flow: the champion predicts the next horizon from the newest data."""

from __future__ import annotations

from prefect import flow

from seqcast.config import ForecastConfig
from tasks import forecast as f
from tasks import prepare as p


@flow(name="forecast", log_prints=True)
def forecast(config: ForecastConfig) -> str:
    """Validate and clean the newest data as in training, predict, append; returns the
    forecasts file."""
    champion = f.load_champion(config)
    data = champion.prepare
    cleaned = p.clean(p.validate(p.ingest(p.fetch_source(data), data), data), data)
    return f.append_forecast(config, f.predict_next(champion, cleaned, config.known))
