"""Run the reminders once: find what is due, claim it in `sent_reminders`, then deliver.

Insert-first: the UNIQUE row is committed before anything is sent, so whichever process
commits it first is the only one that sends (two workers, or cron beside the scheduler). A
delivery that fails removes its claim so the next run tries again; a process killed between
claim and delivery leaves the claim, and that message is not sent (at most once, by design).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.container import Container
from app.remind.events import ReminderEvent, ReminderRules, due_events
from app.remind.messages import Message, render_message
from app.renewals.models import RenewalRow
from app.renewals.service import renewal_overview
from app.renewals.timeline import jdate
from app.store.auth_tables import User
from app.store.models import Document, Engagement, utcnow
from app.store.reminder_tables import SentReminder

Channel = Literal["email", "webhook"]
Status = Literal["sent", "would_send", "already_sent", "failed", "no_recipient"]
STATUS_LABELS: dict[Status, str] = {
    "sent": "送信しました",
    "would_send": "送信予定（--dry-run のため未送信）",
    "already_sent": "送信済みのため省略",
    "failed": "送信に失敗しました（次回再送します）",
    "no_recipient": "宛先がありません",
}
MONTHLY_REPORT_KIND = "vendor_report"


@dataclass(frozen=True)
class Outcome:
    engagement_id: int
    kind: str
    event_key: str
    channel: Channel
    recipient: str
    subject: str
    status: Status
    error: str | None = None

    def line(self) -> str:
        """One line of `renewal-desk remind` output."""
        tail = f": {self.error}" if self.error else ""
        return (
            f"{STATUS_LABELS[self.status]}\t契約{self.engagement_id}\t{self.kind}\t"
            f"{self.event_key}\t{self.channel}\t{self.recipient}\t{self.subject}{tail}"
        )


@dataclass(frozen=True)
class _Context:
    """What the database says about one engagement beyond its dashboard row."""

    start_date: dt.date
    recipients: tuple[str, ...]
    periods: frozenset[str]


def rules_from(container: Container) -> ReminderRules:
    settings = container.settings
    return ReminderRules(
        review_days_before=settings.remind_review_days_before,
        notice_days=settings.remind_notice_days,
        missing_report_days=settings.remind_missing_report_days,
    )


def _contexts(container: Container) -> dict[int, _Context]:
    """Start date, owner address (active admins when there is no owner) and reported months."""
    with container.session_factory() as session:
        users = {user.id: user for user in session.scalars(select(User))}
        admins = tuple(sorted(u.email for u in users.values() if u.is_active and u.role == "admin"))
        periods: dict[int, set[str]] = defaultdict(set)
        for engagement_id, period, date in session.execute(
            select(Document.engagement_id, Document.period, Document.date).where(
                Document.kind == MONTHLY_REPORT_KIND
            )
        ):
            periods[engagement_id].add(period or date.strftime("%Y-%m"))
        contexts: dict[int, _Context] = {}
        for engagement_id, start_date, owner_id in session.execute(
            select(Engagement.id, Engagement.start_date, Engagement.owner_id)
        ):
            owner = users.get(owner_id) if owner_id is not None else None
            recipients = (owner.email,) if owner is not None and owner.is_active else admins
            contexts[engagement_id] = _Context(
                start_date=start_date,
                recipients=recipients,
                periods=frozenset(periods.get(engagement_id, set())),
            )
    return contexts


def _values(row: RenewalRow, event: ReminderEvent, *, public_url: str) -> dict[str, object]:
    timeline = row.timeline
    values: dict[str, object] = {
        "vendor": row.vendor_name,
        "service": row.service,
        "url": f"{public_url.rstrip('/')}/engagements/{row.engagement_id}",
        "owner": "ご担当者様",
        "renewal_date": jdate(timeline.renewal_date),
        "notice_deadline": jdate(timeline.notice_deadline),
        "review_start": jdate(timeline.review_start),
        "review_end": jdate(timeline.review_end),
        "days_left": event.days_left,
        "decision": row.decision_label or "",
    }
    if event.period is not None:
        year, month = event.period.split("-")
        values.update(
            month=f"{int(year)}年{int(month)}月度",
            period=event.period,
            days_overdue=-event.days_left,
        )
    return values


def _deliver(
    container: Container, *, channel: Channel, recipients: tuple[str, ...], message: Message
) -> None:
    if channel == "webhook":
        assert container.webhook is not None
        container.webhook.post(title=message.subject, text=message.body)
        return
    assert container.mailer is not None
    email = EmailMessage()
    email["Subject"] = message.subject
    email["To"] = ", ".join(recipients)
    if container.settings.smtp_from:
        email["From"] = container.settings.smtp_from
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = make_msgid(domain="renewal-desk.invalid")
    email.set_content(message.body)
    container.mailer.send(email)


def _claim(container: Container, claim: SentReminder) -> int | None:
    """The claim's id, or None when another run has already claimed this event."""
    with container.session_factory() as session:
        session.add(claim)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
        return claim.id


def _already_claimed(container: Container, *, engagement_id: int, event: ReminderEvent) -> set[str]:
    with container.session_factory() as session:
        return set(
            session.scalars(
                select(SentReminder.channel).where(
                    SentReminder.engagement_id == engagement_id,
                    SentReminder.kind == event.kind,
                    SentReminder.event_key == event.event_key,
                )
            )
        )


def _channels(container: Container, *, dry_run: bool) -> list[Channel]:
    channels: list[Channel] = []
    if container.mailer is not None or dry_run:
        channels.append("email")
    if container.webhook is not None:
        channels.append("webhook")
    return channels


def run_reminders(
    *, container: Container, as_of: dt.date | None = None, dry_run: bool = False
) -> list[Outcome]:
    """Every reminder due on `as_of` (today), each delivered at most once per channel."""
    as_of = as_of or dt.date.today()
    rules = rules_from(container)
    contexts = _contexts(container)
    outcomes: list[Outcome] = []
    for row in renewal_overview(container=container, today=as_of):
        context = contexts.get(row.engagement_id)
        if context is None:
            continue  # deleted between the two reads
        events = due_events(
            row.timeline,
            start_date=context.start_date,
            reported_periods=context.periods,
            as_of=as_of,
            rules=rules,
        )
        for event in events:
            message = render_message(
                prompts_dir=container.settings.prompts_dir,
                kind=event.kind,
                values=_values(row, event, public_url=container.settings.public_url),
            )
            claimed = _already_claimed(container, engagement_id=row.engagement_id, event=event)
            for channel in _channels(container, dry_run=dry_run):
                outcomes.append(
                    _send_one(
                        container,
                        row=row,
                        event=event,
                        channel=channel,
                        recipients=context.recipients,
                        message=message,
                        claimed=channel in claimed,
                        dry_run=dry_run,
                    )
                )
    return outcomes


def _send_one(
    container: Container,
    *,
    row: RenewalRow,
    event: ReminderEvent,
    channel: Channel,
    recipients: tuple[str, ...],
    message: Message,
    claimed: bool,
    dry_run: bool,
) -> Outcome:
    recipient = (
        ", ".join(recipients) if channel == "email" else container.settings.remind_webhook_url
    ) or ""
    outcome = Outcome(
        engagement_id=row.engagement_id,
        kind=event.kind,
        event_key=event.event_key,
        channel=channel,
        recipient=recipient,
        subject=message.subject,
        status="would_send",
    )
    if claimed:
        return replace(outcome, status="already_sent")
    if channel == "email" and not recipients:
        return replace(outcome, status="no_recipient")
    if dry_run:
        return outcome
    claim_id = _claim(
        container,
        SentReminder(
            engagement_id=row.engagement_id,
            kind=event.kind,
            event_key=event.event_key,
            recipient=recipient[:320],
            channel=channel,
            subject=message.subject,
        ),
    )
    if claim_id is None:
        return replace(outcome, status="already_sent")
    try:
        _deliver(container, channel=channel, recipients=recipients, message=message)
    except Exception as error:  # any delivery failure: give the claim back for the next run
        with container.session_factory() as session:
            session.execute(delete(SentReminder).where(SentReminder.id == claim_id))
            session.commit()
        return replace(outcome, status="failed", error=f"{type(error).__name__}: {error}")
    with container.session_factory() as session:
        session.execute(
            update(SentReminder).where(SentReminder.id == claim_id).values(delivered_at=utcnow())
        )
        session.commit()
    return replace(outcome, status="sent")
