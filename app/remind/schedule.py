"""The server's own reminder run, on `remind_schedule` (a five-field cron string).

Each worker process may run one: the sent-reminders claim keeps a message single even when
several workers (or a cron job) fire at the same minute.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from app.container import Container
from app.errors import ConfigError
from app.remind.service import run_reminders

log = logging.getLogger(__name__)


def parse_schedule(expression: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(expression)
    except ValueError as error:
        raise ConfigError(
            f"RENEWAL_DESK_REMIND_SCHEDULE {expression!r} is not a cron string: {error}"
        ) from error


def _run(container: Container) -> None:
    try:
        for outcome in run_reminders(container=container):
            log.info("reminder: %s", outcome.line())
    except Exception:  # a failed run must not stop the scheduler; the next run retries
        log.exception("reminder run failed")


def start_scheduler(container: Container) -> BackgroundScheduler | None:
    """A started scheduler, or None when `remind_schedule` is unset (the default)."""
    expression = container.settings.remind_schedule
    if not expression:
        return None
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        _run,
        parse_schedule(expression),
        args=[container],
        id="reminders",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler
