"""Vectors without a chunk row, and chunk rows still waiting for their vectors.

Ingestion writes vectors before it commits the rows, and deletion commits before it removes
vectors, so a crash can only ever leave vectors too many; this sweep removes the surplus at
start-up and in `renewal-desk reindex`. A long document's vectors come after its rows, from a
job committed with them (app.ingest.vectors); if that job died with its process, the sweep
queues it again.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.retrieve.vectorstore import VectorStore
from app.settings import Settings
from app.store import repository
from app.store.models import Chunk, Document

log = logging.getLogger(__name__)


def sweep_vectors(
    *,
    session_factory: sessionmaker[Session],
    vector_store: VectorStore,
    grace_s: float | None = None,
) -> int:
    """Delete every vector no chunk row names (returns how many) and queue the vectors that
    chunk rows still lack.

    `grace_s` spares vectors written that recently: with a shared Chroma server another
    worker's ingest may sit between its vector write and its commit (it cannot take longer
    than its time limit), and a vector without `written_at` is not ours. None (an embedded
    Chroma, used by one process) sweeps them all.
    """
    # Vectors first, rows second: a row committed in between is then seen, never swept.
    stored = vector_store.entries()
    with session_factory() as session:
        rows = session.execute(select(Chunk.vector_id, Chunk.document_id)).all()
    owners = dict(rows)
    known = owners.keys()
    cutoff = None if grace_s is None else time.time() - grace_s
    # On a shared server only what this app wrote (it records `written_at`) is ever swept.
    orphans = [
        vector_id
        for vector_id, written_at in stored
        if vector_id not in known
        and (cutoff is None or (written_at is not None and written_at < cutoff))
    ]
    if orphans:
        vector_store.delete(ids=orphans)
        log.warning("removed %d vectors without a chunk row (an interrupted ingest)", len(orphans))
    present = {vector_id for vector_id, _ in stored}
    waiting = {owners[vector_id] for vector_id in known if vector_id not in present}
    if waiting:
        _queue_embedding(session_factory, waiting)
    return len(orphans)


def _queue_embedding(session_factory: sessionmaker[Session], document_ids: set[int]) -> None:
    """One embedding job per document whose chunks lack vectors (none twice while queued)."""
    with session_factory() as session:
        rows = session.execute(
            select(Document.id, Document.engagement_id).where(Document.id.in_(document_ids))
        )
        for document_id, engagement_id in rows:
            repository.queue_job(
                session,
                kind=repository.EMBEDDING_JOB,
                engagement_id=engagement_id,
                payload={"document_id": document_id},
            )
        session.commit()
    log.info("queued vectors for %d documents whose chunks have none yet", len(document_ids))


def sweep_grace_s(settings: Settings) -> float | None:
    """None for an embedded Chroma (one process owns it); else longer than any ingest."""
    return None if settings.chroma_url is None else settings.ingest_timeout_s + 60
