"""Vectors without a chunk row (an ingest killed between its vector write and its commit).

Ingestion writes vectors before it commits the rows, and deletion commits before it removes
vectors, so a crash can only ever leave vectors too many, never a chunk row without its
vector. This sweep removes the surplus at start-up and in `renewal-desk reindex`.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.retrieve.vectorstore import VectorStore
from app.settings import Settings
from app.store.models import Chunk

log = logging.getLogger(__name__)


def remove_orphan_vectors(
    *,
    session_factory: sessionmaker[Session],
    vector_store: VectorStore,
    grace_s: float | None = None,
) -> int:
    """Delete every vector no chunk row names; returns how many.

    `grace_s` spares vectors written that recently: with a shared Chroma server another
    worker's ingest may sit between its vector write and its commit (it cannot take longer
    than its time limit), and a vector without `written_at` is not ours. None (an embedded
    Chroma, used by one process) sweeps them all.
    """
    # Vectors first, rows second: a row committed in between is then seen, never swept.
    stored = vector_store.entries()
    with session_factory() as session:
        known = set(session.scalars(select(Chunk.vector_id)))
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
    return len(orphans)


def sweep_grace_s(settings: Settings) -> float | None:
    """None for an embedded Chroma (one process owns it); else longer than any ingest."""
    return None if settings.chroma_url is None else settings.ingest_timeout_s + 60
