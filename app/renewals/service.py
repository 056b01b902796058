"""Renewal service: timelines, the dashboard and calendars, read from the stored engagements.

The only module of the renewals feature that touches the database; the date arithmetic is
`timeline` and the .ics text is `calendar`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.analyse.models import DECISION_LABELS, DecisionKind
from app.analyse.stored import stored_digests
from app.container import Container
from app.errors import NotFound
from app.renewals.calendar import CalendarEntry, render_calendar
from app.renewals.models import RenewalRow
from app.renewals.timeline import Timeline, compute_timeline
from app.store import repository
from app.store.models import Document, Engagement, Vendor


def timeline_for(
    *, container: Container, engagement_id: int, today: dt.date | None = None
) -> Timeline:
    """One engagement's notice deadline, review window and status as of `today`."""
    with container.session_factory() as session:
        engagement = repository.require_engagement(session, engagement_id)
        return compute_timeline(
            engagement_id=engagement.id,
            renewal_date=engagement.renewal_date,
            notice_days=engagement.notice_days,
            today=today or dt.date.today(),
            timing=container.knowledge.drafts.timing,
        )


def _stored_decisions(container: Container) -> dict[int, DecisionKind]:
    """The decision of each engagement's stored analysis (the dashboard never re-analyses),
    read once per stored version rather than parsing every stored result on each page."""
    return stored_digests(
        container=container,
        slot="decision",
        digest=lambda analysis: analysis.decision.decision,
        current_only=False,
    )


def renewal_overview(*, container: Container, today: dt.date | None = None) -> list[RenewalRow]:
    """Every engagement with its timeline, most urgent first (the renewal dashboard)."""
    today = today or dt.date.today()
    timing = container.knowledge.drafts.timing
    decisions = _stored_decisions(container)
    with container.session_factory() as session:
        counts = dict(
            session.execute(
                select(Document.engagement_id, func.count(Document.id)).group_by(
                    Document.engagement_id
                )
            ).all()
        )
        rows = [
            RenewalRow(
                engagement_id=e.id,
                vendor_name=e.name,
                service=e.service,
                renewal_date=e.renewal_date,
                document_count=counts.get(e.id, 0),
                decision=decisions.get(e.id),
                decision_label=DECISION_LABELS.get(decisions.get(e.id, ""), None),
                timeline=compute_timeline(
                    engagement_id=e.id,
                    renewal_date=e.renewal_date,
                    notice_days=e.notice_days,
                    today=today,
                    timing=timing,
                ),
            )
            # Plain rows (not repository.list_engagements: that loads every document's text;
            # ORM objects per engagement and vendor were most of this at 1,000 engagements).
            for e in session.execute(
                select(
                    Engagement.id,
                    Vendor.name,
                    Engagement.service,
                    Engagement.renewal_date,
                    Engagement.notice_days,
                ).join(Vendor, Vendor.id == Engagement.vendor_id)
            )
        ]
    return sorted(rows, key=lambda row: row.timeline.urgency)


def calendar_ics(
    *, container: Container, engagement_id: int | None, base_url: str
) -> tuple[str, str]:
    """(ics text, file name) for one engagement, or for all of them when `engagement_id` is None."""
    rows = renewal_overview(container=container)
    if engagement_id is not None:
        rows = [row for row in rows if row.engagement_id == engagement_id]
        if not rows:
            raise NotFound(f"契約（ID {engagement_id}）が見つかりません。")
    entries = [
        CalendarEntry(
            timeline=row.timeline,
            vendor_name=row.vendor_name,
            service=row.service,
            url=f"{base_url.rstrip('/')}/engagements/{row.engagement_id}",
        )
        for row in rows
    ]
    name = (
        f"更新デスク：{rows[0].vendor_name}"
        if engagement_id is not None
        else "更新デスク：契約更新"
    )
    filename = (
        f"renewal-desk-engagement-{engagement_id}.ics"
        if engagement_id is not None
        else "renewal-desk.ics"
    )
    return render_calendar(entries, name=name, now=dt.datetime.now(dt.UTC)), filename
