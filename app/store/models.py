"""Relational model: vendors, engagements, documents and their chunks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class Vendor(Base):
    __tablename__ = "vendors"
    # Ids never reused (migration 0007): a deleted record's old link answers 404.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    engagements: Mapped[list[Engagement]] = relationship(
        back_populates="vendor", cascade="all, delete-orphan", passive_deletes=True
    )


class Engagement(Base):
    __tablename__ = "engagements"
    # Ids never reused (migration 0007): a deleted record's old link answers 404.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), index=True)
    service: Mapped[str] = mapped_column(String(300))
    start_date: Mapped[dt.date] = mapped_column(Date)
    renewal_date: Mapped[dt.date] = mapped_column(Date)
    notice_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    monthly_fee_jpy: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kpi_targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    # The parties a draft names (migration 0008): our side, and who speaks for the vendor.
    client_company: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_department: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    vendor_department: Mapped[str | None] = mapped_column(String(200), nullable=True)
    vendor_contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Our contact's title, telephone and e-mail for a letter's sign-off (migration 0012).
    client_title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_phone: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Who looks after the renewal and receives its reminders (migration 0009); a deleted
    # user leaves the engagement without an owner rather than deleting it.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_engagements_owner_id_users"),
        nullable=True,
        index=True,
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    vendor: Mapped[Vendor] = relationship(back_populates="engagements")
    documents: Mapped[list[Document]] = relationship(
        back_populates="engagement",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Document.date",
    )


class Document(Base):
    __tablename__ = "documents"
    # Ids never reused (migration 0007): a deleted record's old link answers 404.
    __table_args__ = (
        UniqueConstraint("engagement_id", "content_hash", name="uq_document_content"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    date: Mapped[dt.date] = mapped_column(Date)
    period: Mapped[str | None] = mapped_column(String(7), nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    source_filename: Mapped[str | None] = mapped_column(String(300), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    engagement: Mapped[Engagement] = relationship(back_populates="documents")
    chunks: Mapped[list[Chunk]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Chunk.ordinal",
    )


class Chunk(Base):
    __tablename__ = "chunks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    # Repeated Markdown table header (not part of the span) so a chunk of rows reads alone.
    prefix: Mapped[str] = mapped_column(Text, default="")
    # Space-joined normalised tokens: the BM25 index is rebuilt from these without re-tokenising.
    tokens: Mapped[str] = mapped_column(Text, default="")
    vector_id: Mapped[str] = mapped_column(String(100), unique=True)

    document: Mapped[Document] = relationship(back_populates="chunks")


class IndexGeneration(Base):
    """One row counting changes to the chunk set: every process compares it with the
    generation its in-memory BM25 catalogue was built at before it searches."""

    __tablename__ = "index_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class KpiValue(Base):
    """A KPI actual extracted from a document (re-derived on every analysis)."""

    __tablename__ = "kpi_values"
    __table_args__ = (UniqueConstraint("document_id", "key", name="uq_kpi_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)


class KpiCorrection(Base):
    """A user's correction, keyed by the document's content hash so it survives re-import.

    `value` None means "this document states no actual for this KPI".
    """

    __tablename__ = "kpi_corrections"
    __table_args__ = (
        UniqueConstraint("engagement_id", "content_hash", "key", name="uq_kpi_correction"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), index=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    corrected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AnalysisResult(Base):
    """The latest analysis of an engagement, stored so pages read it without recomputing."""

    __tablename__ = "analysis_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), unique=True
    )
    as_of: Mapped[dt.date] = mapped_column(Date)
    engine: Mapped[str] = mapped_column(String(16))
    knowledge_version: Mapped[str] = mapped_column(String(64))
    prompt_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Job(Base):
    """Background work (LLM-assisted analysis and drafting), claimed by any worker process.

    A row, not an in-memory queue, so several app processes share one queue and the page can
    show the status after a reload.
    """

    __tablename__ = "jobs"
    # Ids never reused (migration 0007): a deleted record's old link answers 404.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A bulk import (app/ingest/bulk.py): the batch the file belongs to and its bytes, kept
    # in the row so any worker process can read them, cleared once the file is handled.
    batch_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
