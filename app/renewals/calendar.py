""".ics (RFC 5545) export of renewal deadlines: three all-day events per engagement.

Written with `icalendar`, which escapes text (`\\`, `;`, `,`, CR and LF), folds lines at 75
octets without splitting a UTF-8 character and ends every line with CRLF: a vendor name
holding a bare CR or `BEGIN:VEVENT` stays one property of one event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import icalendar

from app.renewals.timeline import Timeline

PRODID = "-//Renewal Desk//更新デスク//JA"


@dataclass(frozen=True)
class CalendarEntry:
    """One engagement's timeline with the names people know it by."""

    timeline: Timeline
    vendor_name: str
    service: str
    url: str


def _event(
    *,
    uid: str,
    stamp: dt.datetime,
    start: dt.date,
    end_inclusive: dt.date,
    summary: str,
    description: str,
    url: str,
    alarm_days: Iterable[int] = (),
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end_inclusive + dt.timedelta(days=1))  # DTEND of a date is exclusive
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    if url:
        event.add("url", url)
    for days in alarm_days:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", dt.timedelta(days=-days))
        event.add_component(alarm)
    return event


def _jdate(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def entry_events(entry: CalendarEntry, *, stamp: dt.datetime) -> list[icalendar.Event]:
    """Review window, notice deadline (with reminders 14 and 3 days before) and renewal date."""
    t = entry.timeline
    name = f"{entry.vendor_name}（{entry.service}）"
    base = f"renewal-desk-{t.engagement_id}"
    notice = (
        f"解約予告期間 {t.notice_days}日" if t.notice_days is not None else "解約予告期間 未登録"
    )
    return [
        _event(
            uid=f"{base}-review@renewal-desk",
            stamp=stamp,
            start=t.review_start,
            end_inclusive=max(t.review_start, t.review_end),
            summary=f"振り返りミーティング実施期間：{name}",
            description=(
                f"更新日 {_jdate(t.renewal_date)} の前に振り返りミーティングを行う期間です。"
                f"解約予告期限 {_jdate(t.notice_deadline)} より前に実施してください。"
            ),
            url=entry.url,
        ),
        _event(
            uid=f"{base}-notice@renewal-desk",
            stamp=stamp,
            start=t.notice_deadline,
            end_inclusive=t.notice_deadline,
            summary=f"解約予告期限：{name}",
            description=f"{notice}。この日までに更新するかどうかを決めて通知します。",
            url=entry.url,
            alarm_days=(14, 3),
        ),
        _event(
            uid=f"{base}-renewal@renewal-desk",
            stamp=stamp,
            start=t.renewal_date,
            end_inclusive=t.renewal_date,
            summary=f"契約更新日：{name}",
            description=f"契約の満了日（更新日）です。{notice}。",
            url=entry.url,
        ),
    ]


def render_calendar(entries: Iterable[CalendarEntry], *, name: str, now: dt.datetime) -> str:
    """A VCALENDAR with the review window, notice deadline and renewal date of each entry."""
    stamp = now.astimezone(dt.UTC).replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # X- properties have no declared type: vText makes icalendar escape them like SUMMARY.
    calendar.add("x-wr-calname", icalendar.vText(name))
    calendar.add("x-wr-timezone", icalendar.vText("Asia/Tokyo"))
    for entry in entries:
        for event in entry_events(entry, stamp=stamp):
            calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical.decode("utf-8")
