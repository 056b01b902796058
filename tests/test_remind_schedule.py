"""The server's reminder schedule: off by default, a cron string starts it, a bad one stops
the app naming the setting."""

from __future__ import annotations

import pytest

from app.container import Container
from app.errors import ConfigError
from app.remind.schedule import parse_schedule, start_scheduler


def test_no_schedule_by_default(container: Container) -> None:
    assert container.settings.remind_schedule is None
    assert start_scheduler(container) is None


def test_a_cron_string_schedules_one_reminder_job(container: Container) -> None:
    container.settings.remind_schedule = "0 8 * * 1-5"
    scheduler = start_scheduler(container)
    assert scheduler is not None
    try:
        (job,) = scheduler.get_jobs()
        assert job.id == "reminders" and job.next_run_time is not None
        assert job.next_run_time.hour == 8 and job.next_run_time.weekday() < 5
    finally:
        scheduler.shutdown(wait=False)


def test_a_broken_cron_string_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="RENEWAL_DESK_REMIND_SCHEDULE"):
        parse_schedule("every morning")


def test_the_app_adds_its_own_scheduled_work(container: Container) -> None:
    ran: list[str] = []
    scheduler = start_scheduler(
        container, also={"analysis": ("5 0 * * *", lambda: ran.append("analysis"))}
    )
    assert scheduler is not None
    try:
        (job,) = scheduler.get_jobs()  # reminders stay off: only the added job
        assert job.id == "analysis" and job.next_run_time is not None
        assert (job.next_run_time.hour, job.next_run_time.minute) == (0, 5)
        job.func(*job.args)  # what the scheduler calls at that minute
        assert ran == ["analysis"]
    finally:
        scheduler.shutdown(wait=False)
    assert start_scheduler(container, also={"analysis": (None, lambda: None)}) is None
    with pytest.raises(ConfigError, match="RENEWAL_DESK_ANALYSIS_SCHEDULE"):
        start_scheduler(container, also={"analysis": ("daily", lambda: None)})
