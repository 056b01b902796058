"""The server's own scheduled runs: reminders on `remind_schedule` (a five-field cron
string) and whatever the app adds (the daily re-analysis on `analysis_schedule`).

Each worker process may run one: the sent-reminders claim keeps a message single even when
several workers (or a cron job) fire at the same minute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from app.container import Container
from app.errors import ConfigError
from app.remind.service import run_reminders

log = logging.getLogger(__name__)


def parse_schedule(expression: str, *, name: str = "remind") -> CronTrigger:
    """The trigger of `RENEWAL_DESK_<NAME>_SCHEDULE`; a bad string names that setting."""
    try:
        return CronTrigger.from_crontab(expression)
    except ValueError as error:
        raise ConfigError(
            f"RENEWAL_DESK_{name.upper()}_SCHEDULE {expression!r} is not a cron string: {error}"
        ) from error


def _run(container: Container) -> None:
    for outcome in run_reminders(container=container):
        log.info("reminder: %s", outcome.line())


def _guarded(name: str, work: Callable[[], object]) -> None:
    try:
        work()
    except Exception:  # a failed run must not stop the scheduler; the next run retries
        log.exception("%s run failed", name)


def start_scheduler(
    container: Container, *, also: Mapping[str, tuple[str | None, Callable[[], object]]] = {}
) -> BackgroundScheduler | None:
    """A started scheduler with the reminders on `remind_schedule` and each of `also`
    (name → its `<name>_schedule` cron string or None for off, and the work); None when
    nothing is scheduled (the default)."""
    jobs = {
        name: (parse_schedule(expression, name=name), work)
        for name, (expression, work) in also.items()
        if expression
    }
    if container.settings.remind_schedule:
        jobs["reminders"] = (
            parse_schedule(container.settings.remind_schedule),
            partial(_run, container),
        )
    if not jobs:
        return None
    scheduler = BackgroundScheduler(daemon=True)
    for name, (trigger, work) in jobs.items():
        scheduler.add_job(
            _guarded, trigger, args=[name, work], id=name, max_instances=1, coalesce=True
        )
    scheduler.start()
    return scheduler
