"""Writing and reading the audit trail. Rows are only ever added: nothing here updates or
deletes one, and no route offers to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.actions import label
from app.core.spreadsheet_text import csv_text
from app.store.auth_tables import AuditEvent, User

MAX_TARGET = 300
MAX_ADDRESS = 64


@dataclass(frozen=True)
class AuditFilter:
    """What an admin asks the trail for; every field optional."""

    user_email: str | None = None
    action: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    limit: int = 500


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    user_email: str | None
    action: str
    action_label: str
    target: str | None
    detail: dict[str, Any]
    client_address: str | None


def record(
    session: Session,
    *,
    action: str,
    user_id: int | None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    client_address: str | None = None,
) -> None:
    """Add one event; the caller commits (its own transaction, so a trace never rolls back
    with the change it describes failing afterwards — or survives one that never happened)."""
    session.add(
        AuditEvent(
            action=action[:64],
            user_id=user_id,
            target=target[:MAX_TARGET] if target else None,
            detail=detail or {},
            client_address=client_address[:MAX_ADDRESS] if client_address else None,
        )
    )


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def query(session: Session, wanted: AuditFilter) -> list[AuditRow]:
    """Newest first, filtered by user, action and day range."""
    statement = (
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .order_by(AuditEvent.id.desc())
        .limit(max(1, min(wanted.limit, 10_000)))
    )
    if wanted.user_email:
        statement = statement.where(User.email == wanted.user_email)
    if wanted.action:
        statement = statement.where(AuditEvent.action == wanted.action)
    if wanted.since:
        statement = statement.where(AuditEvent.at >= _day_start(wanted.since))
    if wanted.until:
        statement = statement.where(AuditEvent.at < _day_start(wanted.until + dt.timedelta(1)))
    return [
        AuditRow(
            id=event.id,
            at=event.at if event.at.tzinfo else event.at.replace(tzinfo=dt.UTC),
            user_email=email,
            action=event.action,
            action_label=label(event.action),
            target=event.target,
            detail=dict(event.detail or {}),
            client_address=event.client_address,
        )
        for event, email in session.execute(statement)
    ]


def to_csv(rows: Iterable[AuditRow]) -> str:
    header = ["日時(UTC)", "ユーザー", "操作", "操作コード", "対象", "接続元", "詳細"]
    return csv_text(
        header,
        (
            [
                row.at.isoformat(timespec="seconds"),
                row.user_email or "",
                row.action_label,
                row.action,
                row.target or "",
                row.client_address or "",
                " ".join(f"{k}={v}" for k, v in sorted(row.detail.items())),
            ]
            for row in rows
        ),
    )
