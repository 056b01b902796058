"""The scale benchmark's bulk fill stores what `ingest_document` stores: the same document and
chunk rows, catalogue entries and vector metadata (apart from ids and write times)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from sqlalchemy import select

from app.container import Container
from app.ingest.service import DocumentInput, ingest_document
from app.store.models import Chunk, Document
from scripts.bench_scale import ReportPool, prepared_document, reports, store_documents
from tests.conftest import make_engagement

TEXT = (
    "## 実績サマリー\n| 指標 | 月間目標 | 実績 |\n|---|---|---|\n| アポ獲得数 | 30件 | 18件 |\n\n"
    "## 現場で見えてきたこと\n- 製造業では決裁者への接続率が低く、資料送付の依頼が多い。\n"
    "- 物流業の反応は良好で、来月は架電リストを増やす。\n\n## 来月の進め方\nトークを改訂します。"
)


def _data(engagement_id: int) -> DocumentInput:
    return DocumentInput(
        engagement_id=engagement_id,
        kind="vendor_report",
        date=dt.date(2025, 5, 3),
        period="2025-04",
        title="2025年4月度 活動報告",
        text=TEXT,
    )


def _stored(
    container: Container, engagement_id: int
) -> tuple[object, Sequence[object], Sequence[object]]:
    with container.session_factory() as session:
        document = session.scalars(
            select(Document).where(Document.engagement_id == engagement_id)
        ).one()
        chunks = session.scalars(
            select(Chunk).where(Chunk.document_id == document.id).order_by(Chunk.ordinal)
        ).all()
        row = (
            document.kind,
            document.date,
            document.period,
            document.title,
            document.text,
            document.content_hash,
        )
        chunk_rows = [(c.ordinal, c.start, c.end, c.prefix, c.tokens) for c in chunks]
        vector_ids = [c.vector_id for c in chunks]
    entries = [container.catalog.get(vector_id) for vector_id in vector_ids]
    catalogue = [
        (e.kind, e.period, e.start, e.end, e.quote, e.tokens) for e in entries if e is not None
    ]
    return row, chunk_rows, catalogue


def test_bulk_fill_stores_what_ingest_document_stores(container: Container) -> None:
    one = make_engagement(container)
    other = make_engagement(container, vendor="株式会社べつのセールス")
    ingest_document(container=container, data=_data(one))
    store_documents(container, [prepared_document(container, _data(other))])
    expected, found = _stored(container, one), _stored(container, other)
    assert found == expected
    assert len(found[1]) == len(found[2]) > 0


def test_pooled_reports_keep_each_documents_own_fields(container: Container) -> None:
    pool = ReportPool(container, variants=1)
    one, other = (
        make_engagement(container),
        make_engagement(container, vendor="株式会社ほかセールス"),
    )
    first = reports(container, one, [4] * 24, random.Random(1), pool)
    second = reports(container, other, [4] * 24, random.Random(1), pool)
    # One variant per month: the second engagement re-uses the first one's prepared texts …
    assert [d.text for d in first] == [d.text for d in second]
    assert len(pool) == 24 and len({d.digest for d in first}) == 24
    # … under its own engagement, period and title, stored like any other report.
    assert {d.data.engagement_id for d in second} == {other}
    assert [d.period for d in second] == [d.period for d in first]
    assert second[13].period == "2025-02" and second[13].title == "2025年2月度 活動報告"
    store_documents(container, first + second)
    assert len(container.catalog) == sum(len(d.spans) for d in first + second)
