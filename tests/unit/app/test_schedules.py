"""Deployment schedules as the Prefect UI lists them: an hourly cron becomes an hourly
interval at the same minute (the UI's "Every hour", not "At 5 minutes past the hour every
day" squeezed to "+1"), and reads back as the cron it was made from."""

from __future__ import annotations

from datetime import timedelta

from seqcast.app.deployments import cron_of, schedule_of


def test_an_hourly_cron_is_an_hourly_interval_at_its_minute():
    schedule = schedule_of("5 * * * *", "Asia/Seoul")
    assert schedule.interval == timedelta(hours=1)
    assert (schedule.anchor_date.hour, schedule.anchor_date.minute) == (0, 5)
    assert schedule.timezone == "Asia/Seoul"
    assert cron_of(schedule) == "5 * * * *"


def test_every_other_cron_stays_a_cron():
    for cron in ("0 3 * * *", "* * * * *", "0 4 * * SUN", "5 */2 * * *"):
        schedule = schedule_of(cron)
        assert schedule.cron == cron and cron_of(schedule) == cron
