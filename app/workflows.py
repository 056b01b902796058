"""What happens after what: storing a document re-reads the engagement; LLM work is a job.

Routes and the CLI call these instead of the feature services when a change must ripple:
a stored or deleted document recomputes the offline analysis before the request answers,
and, when an LLM is configured, queues the assisted analysis as a background job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
from functools import partial
from pathlib import Path

from app.analyse.service import refresh_analysis
from app.analyse.stored import stale_engagements
from app.container import Container
from app.errors import NotFound
from app.ingest.scenario import ImportSummary, import_path
from app.ingest.service import DocumentInput, IngestResult, delete_document, ingest_document
from app.jobs import enqueue

log = logging.getLogger(__name__)


def _refresh(container: Container, engagement_id: int) -> None:
    with container.write_lane:
        refresh_analysis(container=container, engagement_id=engagement_id)


def reanalyse(*, container: Container, engagement_id: int) -> None:
    """Offline analysis now (one run for changes that arrive while one is running); the
    LLM-assisted one as a job when an LLM is configured."""
    with contextlib.suppress(NotFound):  # the engagement itself was deleted
        container.analysis_runs.after_change(
            engagement_id, partial(_refresh, container, engagement_id)
        )
        if container.chat_model.configured:
            enqueue(container=container, kind="analysis", engagement_id=engagement_id)


def refresh_stale(*, container: Container) -> int:
    """Re-analyse every engagement whose stored analysis is not today's (daily, after a
    knowledge change); returns how many this process did. Pages then read stored results.

    Every worker runs the schedule: each goes through the list in its own order and asks
    again just before each one, so two workers share the work instead of both doing all."""
    stale = stale_engagements(container=container)
    random.shuffle(stale)
    done = 0
    for engagement_id in stale:
        if stale_engagements(container=container, among=(engagement_id,)):
            reanalyse(container=container, engagement_id=engagement_id)
            done += 1
    return done


def store_document(*, container: Container, data: DocumentInput) -> IngestResult:
    """Store a document (idempotent) and bring the engagement's analysis up to date.

    Storing waits for a write slot: twenty pastes at once queue here instead of sharing the
    CPU with everyone's pages (each still answers once its document and analysis are in)."""
    with container.write_lane:
        result = ingest_document(container=container, data=data)
    if result.created:
        reanalyse(container=container, engagement_id=data.engagement_id)
    return result


def remove_document(*, container: Container, document_id: int) -> int:
    """Delete a document completely; returns its engagement, whose analysis is redone."""
    with container.write_lane:
        engagement_id = delete_document(container=container, document_id=document_id)
    reanalyse(container=container, engagement_id=engagement_id)
    return engagement_id


def import_scenarios(
    *, container: Container, path: Path, relative_to: dt.date | None = None
) -> ImportSummary:
    """Import scenario files (relative dates moved to `relative_to`), then analyse each
    engagement once."""
    summary = import_path(container=container, path=path, relative_to=relative_to)
    for engagement_id in summary.engagement_ids.values():
        reanalyse(container=container, engagement_id=engagement_id)
    return summary


def draft_requested(
    *, container: Container, engagement_id: int, kind: str, as_of: dt.date | None
) -> None:
    """After an offline draft is stored, queue the LLM-written version when configured."""
    if container.chat_model.configured:
        enqueue(
            container=container,
            kind="draft",
            engagement_id=engagement_id,
            payload={"kind": kind, "as_of": as_of.isoformat() if as_of else None},
        )
