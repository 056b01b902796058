"""Renewal timeline: notice deadline, review-meeting window, days left and an urgency status.

Pure date arithmetic (rubric, "Timing"): hold the review meeting 90–60 days before the
renewal date and never after the notice deadline, because after that date the client can no
longer act on what the meeting finds.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import jpholiday
from pydantic import BaseModel, Field

from app.knowledge.drafts import Timing

TimelineStatus = Literal["upcoming", "review_due", "notice_soon", "overdue"]
STATUS_LABELS: dict[str, str] = {
    "upcoming": "準備期間前",
    "review_due": "振り返り時期",
    "notice_soon": "予告期限間近",
    "overdue": "期限超過",
}
STATUS_RANK: dict[str, int] = {"overdue": 0, "notice_soon": 1, "review_due": 2, "upcoming": 3}
DEFAULT_TIMING = Timing(
    review_start_days=90,
    review_end_days=60,
    notice_soon_days=30,
    reply_lead_days=14,
    reply_min_business_days=5,
    meeting_lead_business_days=3,
    meeting_candidates=3,
)


class Timeline(BaseModel):
    engagement_id: int
    today: dt.date
    renewal_date: dt.date
    notice_days: int | None = Field(description="解約予告期間（日）。未登録なら null")
    notice_deadline: dt.date = Field(description="更新日 − 解約予告期間（未登録なら更新日）")
    review_start: dt.date
    review_end: dt.date = Field(description="振り返りの期限。解約予告期限より後にはならない")
    days_to_renewal: int
    days_to_notice: int
    days_to_review: int = Field(description="振り返り期間の開始まで（負なら開始済み）")
    status: TimelineStatus
    status_label: str
    review_passed: bool = Field(
        default=False, description="振り返りの標準時期（review_end）を過ぎている"
    )
    stage: str = Field(default="", description="振り返りの時期について今言えること（一文）")
    notes: list[str] = []

    @property
    def urgency(self) -> tuple[int, int, int]:
        """Sort key: worst status first, then the nearest notice deadline."""
        return (STATUS_RANK[self.status], self.days_to_notice, self.engagement_id)


def jdate(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _stage(*, today: dt.date, review_start: dt.date, review_end: dt.date, deadline: dt.date) -> str:
    """Where the review meeting stands today, in one sentence for pages and drafts."""
    if today < review_start:
        return (
            f"振り返りミーティングの時期（{jdate(review_start)}〜{jdate(review_end)}）まで"
            f"あと{(review_start - today).days}日です。"
        )
    if today <= review_end:
        return f"振り返りミーティングは{jdate(review_end)}までに行う必要があります。"
    if today < deadline:
        return (
            f"振り返りの標準時期（{jdate(review_end)}まで）を過ぎています。"
            f"解約予告期限（{jdate(deadline)}）までに、できるだけ早く実施してください。"
        )
    return f"振り返りの時期も解約予告期限（{jdate(deadline)}）も過ぎています。"


def compute_timeline(
    *,
    engagement_id: int,
    renewal_date: dt.date,
    notice_days: int | None,
    today: dt.date,
    timing: Timing = DEFAULT_TIMING,
) -> Timeline:
    notes: list[str] = []
    if notice_days is None:
        notice_deadline = renewal_date
        notes.append("解約予告期間が登録されていないため、更新日を予告期限として扱っています。")
    else:
        notice_deadline = renewal_date - dt.timedelta(days=notice_days)
        if notice_days == 0:
            notes.append("解約予告期間がないため、更新日が予告期限です。")
    review_start = renewal_date - dt.timedelta(days=timing.review_start_days)
    review_end = renewal_date - dt.timedelta(days=timing.review_end_days)
    if review_end > notice_deadline:
        # The usual window runs past the notice deadline: move it forward to end on it.
        length = review_end - review_start
        review_end = notice_deadline
        review_start = min(review_start, review_end - length)
        notes.append(
            "解約予告期限が振り返りの標準時期"
            f"（更新日の{timing.review_start_days}〜{timing.review_end_days}日前）より早いため、"
            "振り返りの期間を予告期限までに前倒ししています。"
        )
    days_to_renewal = (renewal_date - today).days
    days_to_notice = (notice_deadline - today).days
    days_to_review = (review_start - today).days
    status: TimelineStatus
    if days_to_notice < 0:
        status = "overdue"
        if days_to_renewal < 0:
            notes.append(
                f"更新日（{jdate(renewal_date)}）を過ぎています。契約が更新されたのか、"
                "終了したのかを契約書と先方への通知で確認してください。"
            )
        else:
            notes.append(
                f"解約予告期限（{jdate(notice_deadline)}）を過ぎています。契約書に自動更新の定めが"
                f"あれば{jdate(renewal_date)}に更新され、なければ満了で終了します。"
                "今からできるのは、次期の条件の見直しを協議すること、中途解約の条項を確認すること、"
                "合意があれば予告期限後でも更新しない旨を申し入れることです。"
            )
    elif days_to_notice <= timing.notice_soon_days:
        status = "notice_soon"
    elif days_to_review <= 0:
        status = "review_due"
    else:
        status = "upcoming"
    review_passed = today > review_end
    stage = _stage(
        today=today, review_start=review_start, review_end=review_end, deadline=notice_deadline
    )
    return Timeline(
        engagement_id=engagement_id,
        today=today,
        renewal_date=renewal_date,
        notice_days=notice_days,
        notice_deadline=notice_deadline,
        review_start=review_start,
        review_end=review_end,
        days_to_renewal=days_to_renewal,
        days_to_notice=days_to_notice,
        days_to_review=days_to_review,
        status=status,
        status_label=STATUS_LABELS[status],
        review_passed=review_passed,
        stage=stage,
        notes=notes,
    )


def is_business_day(day: dt.date) -> bool:
    """Weekdays that are not Japanese public holidays (jpholiday) nor the year-end break."""
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def add_business_days(day: dt.date, count: int) -> dt.date:
    """The `count`-th business day after `day`."""
    current = day
    while count > 0:
        current += dt.timedelta(days=1)
        count -= is_business_day(current)
    return current


def business_day_on_or_before(day: dt.date) -> dt.date:
    while not is_business_day(day):
        day -= dt.timedelta(days=1)
    return day


def last_business_day_before(day: dt.date) -> dt.date:
    return business_day_on_or_before(day - dt.timedelta(days=1))


def business_days_before(day: dt.date, count: int) -> dt.date:
    """The `count`-th business day before `day`."""
    current = day
    while count > 0:
        current -= dt.timedelta(days=1)
        count -= is_business_day(current)
    return current


def review_dates(
    timeline: Timeline, *, timing: Timing = DEFAULT_TIMING
) -> tuple[dt.date | None, list[dt.date]]:
    """The proposals' reply-by date and the meeting candidates, chosen together so they agree.

    The reply-by day aims at `reply_lead_days` before the notice deadline (at least
    `reply_min_business_days` from today); the meetings follow it after
    `reply_reading_business_days`, so the proposals can be read first. While the review
    window is still open the reply-by day moves earlier so the candidates fit inside it;
    after the window, before the notice deadline. No reply-by day when no such pair of days
    is left (the letter then asks to agree one); the meetings are then the earliest days.
    """
    reading = timing.reply_reading_business_days
    count = timing.meeting_candidates
    earliest_reply = add_business_days(timeline.today, timing.reply_min_business_days)
    latest = min(last_business_day_before(timeline.notice_deadline), timeline.renewal_date)
    window_end = business_day_on_or_before(min(timeline.review_end, latest))
    soonest = max(
        timeline.review_start,
        add_business_days(timeline.today, timing.meeting_lead_business_days),
    )
    soonest = soonest if is_business_day(soonest) else add_business_days(soonest, 1)
    target = business_day_on_or_before(
        min(
            timeline.notice_deadline - dt.timedelta(days=timing.reply_lead_days),
            timeline.review_end,
        )
    )
    reply: dt.date | None = None
    end = latest
    for last in (
        window_end,
        latest,
    ):  # inside the window when it still fits, else before the deadline
        if add_business_days(earliest_reply, reading) > last:
            continue
        back = count - 1 if last == window_end else 0
        reply = max(earliest_reply, min(target, business_days_before(last, reading + back)))
        end = last
        break
    first = max(soonest, add_business_days(reply, reading)) if reply else soonest
    if first > end:
        end = latest
    days: list[dt.date] = []
    day = first
    while day <= end and len(days) < count:
        days.append(day)
        day = add_business_days(day, 1)
    return reply, days
