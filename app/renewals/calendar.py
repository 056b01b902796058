""".ics (RFC 5545) export of renewal deadlines, written by hand: three all-day events each.

No calendar library is needed for VEVENTs with dates; what matters is CRLF line ends, text
escaping and folding lines at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from app.renewals.timeline import Timeline

PRODID = "-//Renewal Desk//更新デスク//JA"


@dataclass(frozen=True)
class CalendarEntry:
    """One engagement's timeline with the names people know it by."""

    timeline: Timeline
    vendor_name: str
    service: str
    url: str


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Split into lines of at most 75 octets; continuation lines start with one space."""
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current = " "
            size = 1
        current += character
        size += width
    parts.append(current)
    return parts


def _date(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _event(
    *,
    uid: str,
    stamp: str,
    start: dt.date,
    end_inclusive: dt.date,
    summary: str,
    description: str,
    url: str,
    alarm_days: Iterable[int] = (),
) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_date(start)}",
        f"DTEND;VALUE=DATE:{_date(end_inclusive + dt.timedelta(days=1))}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        "TRANSP:TRANSPARENT",
    ]
    if url:
        lines.append(f"URL:{url}")
    for days in alarm_days:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{_escape(summary)}",
            f"TRIGGER:-P{days}D",
            "END:VALARM",
        ]
    lines.append("END:VEVENT")
    return lines


def _jdate(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def entry_events(entry: CalendarEntry, *, stamp: str) -> list[str]:
    t = entry.timeline
    name = f"{entry.vendor_name}（{entry.service}）"
    base = f"renewal-desk-{t.engagement_id}"
    notice = (
        f"解約予告期間 {t.notice_days}日" if t.notice_days is not None else "解約予告期間 未登録"
    )
    return [
        *_event(
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
        *_event(
            uid=f"{base}-notice@renewal-desk",
            stamp=stamp,
            start=t.notice_deadline,
            end_inclusive=t.notice_deadline,
            summary=f"解約予告期限：{name}",
            description=f"{notice}。この日までに更新するかどうかを決めて通知します。",
            url=entry.url,
            alarm_days=(14, 3),
        ),
        *_event(
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
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        "X-WR-TIMEZONE:Asia/Tokyo",
    ]
    for entry in entries:
        lines += entry_events(entry, stamp=stamp)
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
