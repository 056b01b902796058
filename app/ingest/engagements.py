"""Vendors, engagements and stored documents: create, read and delete (keyword-only services).

The pages and the JSON API call these; no route opens a session. Deleting an engagement
removes its vectors and BM25 entries too, so that one stays in `app.ingest.service`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from pydantic import ValidationError
from sqlalchemy import select

from app.container import Container
from app.core.vocabulary import PARTY_FIELDS
from app.errors import InvalidInput, NotFound
from app.ingest.models import (
    ChunkOut,
    DocumentOut,
    DocumentSummary,
    EngagementDetail,
    EngagementIn,
    EngagementOut,
    VendorOut,
    describe_validation,
)
from app.ingest.periods import term_warnings
from app.ingest.service import delete_engagement, parse_date
from app.store import repository
from app.store.models import Document, Engagement

__all__ = [
    "KPI_FORM_FIELDS",
    "PARTY_FIELDS",
    "create_engagement",
    "create_engagement_from_form",
    "create_vendor",
    "delete_engagement",
    "document_titles",
    "document_warnings",
    "engagement_summary",
    "get_document",
    "get_engagement",
    "list_documents",
    "list_engagements",
    "list_vendors",
    "require_engagement",
]

# The KPI targets the registration form asks for, with the unit the user types.
KPI_FORM_FIELDS = {
    "appointments": "アポ数（件/月）",
    "opportunity_rate": "商談化率（%）",
    "calls": "架電数（件/月）",
    "opportunities": "商談数（件/月）",
}


def _engagement_out(
    engagement: Engagement, *, today: dt.date, document_count: int
) -> EngagementOut:
    return EngagementOut(
        id=engagement.id,
        vendor=VendorOut(id=engagement.vendor.id, name=engagement.vendor.name),
        service=engagement.service,
        start_date=engagement.start_date,
        renewal_date=engagement.renewal_date,
        notice_days=engagement.notice_days,
        monthly_fee_jpy=engagement.monthly_fee_jpy,
        kpi_targets=engagement.kpi_targets or {},
        days_left=(engagement.renewal_date - today).days,
        document_count=document_count,
        **{name: getattr(engagement, name) for name in PARTY_FIELDS},
    )


def _document_summary(document: Document) -> DocumentSummary:
    return DocumentSummary(
        id=document.id,
        kind=document.kind,  # type: ignore[arg-type]
        date=document.date,
        period=document.period,
        title=document.title,
        source_filename=document.source_filename,
        created_at=document.created_at,
    )


def _engagement_detail(engagement: Engagement, *, today: dt.date) -> EngagementDetail:
    return EngagementDetail(
        **_engagement_out(
            engagement, today=today, document_count=len(engagement.documents)
        ).model_dump(),
        documents=[_document_summary(document) for document in engagement.documents],
    )


def _document_out(document: Document) -> DocumentOut:
    return DocumentOut(
        **_document_summary(document).model_dump(),
        engagement_id=document.engagement_id,
        text=document.text,
        content_hash=document.content_hash,
        chunks=[
            ChunkOut(
                ordinal=chunk.ordinal,
                start=chunk.start,
                end=chunk.end,
                prefix=chunk.prefix,
                text=document.text[chunk.start : chunk.end],
            )
            for chunk in document.chunks
        ],
    )


# --- vendors -------------------------------------------------------------------------------


def list_vendors(*, container: Container) -> list[VendorOut]:
    with container.session_factory() as session:
        return [VendorOut(id=v.id, name=v.name) for v in repository.list_vendors(session)]


def create_vendor(*, container: Container, name: str) -> VendorOut:
    """The vendor of that name, created if new (the same name twice is one vendor)."""
    with container.session_factory() as session:
        vendor = repository.get_or_create_vendor(session, name=name)
        session.commit()
        return VendorOut(id=vendor.id, name=vendor.name)


# --- engagements ---------------------------------------------------------------------------


def list_engagements(*, container: Container, today: dt.date | None = None) -> list[EngagementOut]:
    today = today or dt.date.today()
    with container.session_factory() as session:
        rows = repository.list_engagements(session)
        counts = repository.document_counts(session, (row.id for row in rows))
        return [_engagement_out(e, today=today, document_count=counts[e.id]) for e in rows]


def create_engagement(
    *,
    container: Container,
    service: str,
    start_date: dt.date,
    renewal_date: dt.date,
    vendor_id: int | None = None,
    vendor_name: str | None = None,
    notice_days: int | None = None,
    monthly_fee_jpy: int | None = None,
    kpi_targets: Mapping[str, float] | None = None,
    parties: Mapping[str, str | None] | None = None,
) -> EngagementDetail:
    """Create an engagement for an existing vendor (`vendor_id`) or one named `vendor_name`;
    `parties` are the names drafts use (PARTY_FIELDS, all optional)."""
    with container.session_factory() as session:
        if vendor_id is not None:
            vendor_id = repository.get_vendor(session, vendor_id).id
        elif vendor_name:
            vendor_id = repository.get_or_create_vendor(session, name=vendor_name).id
        else:
            raise InvalidInput("vendor_id または vendor_name を指定してください。")
        engagement = repository.create_engagement(
            session,
            vendor_id=vendor_id,
            service=service,
            start_date=start_date,
            renewal_date=renewal_date,
            notice_days=notice_days,
            monthly_fee_jpy=monthly_fee_jpy,
            kpi_targets=dict(kpi_targets or {}),
        )
        for name in PARTY_FIELDS:
            value = " ".join(((parties or {}).get(name) or "").split())
            setattr(engagement, name, value or None)
        session.commit()
        engagement = repository.get_engagement(session, engagement.id)
        return _engagement_detail(engagement, today=dt.date.today())


def _optional_int(value: str, label: str) -> int | None:
    value = value.strip().replace(",", "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError as error:
        raise InvalidInput(f"{label}は整数で入力してください。") from error


def _kpi_targets(values: Mapping[str, str]) -> dict[str, float]:
    targets: dict[str, float] = {}
    for key, label in KPI_FORM_FIELDS.items():
        raw = values.get(f"kpi_{key}", "").strip()
        if raw:
            try:
                targets[key] = float(raw)
            except ValueError as error:
                raise InvalidInput(f"{label}の目標は数値で入力してください。") from error
    return targets


def create_engagement_from_form(*, container: Container, values: Mapping[str, str]) -> int:
    """The registration form as typed (strings, Japanese errors); returns the new id."""
    kpi_targets = _kpi_targets(values)
    vendor_name = values.get("vendor_name", "").strip()
    if not vendor_name:
        raise InvalidInput("代行会社名を入力してください。")
    parties = {name: values.get(name, "").strip() or None for name in PARTY_FIELDS}
    try:  # the API's schema, so the form has the API's limits
        form = EngagementIn.model_validate(
            {
                "vendor_name": vendor_name,
                "service": values.get("service", ""),
                "start_date": parse_date(values.get("start_date", ""), label="開始日"),
                "renewal_date": parse_date(values.get("renewal_date", ""), label="更新日"),
                "notice_days": _optional_int(values.get("notice_days", ""), "解約予告期間"),
                "monthly_fee_jpy": _optional_int(values.get("monthly_fee_jpy", ""), "月額費用"),
                "kpi_targets": kpi_targets,
                **parties,
            }
        )
    except ValidationError as error:
        raise InvalidInput(describe_validation(error)) from error
    detail = create_engagement(
        container=container,
        vendor_name=form.vendor_name,
        service=form.service,
        start_date=form.start_date,
        renewal_date=form.renewal_date,
        notice_days=form.notice_days,
        monthly_fee_jpy=form.monthly_fee_jpy,
        kpi_targets=form.kpi_targets,
        parties={name: getattr(form, name) for name in PARTY_FIELDS},
    )
    return detail.id


def get_engagement(
    *, container: Container, engagement_id: int, today: dt.date | None = None
) -> EngagementDetail:
    """The engagement with its documents (oldest first), or NotFound."""
    with container.session_factory() as session:
        engagement = repository.get_engagement(session, engagement_id, texts=False)
        return _engagement_detail(engagement, today=today or dt.date.today())


def engagement_summary(
    *, container: Container, engagement_id: int, today: dt.date | None = None
) -> EngagementOut:
    """The engagement without its document list (page headers), or NotFound."""
    with container.session_factory() as session:
        engagement = repository.get_engagement(session, engagement_id, documents=False)
        count = repository.document_counts(session, [engagement_id])[engagement_id]
        return _engagement_out(engagement, today=today or dt.date.today(), document_count=count)


def require_engagement(*, container: Container, engagement_id: int) -> None:
    """NotFound unless the engagement exists (checked before reading an upload)."""
    with container.session_factory() as session:
        repository.require_engagement(session, engagement_id)


# --- documents -----------------------------------------------------------------------------


def list_documents(*, container: Container, engagement_id: int) -> list[DocumentSummary]:
    with container.session_factory() as session:
        repository.require_engagement(session, engagement_id)
        documents = repository.list_documents(session, engagement_id=engagement_id)
        return [_document_summary(d) for d in documents]


def get_document(*, container: Container, document_id: int) -> DocumentOut:
    """The stored text with its chunks (offsets into the text), or NotFound."""
    with container.session_factory() as session:
        return _document_out(repository.get_document(session, document_id))


def document_warnings(
    *, container: Container, document_id: int, today: dt.date | None = None
) -> list[str]:
    """Why the document's date or period looks mistyped against its engagement's term
    (shown after storing; the document is kept either way)."""
    with container.session_factory() as session:
        document = repository.get_document(session, document_id)
        engagement = document.engagement
        return term_warnings(
            period=document.period,
            date=document.date,
            start_date=engagement.start_date,
            end_date=engagement.renewal_date,
            today=today or dt.date.today(),
        )


def document_titles(*, container: Container, document_ids: Iterable[int]) -> dict[int, str]:
    """Titles by document id (search hits name their document)."""
    wanted = set(document_ids)
    if not wanted:
        return {}
    with container.session_factory() as session:
        rows = session.execute(select(Document.id, Document.title).where(Document.id.in_(wanted)))
        titles = {document_id: title for document_id, title in rows}
    missing = wanted - titles.keys()
    if missing:  # deleted between the search and this read
        raise NotFound(f"文書（ID {min(missing)}）が見つかりません。")
    return titles
