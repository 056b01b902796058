"""The .ics export read back by icalendar: hostile names cannot add or break events."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from app.renewals.calendar import CalendarEntry, render_calendar
from app.renewals.timeline import compute_timeline

HOSTILE_NAMES = [
    "株式会社テスト\rセールス",
    "株式会社テスト\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:偽の予定",
    "株式会社テスト\r\nEND:VCALENDAR",
    "株式会社テスト;セールス,東京\\支店",
    "株式会社テスト：" + "長い名前" * 40,
]


def _entry(engagement_id: int, vendor_name: str) -> CalendarEntry:
    return CalendarEntry(
        timeline=compute_timeline(
            engagement_id=engagement_id,
            renewal_date=dt.date(2026, 3, 31),
            notice_days=60,
            today=dt.date(2025, 11, 1),
        ),
        vendor_name=vendor_name,
        service="インサイドセールス代行, 架電;メール",
        url=f"http://127.0.0.1/engagements/{engagement_id}",
    )


@pytest.mark.parametrize("vendor_name", HOSTILE_NAMES)
def test_a_hostile_vendor_name_stays_inside_its_three_events(vendor_name: str) -> None:
    text = render_calendar(
        [_entry(1, vendor_name), _entry(2, "株式会社ふつう商事")],
        name=f"更新デスク：{vendor_name}",
        now=dt.datetime(2026, 1, 1, 9, 30, tzinfo=dt.UTC),
    )
    raw = text.encode("utf-8")
    # Every line ends with CRLF, no bare CR or LF is left, and folding keeps lines ≤ 75 octets.
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)

    calendar = icalendar.Calendar.from_ical(text)
    events = calendar.walk("VEVENT")
    assert len(events) == 6
    assert len(calendar.walk("VCALENDAR")) == 1
    summaries = [str(event["SUMMARY"]) for event in events]
    # The name comes back whole (line breaks as written, ; , \ unescaped) in its own events.
    expected = vendor_name.replace("\r\n", "\n").replace("\r", "\n")
    assert sum(expected in summary.replace("\r\n", "\n") for summary in summaries) == 3
    assert sum("株式会社ふつう商事" in summary for summary in summaries) == 3
    assert len({str(event["UID"]) for event in events}) == 6
    notice = next(
        event for event in events if str(event["UID"]) == "renewal-desk-1-notice@renewal-desk"
    )
    assert notice.decoded("DTSTART") == dt.date(2026, 1, 30)
    assert [alarm.decoded("TRIGGER") for alarm in notice.walk("VALARM")] == [
        dt.timedelta(days=-14),
        dt.timedelta(days=-3),
    ]
