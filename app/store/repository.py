"""Plain queries over the relational store; no vectors here (see `app.ingest.service`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from app.errors import InvalidInput, NotFound
from app.store.models import Chunk, Document, Engagement, IndexGeneration, Job, Vendor

# A long document's vectors, written by a job after its rows (app.ingest.vectors).
EMBEDDING_JOB = "embedding"


def list_vendors(session: Session) -> list[Vendor]:
    return list(session.scalars(select(Vendor).order_by(Vendor.name)))


def get_or_create_vendor(session: Session, *, name: str) -> Vendor:
    name = name.strip()
    if not name:
        raise InvalidInput("代行会社名を入力してください。")
    if len(name) > 200:
        raise InvalidInput("代行会社名は200文字以内で入力してください。")
    vendor = session.scalar(select(Vendor).where(Vendor.name == name))
    if vendor is None:
        vendor = Vendor(name=name)
        session.add(vendor)
        session.flush()
    return vendor


def get_vendor(session: Session, vendor_id: int) -> Vendor:
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise NotFound(f"代行会社（ID {vendor_id}）が見つかりません。")
    return vendor


def create_engagement(
    session: Session,
    *,
    vendor_id: int,
    service: str,
    start_date: dt.date,
    renewal_date: dt.date,
    notice_days: int | None = None,
    monthly_fee_jpy: int | None = None,
    kpi_targets: dict[str, Any] | None = None,
    external_id: str | None = None,
) -> Engagement:
    get_vendor(session, vendor_id)
    if not service.strip():
        raise InvalidInput("サービス内容を入力してください。")
    if renewal_date < start_date:
        raise InvalidInput("更新日（契約満了日）は開始日より後の日付にしてください。")
    if notice_days is not None and notice_days < 0:
        raise InvalidInput("解約予告期間は0日以上で入力してください。")
    if monthly_fee_jpy is not None and monthly_fee_jpy < 0:
        raise InvalidInput("月額費用は0円以上で入力してください。")
    engagement = Engagement(
        vendor_id=vendor_id,
        service=service.strip(),
        start_date=start_date,
        renewal_date=renewal_date,
        notice_days=notice_days,
        monthly_fee_jpy=monthly_fee_jpy,
        kpi_targets=dict(kpi_targets or {}),
        external_id=external_id,
    )
    session.add(engagement)
    session.flush()
    return engagement


def list_engagements(session: Session) -> list[Engagement]:
    """Engagements with their vendors; documents stay unloaded (`document_counts` counts)."""
    statement = (
        select(Engagement)
        .options(selectinload(Engagement.vendor))
        .order_by(Engagement.renewal_date, Engagement.id)
    )
    return list(session.scalars(statement))


def document_counts(session: Session, engagement_ids: Iterable[int]) -> dict[int, int]:
    """Documents per engagement in one query: page headers need the number, not the texts."""
    wanted = list(engagement_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Document.engagement_id, func.count(Document.id))
        .where(Document.engagement_id.in_(wanted))
        .group_by(Document.engagement_id)
    )
    counts = {engagement_id: 0 for engagement_id in wanted}
    counts.update({engagement_id: count for engagement_id, count in rows})
    return counts


def get_engagement(
    session: Session, engagement_id: int, *, documents: bool = True, texts: bool = True
) -> Engagement:
    """The engagement and its vendor; its documents (with their texts unless `texts` is
    False, for lists that show titles only) unless `documents` is False."""
    options: list[Any] = [selectinload(Engagement.vendor)]
    if documents:
        loader = selectinload(Engagement.documents)
        options.append(loader if texts else loader.defer(Document.text))
    engagement = session.get(Engagement, engagement_id, options=options)
    if engagement is None:
        raise NotFound(f"契約（ID {engagement_id}）が見つかりません。")
    return engagement


def require_engagement(session: Session, engagement_id: int) -> Engagement:
    """Existence check without loading the engagement's documents (hot path of ingestion)."""
    engagement = session.get(Engagement, engagement_id)
    if engagement is None:
        raise NotFound(f"契約（ID {engagement_id}）が見つかりません。")
    return engagement


def find_engagement_by_external_id(session: Session, external_id: str) -> Engagement | None:
    return session.scalar(select(Engagement).where(Engagement.external_id == external_id))


def get_document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id, options=[selectinload(Document.chunks)])
    if document is None:
        raise NotFound(f"文書（ID {document_id}）が見つかりません。")
    return document


def find_document_by_hash(
    session: Session, *, engagement_id: int, content_hash: str
) -> Document | None:
    return session.scalar(
        select(Document).where(
            Document.engagement_id == engagement_id, Document.content_hash == content_hash
        )
    )


def list_documents(session: Session, *, engagement_id: int) -> list[Document]:
    statement = (
        select(Document).where(Document.engagement_id == engagement_id).order_by(Document.date)
    )
    return list(session.scalars(statement))


def all_chunks_with_documents(session: Session) -> list[tuple[Chunk, Document]]:
    statement = select(Chunk, Document).join(Document, Chunk.document_id == Document.id)
    return [(chunk, document) for chunk, document in session.execute(statement)]


def chunks_with_documents(
    session: Session, vector_ids: Iterable[str]
) -> list[tuple[Chunk, Document]]:
    """The chunks with these vector ids (in batches: an IN list has limits)."""
    wanted = sorted(vector_ids)
    found: list[tuple[Chunk, Document]] = []
    for at in range(0, len(wanted), 500):
        statement = (
            select(Chunk, Document)
            .join(Document, Chunk.document_id == Document.id)
            .where(Chunk.vector_id.in_(wanted[at : at + 500]))
        )
        found.extend(session.execute(statement))
    return found


def all_vector_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Chunk.vector_id)))


def index_generation(session: Session) -> int:
    value = session.scalar(select(IndexGeneration.value).where(IndexGeneration.id == 1))
    return int(value or 0)


def bump_index_generation(session: Session) -> None:
    """Inside the transaction that changes chunks: other processes see the change at once."""
    bumped = session.execute(
        update(IndexGeneration)
        .where(IndexGeneration.id == 1)
        .values(value=IndexGeneration.value + 1)
    )
    if not getattr(bumped, "rowcount", 1):
        session.add(IndexGeneration(id=1, value=1))


def vector_ids_of_engagement(session: Session, engagement_id: int) -> list[str]:
    statement = (
        select(Chunk.vector_id)
        .join(Document, Chunk.document_id == Document.id)
        .where(Document.engagement_id == engagement_id)
    )
    return list(session.scalars(statement))


def queue_job(session: Session, *, kind: str, engagement_id: int, payload: dict[str, Any]) -> int:
    """Add a queued job unless the same one is already waiting (inside the caller's
    transaction: a document and the job that finishes it commit together); returns its id."""
    waiting = session.scalars(
        select(Job).where(
            Job.kind == kind, Job.engagement_id == engagement_id, Job.status == "queued"
        )
    ).all()
    for job in waiting:
        if job.payload == payload:
            return job.id
    job = Job(kind=kind, engagement_id=engagement_id, payload=payload, status="queued")
    session.add(job)
    session.flush()
    return job.id


def embedding_waiting(session: Session, *, engagement_id: int, document_id: int) -> bool:
    """Whether the document's vectors are still to be written (a queued or running job)."""
    jobs = session.scalars(
        select(Job).where(
            Job.kind == EMBEDDING_JOB,
            Job.engagement_id == engagement_id,
            Job.status.in_(("queued", "running")),
        )
    )
    return any(job.payload.get("document_id") == document_id for job in jobs)
