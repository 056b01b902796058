"""Reminders already sent (migration 0009): one row per engagement, event and channel.

The UNIQUE key is what makes a reminder go out once: a sender inserts the row first and only
the process whose insert succeeds delivers, so two workers or a cron run beside a scheduled
run cannot both send the same message.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models import Base, utcnow


class SentReminder(Base):
    """A reminder claimed for delivery; `delivered_at` is set once the channel accepted it."""

    __tablename__ = "sent_reminders"
    __table_args__ = (
        UniqueConstraint(
            "engagement_id", "kind", "event_key", "channel", name="uq_sent_reminder_event"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), index=True
    )
    # review_window, notice_deadline or missing_report (app/remind/events.py).
    kind: Mapped[str] = mapped_column(String(32))
    # What makes the event unique within its kind: "2027-01-01" (a date), "2026-10" (a month).
    event_key: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
