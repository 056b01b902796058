"""Engagement owners: who looks after a renewal and receives its reminders."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.container import Container
from app.errors import InvalidInput, NotFound
from app.store.auth_tables import User
from app.store.models import Engagement

# Viewers only read: an owner must be able to act on what a reminder asks.
OWNER_ROLES = ("editor", "admin")


class OwnerOut(BaseModel):
    engagement_id: int
    owner_id: int | None = Field(description="担当者のユーザー ID（未設定なら null）")
    owner_email: str | None


class OwnerChoice(BaseModel):
    id: int
    email: str


def _engagement(session: Session, engagement_id: int) -> Engagement:
    engagement = session.get(Engagement, engagement_id)
    if engagement is None:
        raise NotFound(f"契約（ID {engagement_id}）が見つかりません。")
    return engagement


def get_owner(*, container: Container, engagement_id: int) -> OwnerOut:
    with container.session_factory() as session:
        engagement = _engagement(session, engagement_id)
        user = session.get(User, engagement.owner_id) if engagement.owner_id else None
        return OwnerOut(
            engagement_id=engagement_id,
            owner_id=user.id if user else None,
            owner_email=user.email if user else None,
        )


def set_owner(*, container: Container, engagement_id: int, owner_id: int | None) -> OwnerOut:
    """Make an active editor or admin the owner, or clear the owner with None."""
    with container.session_factory() as session:
        engagement = _engagement(session, engagement_id)
        if owner_id is not None:
            user = session.get(User, owner_id)
            if user is None or not user.is_active or user.role not in OWNER_ROLES:
                raise InvalidInput(
                    f"ユーザー（ID {owner_id}）は担当者にできません。"
                    "有効な編集者か管理者を指定してください。"
                )
        engagement.owner_id = owner_id
        session.commit()
    return get_owner(container=container, engagement_id=engagement_id)


def owner_choices(*, container: Container) -> list[OwnerChoice]:
    with container.session_factory() as session:
        users = session.scalars(
            select(User)
            .where(User.is_active.is_(True), User.role.in_(OWNER_ROLES))
            .order_by(User.email)
        )
        return [OwnerChoice(id=user.id, email=user.email) for user in users]


def owner_emails(*, container: Container) -> dict[int, str]:
    """Engagement id → its owner's address, for the renewal dashboard."""
    with container.session_factory() as session:
        rows = session.execute(
            select(Engagement.id, User.email).join(User, Engagement.owner_id == User.id)
        )
        return {engagement_id: email for engagement_id, email in rows}
