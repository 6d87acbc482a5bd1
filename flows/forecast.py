"""The ``forecast`` flow: the champion predicts the next horizon from the newest data.

The steps are wired once (:func:`_forecast`). The flow calls them as Prefect tasks, so a run
is recorded on the server; :func:`forecast_in_process` calls the same tasks' functions in this
process, with no API at all, which is what ``seqcast forecast`` does when no Prefect server is
configured (starting a temporary one would cost more than the forecast itself).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import Task, flow

from seqcast.config import ForecastConfig
from tasks import forecast as f
from tasks import prepare as p

Step = Callable[[Task], Callable[..., Any]]


def _forecast(config: ForecastConfig, step: Step) -> str:
    champion = step(f.load_champion)(config)
    data = champion.prepare
    fetched = step(p.fetch_source)(data)
    cleaned = step(p.clean)(step(p.validate)(step(p.ingest)(fetched, data), data), data)
    scored = step(f.score_served)(config, champion, cleaned)  # earlier forecasts, actuals in
    forecast = step(f.predict_next)(champion, cleaned, config.known, scored)
    return step(f.append_forecast)(config, forecast)


@flow(name="forecast", log_prints=True)
def forecast(config: ForecastConfig) -> str:
    """Validate and clean the newest data as in training, score the earlier forecasts whose
    actuals arrived, predict, append; returns the forecasts file."""
    return _forecast(config, lambda task: task)


def forecast_in_process(config: ForecastConfig) -> str:
    """The flow's steps as plain function calls: the same forecast, no run recorded."""
    return _forecast(config, lambda task: task.fn)
