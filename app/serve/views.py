"""View-models shared by the HTML pages and the JSON API, built from stored rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby

from app.container import Container
from app.retrieve.bm25 import Bm25Filter
from app.retrieve.hybrid import SearchHit, SearchMode
from app.serve import schemas
from app.store import repository
from app.store.models import Document, Engagement


def engagement_out(engagement: Engagement, *, today: dt.date) -> schemas.EngagementOut:
    return schemas.EngagementOut(
        id=engagement.id,
        vendor=schemas.VendorOut(id=engagement.vendor.id, name=engagement.vendor.name),
        service=engagement.service,
        start_date=engagement.start_date,
        renewal_date=engagement.renewal_date,
        notice_days=engagement.notice_days,
        monthly_fee_jpy=engagement.monthly_fee_jpy,
        kpi_targets=engagement.kpi_targets or {},
        days_left=(engagement.renewal_date - today).days,
        document_count=len(engagement.documents),
    )


def document_summary(document: Document) -> schemas.DocumentSummary:
    return schemas.DocumentSummary(
        id=document.id,
        kind=document.kind,  # type: ignore[arg-type]
        date=document.date,
        period=document.period,
        title=document.title,
        source_filename=document.source_filename,
        created_at=document.created_at,
    )


def engagement_detail(engagement: Engagement, *, today: dt.date) -> schemas.EngagementDetail:
    return schemas.EngagementDetail(
        **engagement_out(engagement, today=today).model_dump(),
        documents=[document_summary(document) for document in engagement.documents],
    )


def document_out(document: Document) -> schemas.DocumentOut:
    return schemas.DocumentOut(
        **document_summary(document).model_dump(),
        engagement_id=document.engagement_id,
        text=document.text,
        content_hash=document.content_hash,
        chunks=[
            schemas.ChunkOut(
                ordinal=chunk.ordinal,
                start=chunk.start,
                end=chunk.end,
                prefix=chunk.prefix,
                text=document.text[chunk.start : chunk.end],
            )
            for chunk in document.chunks
        ],
    )


@dataclass(frozen=True)
class PeriodGroup:
    """Documents of one reporting month, for the engagement timeline."""

    period: str | None
    documents: list[Document]


def timeline(documents: list[Document]) -> list[PeriodGroup]:
    """Newest period first; documents without a period go by their date's month."""

    def key(document: Document) -> str:
        return document.period or document.date.strftime("%Y-%m")

    ordered = sorted(documents, key=lambda d: (key(d), d.date), reverse=True)
    return [PeriodGroup(period, list(group)) for period, group in groupby(ordered, key=key)]


def search(
    *,
    container: Container,
    query: str,
    mode: SearchMode,
    k: int,
    filters: Bm25Filter,
) -> schemas.SearchOut:
    hits: list[SearchHit] = container.retriever.search(query, k=k, mode=mode, filters=filters)
    titles: dict[int, str] = {}
    with container.session_factory() as session:
        for hit in hits:
            if hit.document_id not in titles:
                titles[hit.document_id] = repository.get_document(session, hit.document_id).title
    return schemas.SearchOut(
        query=query,
        mode=mode,
        hits=[
            schemas.SearchHitOut(
                document_id=hit.document_id,
                engagement_id=hit.engagement_id,
                kind=hit.kind,  # type: ignore[arg-type]
                period=hit.period,
                title=titles[hit.document_id],
                start=hit.start,
                end=hit.end,
                quote=hit.quote,
                score=hit.score,
                dense_rank=hit.dense_rank,
                bm25_rank=hit.bm25_rank,
            )
            for hit in hits
        ],
    )


def dashboard(*, container: Container, engagement_id: int) -> dict[str, object]:
    """Everything the engagement dashboard shows besides the document timeline."""
    from app.analyse.service import get_analysis
    from app.serve.charts import kpi_trend_svg

    analysis = get_analysis(container=container, engagement_id=engagement_id)
    kpi_defs = container.knowledge.kpi.kpis
    labels = {key: definition.label for key, definition in kpi_defs.items()}
    present = {key for month in analysis.kpi_table for key in month.values}
    columns = [key for key in kpi_defs if key in present]
    rate_keys = set(container.knowledge.engine.kpi.rate_keys)
    count_keys = [k for k in columns if k not in rate_keys and k != "revenue"][:4]
    targets = {
        key: cell.target
        for month in analysis.kpi_table
        for key, cell in month.values.items()
        if cell.target is not None
    }
    chart = kpi_trend_svg(analysis.kpi_table, keys=count_keys, labels=labels, targets=targets)
    return {
        "analysis": analysis,
        "kpi_columns": columns,
        "kpi_labels": labels,
        "kpi_chart": chart,
        "signal_order": ["proactivity", "communication", "dependency"],
    }
