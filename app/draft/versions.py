"""Stored drafts and their versions: look-ups, the document digest and the view-models.

Database reads over `app.store.draft_tables` for `service`, which holds the entry points
(generate, edit, read, export) and every write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analyse.models import DecisionKind
from app.core.vocabulary import DraftKind
from app.draft.checks import draft_problems
from app.draft.citations import DraftCitation
from app.draft.models import ORIGIN_LABELS, DraftOut, DraftSummary, VersionSummary
from app.errors import NotFound
from app.knowledge import Knowledge
from app.store.draft_tables import Draft, DraftVersion
from app.store.models import Document


def documents_digest(documents: Iterable[tuple[int, str]]) -> str:
    """Changes whenever a document is added or removed (ids and content hashes)."""
    payload = ",".join(f"{i}:{h}" for i, h in sorted(documents))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def current_digest(session: Session, engagement_id: int) -> str:
    rows = session.execute(
        select(Document.id, Document.content_hash).where(Document.engagement_id == engagement_id)
    ).all()
    return documents_digest([(row[0], row[1]) for row in rows])


def clean_author(author: str | None, default: str) -> str:
    """One line of at most 100 characters (the column's size), or `default` when empty."""
    cleaned = " ".join((author or "").split())[:100]
    return cleaned or default


def latest_version(session: Session, draft_id: int) -> DraftVersion | None:
    return session.scalar(
        select(DraftVersion)
        .where(DraftVersion.draft_id == draft_id)
        .order_by(DraftVersion.version.desc())
        .limit(1)
    )


def require_draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"下書き（ID {draft_id}）が見つかりません。")
    return draft


def require_version(session: Session, draft: Draft, version: int | None) -> DraftVersion:
    """Version `version` of the draft, or its latest when `version` is None."""
    if version is None:
        found = latest_version(session, draft.id)
    else:
        found = session.scalar(
            select(DraftVersion).where(
                DraftVersion.draft_id == draft.id, DraftVersion.version == version
            )
        )
    if found is None:
        raise NotFound(f"下書き（ID {draft.id}）の第{version}版が見つかりません。")
    return found


def problems(
    session: Session,
    *,
    kind: DraftKind,
    markdown: str,
    citations: Sequence[DraftCitation],
    decision: DecisionKind | None,
    knowledge: Knowledge,
) -> list[str]:
    """`checks.draft_problems` against the cited documents as stored now."""
    ids = {c.document_id for c in citations}
    texts = dict(
        session.execute(select(Document.id, Document.text).where(Document.id.in_(ids))).all()
    )
    return draft_problems(
        kind=kind,
        markdown=markdown,
        citations=citations,
        texts=texts,
        config=knowledge.drafts,
        decision=decision,
    )


def draft_out(
    session: Session, draft: Draft, version: DraftVersion, *, knowledge: Knowledge
) -> DraftOut:
    """One version with the version list, its staleness and its problems."""
    versions = list(
        session.scalars(
            select(DraftVersion)
            .where(DraftVersion.draft_id == draft.id)
            .order_by(DraftVersion.version)
        )
    )
    kind: DraftKind = draft.kind  # type: ignore[assignment]
    citations = [DraftCitation.model_validate(c) for c in version.citations]
    decision: DecisionKind | None = version.decision  # type: ignore[assignment]
    return DraftOut(
        id=draft.id,
        engagement_id=draft.engagement_id,
        kind=kind,
        kind_label=knowledge.vocabulary.draft_kind_label(kind),
        version=version.version,
        latest_version=versions[-1].version,
        markdown=version.markdown,
        citations=citations,
        decision=decision,
        origin=version.origin,  # type: ignore[arg-type]
        engine=version.engine,  # type: ignore[arg-type]
        author=version.author,
        created_at=version.created_at,
        as_of=version.as_of,
        knowledge_version=version.knowledge_version,
        prompt_version=version.prompt_version,
        note=version.note,
        stale=current_digest(session, draft.engagement_id) != version.documents_digest,
        problems=problems(
            session,
            kind=kind,
            markdown=version.markdown,
            citations=citations,
            decision=decision,
            knowledge=knowledge,
        ),
        versions=[
            VersionSummary(
                version=v.version,
                origin=v.origin,  # type: ignore[arg-type]
                origin_label=ORIGIN_LABELS[v.origin],
                engine=v.engine,  # type: ignore[arg-type]
                author=v.author,
                created_at=v.created_at,
                based_on=v.based_on,
                note=v.note,
            )
            for v in versions
        ],
    )


def draft_summary(
    draft: Draft, latest: DraftVersion, *, digest: str, knowledge: Knowledge
) -> DraftSummary:
    """The list entry of a draft: its latest version, stale when `digest` moved on."""
    kind: DraftKind = draft.kind  # type: ignore[assignment]
    return DraftSummary(
        id=draft.id,
        kind=kind,
        kind_label=knowledge.vocabulary.draft_kind_label(kind),
        latest_version=latest.version,
        origin=latest.origin,  # type: ignore[arg-type]
        engine=latest.engine,  # type: ignore[arg-type]
        author=latest.author,
        updated_at=latest.created_at,
        stale=digest != latest.documents_digest,
    )
