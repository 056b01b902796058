"""Draft storage: drafts and their immutable versions (tables of migration 0003_drafts).

A draft is one document kind for one engagement; every generation or edit adds a version,
so nothing a user wrote is ever overwritten.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.store.models import Base, utcnow


class Draft(Base):
    __tablename__ = "drafts"
    # Ids never reused (migration 0007): a deleted record's old link answers 404.
    __table_args__ = (
        UniqueConstraint("engagement_id", "kind", name="uq_draft_kind"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list[DraftVersion]] = relationship(
        back_populates="draft",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="DraftVersion.version",
    )


class DraftVersion(Base):
    __tablename__ = "draft_versions"
    # Ids never reused (migration 0007): a deleted record's old link answers 404.
    __table_args__ = (
        UniqueConstraint("draft_id", "version", name="uq_draft_version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16))
    based_on: Mapped[int | None] = mapped_column(Integer, nullable=True)
    engine: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(100))
    markdown: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    as_of: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    knowledge_version: Mapped[str] = mapped_column(String(64))
    prompt_version: Mapped[str] = mapped_column(String(200))
    documents_digest: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    draft: Mapped[Draft] = relationship(back_populates="versions")
