"""Drafts and their versions (tables), and the shapes the API and pages return.

A draft is one document kind for one engagement; every generation or edit adds an immutable
version, so nothing a user wrote is ever overwritten.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.analyse.models import DecisionKind
from app.draft.citations import DraftCitation
from app.draft.timeline import Timeline
from app.knowledge.drafts import DraftKind
from app.store.models import Base, utcnow

Engine = Literal["offline", "llm"]
Origin = Literal["generated", "edited"]
KIND_LABELS: dict[str, str] = {
    "agenda": "振り返りミーティング アジェンダ",
    "memo": "更新判断メモ",
    "proposal_request": "新たな価値のご提案のお願い",
}
ENGINE_LABELS: dict[str, str] = {"offline": "オフライン（テンプレート）", "llm": "LLM"}
ORIGIN_LABELS: dict[str, str] = {"generated": "生成", "edited": "編集"}


class Draft(Base):
    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("engagement_id", "kind", name="uq_draft_kind"),)

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
    __table_args__ = (UniqueConstraint("draft_id", "version", name="uq_draft_version"),)

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


class DraftRequest(BaseModel):
    kind: DraftKind
    author: str | None = Field(default=None, max_length=100, description="作成者名（任意）")


class DraftEdit(BaseModel):
    markdown: str = Field(min_length=1, max_length=200_000)
    author: str | None = Field(default=None, max_length=100)
    base_version: int | None = Field(
        default=None,
        description="編集の元にした版。最新でなければ 409（他の人の保存を上書きしない）",
    )


class PreviewIn(BaseModel):
    markdown: str = Field(max_length=200_000)


class PreviewOut(BaseModel):
    html: str
    problems: list[str]


class VersionSummary(BaseModel):
    version: int
    origin: Origin
    origin_label: str
    engine: Engine
    author: str
    created_at: dt.datetime
    based_on: int | None
    note: str | None


class DraftOut(BaseModel):
    """One version of a draft; `citations[n-1]` is what marker `[n]` in `markdown` points at."""

    id: int
    engagement_id: int
    kind: DraftKind
    kind_label: str
    version: int
    latest_version: int
    markdown: str
    citations: list[DraftCitation]
    decision: DecisionKind | None = Field(description="判断（更新判断メモのみ）")
    origin: Origin
    engine: Engine
    author: str
    created_at: dt.datetime
    as_of: dt.date | None
    knowledge_version: str
    prompt_version: str
    note: str | None
    stale: bool = Field(description="この版の作成後に文書が追加・削除された")
    problems: list[str] = Field(description="必須の見出しの欠落や解決できない出典番号")
    versions: list[VersionSummary]


class DraftSummary(BaseModel):
    id: int
    kind: DraftKind
    kind_label: str
    latest_version: int
    origin: Origin
    engine: Engine
    author: str
    updated_at: dt.datetime
    stale: bool


class RenewalRow(BaseModel):
    """One line of the renewal dashboard."""

    engagement_id: int
    vendor_name: str
    service: str
    renewal_date: dt.date
    document_count: int
    decision: DecisionKind | None = Field(description="保存済みの最新分析の判断（なければ null）")
    decision_label: str | None
    timeline: Timeline
