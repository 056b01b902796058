"""Renewal timeline: notice deadline, review-meeting window, days left and an urgency status.

Pure date arithmetic (rubric, "Timing"): hold the review meeting 90–60 days before the
renewal date and never after the notice deadline, because after that date the client can no
longer act on what the meeting finds.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

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
    reply_min_days=7,
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
    notes: list[str] = []

    @property
    def urgency(self) -> tuple[int, int, int]:
        """Sort key: worst status first, then the nearest notice deadline."""
        return (STATUS_RANK[self.status], self.days_to_notice, self.engagement_id)


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
            notes.append("更新日（契約満了日）を過ぎています。契約の状態を確認してください。")
        else:
            notes.append(
                "解約予告期限を過ぎています。契約条件（自動更新の有無）を確認してください。"
            )
    elif days_to_notice <= timing.notice_soon_days:
        status = "notice_soon"
    elif days_to_review <= 0:
        status = "review_due"
    else:
        status = "upcoming"
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
        notes=notes,
    )


def reply_by_date(timeline: Timeline, *, timing: Timing = DEFAULT_TIMING) -> dt.date:
    """Reply-by date for the proposal request: before the notice deadline, with time to answer.

    Aims at `reply_lead_days` before the deadline (and no later than the review window's end,
    so proposals can be discussed there); never sooner than `reply_min_days` from today
    unless that would pass the deadline. After the deadline only the minimum lead remains.
    """
    today = timeline.today
    target = min(
        timeline.notice_deadline - dt.timedelta(days=timing.reply_lead_days),
        timeline.review_end,
    )
    earliest = today + dt.timedelta(days=timing.reply_min_days)
    if target >= earliest:
        return target
    if earliest < timeline.notice_deadline:
        return earliest
    if today < timeline.notice_deadline - dt.timedelta(days=1):
        return timeline.notice_deadline - dt.timedelta(days=1)
    return earliest
