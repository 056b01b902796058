"""What the document routes show, as plain functions (testable without HTTP): the answer to
a store, the document page's context, and the warnings about a stored document."""

from __future__ import annotations

from typing import Any

from app.container import Container
from app.ingest import engagements
from app.ingest.duplicates import month_warnings
from app.ingest.service import DocumentInput
from app.ingest.vectors import vectors_pending
from app.serve import schemas
from app.workflows import store_document

LONG_DOCUMENT_NOTE = (
    "長い文書のため、意味検索の索引はバックグラウンドで作成しています。"
    "キーワード検索と分析にはもう使えます。"
)


def warnings_of(*, container: Container, document_id: int) -> list[str]:
    """What the reader should check about a stored document: its period, and another
    monthly report for the same month (a correction, or the same month filed twice)."""
    found = engagements.document_warnings(container=container, document_id=document_id)
    return found + [
        duplicate.message + "二重に数えないよう、どちらかを削除してください。"
        for duplicate in month_warnings(container=container, document_id=document_id)
    ]


def ingest(*, container: Container, data: DocumentInput) -> schemas.IngestOut:
    """Store (idempotent; the analysis follows) and read the stored document back."""
    result = store_document(container=container, data=data)
    message = "保存しました。" if result.created else "同じ内容の文書が既に保存されています。"
    if result.vectors_pending:
        message += LONG_DOCUMENT_NOTE
    return schemas.IngestOut(
        created=result.created,
        message=message,
        document=engagements.get_document(container=container, document_id=result.document_id),
        warnings=warnings_of(container=container, document_id=result.document_id),
    )


def document_view(
    *, container: Container, document_id: int, start: int | None, end: int | None
) -> dict[str, Any]:
    """The document page: the stored text, its engagement, and the cited passage if any."""
    document = engagements.get_document(container=container, document_id=document_id)
    engagement = engagements.engagement_summary(
        container=container, engagement_id=document.engagement_id
    )
    highlight = None
    text = document.text
    if start is not None and end is not None and 0 <= start < end <= len(text):
        highlight = (text[:start], text[start:end], text[end:])
    warnings = warnings_of(container=container, document_id=document_id)
    return {
        "document": document,
        "engagement": engagement,
        "highlight": highlight,
        "warnings": warnings,
        "vectors_pending": vectors_pending(
            container=container, engagement_id=document.engagement_id, document_id=document_id
        ),
        "long_document_note": LONG_DOCUMENT_NOTE,
    }
