"""What chat answers from: an engagement's documents cut into units, its KPI points (the
analysis's own, corrections applied) and the chunks the retriever ranks for the question.

Reads the stores and keeps its work in the container's bounded caches; writes nothing.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import TimeoutError
from dataclasses import dataclass

from app.analyse.service import facts_of_document, facts_of_engagement, kpi_points_of
from app.chat import dense
from app.chat.answers import ChunkHit, Evidence, Rules, build_rules
from app.chat.segments import Unit, segment
from app.container import Container
from app.core.facts import DocumentFacts
from app.retrieve.bm25 import Bm25Filter
from app.retrieve.hybrid import SearchHit
from app.store import repository

RETRIEVED_CHUNKS = 12
DENSE_BUDGET_S = 0.12


@dataclass(frozen=True)
class DocumentUnits:
    """One stored document's units and title tokens (documents never change once stored)."""

    units: tuple[Unit, ...]
    title_tokens: frozenset[str]


def rules_for(container: Container) -> Rules:
    """The chat lexicons compiled against the container's knowledge, once per version."""
    knowledge = container.knowledge
    cached = container.caches.chat_rules.get(knowledge.version)
    if isinstance(cached, Rules):
        return cached
    rules = build_rules(
        chat=knowledge.chat,
        knowledge=knowledge,
        analyze=container.tokenizer.analyze,
        readings=container.tokenizer.readings,
    )
    container.caches.chat_rules.put(knowledge.version, rules)
    return rules


def kpi_labels(container: Container) -> dict[str, str]:
    return {k: str(v.label) for k, v in container.knowledge.kpi.kpis.items()}


def document_units(container: Container, document: DocumentFacts) -> DocumentUnits:
    """Segmentation and tokens of one document version, from the container's cache."""
    cached = container.caches.chat_units.get(document)
    if isinstance(cached, DocumentUnits):
        return cached
    analyze = container.tokenizer.analyze
    found = DocumentUnits(
        units=tuple(segment(document, analyze)),
        title_tokens=frozenset(analyze(document.title).tokens),
    )
    container.caches.chat_units.put(document, found)
    return found


def retrieve(
    *, container: Container, question: str | None, engagement_id: int | None
) -> list[SearchHit]:
    """Hybrid search within the engagement, if the query embedding comes within budget.

    Chunk ranks only nudge the sentence scores, and on a busy machine embedding the
    question can take seconds; past the budget the BM25 half alone is used (the vector is
    cached when it arrives). The container's one query worker bounds the work left behind.
    """
    if not question:
        return []
    filters = Bm25Filter(engagement_id=engagement_id)
    future = container.query_worker.submit(
        container.retriever.search, question, k=RETRIEVED_CHUNKS, mode="hybrid", filters=filters
    )
    try:
        return future.result(timeout=DENSE_BUDGET_S)
    except TimeoutError:
        future.cancel()  # still queued behind an earlier one: never start it
        return container.retriever.search(
            question, k=RETRIEVED_CHUNKS, mode="bm25", filters=filters
        )


def load_evidence(
    *, container: Container, engagement_id: int, as_of: dt.date, question: str | None
) -> Evidence:
    """Documents up to `as_of`, their units, the KPI points and (for a question) the chunks
    the hybrid retriever ranks highest within the engagement."""
    with container.session_factory() as session:
        engagement_row = repository.get_engagement(session, engagement_id)
        engagement = facts_of_engagement(engagement_row)
        documents = [facts_of_document(d) for d in engagement_row.documents if d.date <= as_of]
    kpis = kpi_points_of(container, engagement, documents)
    read = {d.id: document_units(container, d) for d in documents}
    hits = retrieve(container=container, question=question, engagement_id=engagement_id)
    chunks = [ChunkHit(h.document_id, h.start, h.end) for h in hits if h.document_id in read]
    # The question's vector is there when the hybrid search embedded it within budget.
    similarity = dense.similarities(
        container,
        engagement_id=engagement_id,
        query_vector=container.retriever.query_cache.get(question) if question else None,
        units=[unit for found in read.values() for unit in found.units],
    )
    return Evidence(
        engagement=engagement,
        documents=documents,
        units={document_id: found.units for document_id, found in read.items()},
        kpis=kpis,
        chunks=chunks,
        as_of=as_of,
        titles={document_id: found.title_tokens for document_id, found in read.items()},
        similarity=similarity,
    )


def warm_engagement(*, container: Container, engagement_id: int) -> int:
    """Compute the sentence vectors of an engagement's documents now (batched, cached by
    content hash); a worker may call it after an ingest. Returns how many were embedded."""
    with container.session_factory() as session:
        engagement_row = repository.get_engagement(session, engagement_id)
        documents = [facts_of_document(d) for d in engagement_row.documents]
    units = [unit for d in documents for unit in document_units(container, d).units]
    return dense.warm(container, units)
