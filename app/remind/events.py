"""Which reminders are due on a day: pure date rules over a timeline and the stored months.

The review window and the notice deadline come from `app.renewals.timeline` (never
recomputed here); an event's key (a date or a month) is what the sent-reminders table keeps
unique, so an event fires on the first run that sees it and never again.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from app.renewals.timeline import Timeline

ReminderKind = Literal["review_window", "notice_deadline", "missing_report"]
REMINDER_KINDS: tuple[ReminderKind, ...] = ("review_window", "notice_deadline", "missing_report")

# A report missing for longer than this is old news: the dashboard shows it, and a run after
# months without reminders (a new install, a restored backup) does not send a year of mail.
MISSING_REPORT_LOOKBACK_DAYS = 92


@dataclass(frozen=True)
class ReminderRules:
    """The configurable days (settings `remind_*`)."""

    review_days_before: int
    notice_days: Sequence[int]
    missing_report_days: int


@dataclass(frozen=True)
class ReminderEvent:
    kind: ReminderKind
    event_key: str
    # The date the message talks about: window start, notice deadline, or the month's end.
    date: dt.date
    days_left: int = 0
    # For missing_report: the month (YYYY-MM) whose report has not arrived.
    period: str | None = None


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    """Every (year, month) from `start`'s month to `end`'s month, inclusive."""
    months: list[tuple[int, int]] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def review_window_event(
    timeline: Timeline, *, as_of: dt.date, rules: ReminderRules
) -> ReminderEvent | None:
    """From `review_days_before` days before the window opens until the window closes."""
    opens = timeline.review_start
    if opens - dt.timedelta(days=rules.review_days_before) <= as_of <= timeline.review_end:
        return ReminderEvent(
            kind="review_window",
            event_key=opens.isoformat(),
            date=opens,
            days_left=(opens - as_of).days,
        )
    return None


def notice_deadline_event(
    timeline: Timeline, *, as_of: dt.date, rules: ReminderRules
) -> ReminderEvent | None:
    """The smallest configured threshold reached: a run at 5 days left sends the 7-day
    message once, not the 30- and 14-day ones it missed."""
    days_left = (timeline.notice_deadline - as_of).days
    if days_left < 0:
        return None
    reached = [days for days in rules.notice_days if days_left <= days]
    if not reached:
        return None
    threshold = min(reached)
    return ReminderEvent(
        kind="notice_deadline",
        event_key=f"{timeline.notice_deadline.isoformat()}/{threshold}",
        date=timeline.notice_deadline,
        days_left=days_left,
    )


def missing_report_events(
    *,
    start_date: dt.date,
    renewal_date: dt.date,
    reported_periods: Collection[str],
    as_of: dt.date,
    rules: ReminderRules,
) -> list[ReminderEvent]:
    """Months of the contract that ended more than `missing_report_days` ago with no 月次報告."""
    events: list[ReminderEvent] = []
    last = min(as_of, renewal_date)
    for year, month in _months(start_date, last):
        month_end = _month_end(year, month)
        overdue = (as_of - month_end).days
        period = f"{year:04d}-{month:02d}"
        if overdue <= rules.missing_report_days or period in reported_periods:
            continue
        if overdue > MISSING_REPORT_LOOKBACK_DAYS:
            continue
        events.append(
            ReminderEvent(
                kind="missing_report",
                event_key=period,
                date=month_end,
                days_left=-overdue,
                period=period,
            )
        )
    return events


def due_events(
    timeline: Timeline,
    *,
    start_date: dt.date,
    reported_periods: Collection[str],
    as_of: dt.date,
    rules: ReminderRules,
) -> list[ReminderEvent]:
    """Every reminder due for one engagement on `as_of`."""
    events = [
        event
        for event in (
            review_window_event(timeline, as_of=as_of, rules=rules),
            notice_deadline_event(timeline, as_of=as_of, rules=rules),
        )
        if event is not None
    ]
    events += missing_report_events(
        start_date=start_date,
        renewal_date=timeline.renewal_date,
        reported_periods=reported_periods,
        as_of=as_of,
        rules=rules,
    )
    return events
