"""Draft service: compose drafts from the analysis, store versions, read, edit and export.

The only module of the drafting feature that writes to the database; composition itself is
the pure `context` → `offline` (or `llm`) pipeline, look-ups and view-models are `versions`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.analyse.models import DecisionKind, EngagementAnalysis
from app.analyse.service import engagement_facts, get_analysis, kpi_points_of
from app.container import Container
from app.core.normalize import unstorable_text_problem
from app.core.vocabulary import DRAFT_KINDS, DraftKind
from app.draft import versions
from app.draft.checks import memo_decision
from app.draft.citations import DraftCitation, unknown_markers
from app.draft.context import build_context
from app.draft.export import ExportFile, ExportFormat, export_file
from app.draft.llm import write_prose
from app.draft.markdown import render_html
from app.draft.models import DraftOut, DraftSummary, PreviewOut
from app.draft.offline import render_draft
from app.draft.party_service import parties_for
from app.errors import Conflict, InvalidInput
from app.knowledge.drafts import drafts_dir
from app.store import repository
from app.store.draft_tables import Draft, DraftVersion

__all__ = [
    "Composed",
    "compose",
    "export_draft",
    "generate_draft",
    "get_draft",
    "list_drafts",
    "preview",
    "render_version_html",
    "save_edit",
]

log = logging.getLogger(__name__)

GENERATED_BY = "更新デスク（自動生成）"
EDITED_BY = "利用者"
SAVE_ATTEMPTS = 3  # a concurrent save of the same draft takes the version number: retry


@dataclass(frozen=True)
class Composed:
    markdown: str
    citations: list[DraftCitation]
    decision: DecisionKind | None
    engine: Literal["offline", "llm"]
    note: str | None
    as_of: dt.date
    knowledge_version: str
    prompt_version: str
    documents_digest: str


def _templates_dir(container: Container) -> Path:
    return drafts_dir(container.settings.prompts_dir)


def compose(
    *,
    container: Container,
    engagement_id: int,
    kind: DraftKind,
    analysis: EngagementAnalysis | None = None,
    as_of: dt.date | None = None,
    assisted: bool = False,
) -> Composed:
    """Render one draft (not stored): with `assisted`, the LLM's prose when it verifies."""
    if kind not in DRAFT_KINDS:
        raise InvalidInput(f"文書の種類が不正です: {kind!r}")
    config = container.knowledge.drafts
    engagement, documents = engagement_facts(container, engagement_id)
    if analysis is None:
        analysis = get_analysis(container=container, engagement_id=engagement_id, as_of=as_of)
    today = as_of or analysis.as_of
    context = build_context(
        kind=kind,
        analysis=analysis,
        engagement=engagement,
        documents=documents,
        knowledge=container.knowledge,
        config=config,
        today=today,
        parties=parties_for(container, engagement_id, documents),
        points=kpi_points_of(container, engagement, list(documents)),
    )
    engine: Literal["offline", "llm"] = "offline"
    note: str | None = None
    prompt_version = config.templates_version
    rendered = None
    if assisted:
        result = write_prose(
            model=container.chat_model, prompts=container.knowledge.prompts, context=context
        )
        prompt_version = result.prompt_version
        note = result.note
        if result.prose is not None:
            rendered = render_draft(
                context,
                templates_dir=_templates_dir(container),
                prose=result.prose,
                passages=result.passages,
            )
            engine = "llm"
    if rendered is None:
        rendered = render_draft(context, templates_dir=_templates_dir(container))
    return Composed(
        markdown=rendered.markdown,
        citations=rendered.citations,
        decision=analysis.decision.decision if kind == "memo" else None,
        engine=engine,
        note=note,
        as_of=today,
        knowledge_version=analysis.knowledge_version,
        prompt_version=prompt_version,
        documents_digest=versions.documents_digest((d.id, d.content_hash) for d in documents),
    )


def generate_draft(
    *,
    container: Container,
    engagement_id: int,
    kind: DraftKind,
    author: str | None = None,
    analysis: EngagementAnalysis | None = None,
    as_of: dt.date | None = None,
    assisted: bool = False,
) -> DraftOut:
    """Compose and store a draft as a new version; identical output reuses the latest version.

    `assisted` lets the LLM write the prose (run as a background job, never in a request).

    An edited latest version is never replaced: the new text becomes the next version and the
    note says which edited version is still there.
    """
    composed = compose(
        container=container,
        engagement_id=engagement_id,
        kind=kind,
        analysis=analysis,
        as_of=as_of,
        assisted=assisted,
    )
    knowledge = container.knowledge
    citations = [c.model_dump() for c in composed.citations]
    for attempt in range(SAVE_ATTEMPTS):
        try:
            with container.session_factory() as session:
                draft = session.scalar(
                    select(Draft).where(Draft.engagement_id == engagement_id, Draft.kind == kind)
                )
                if draft is None:
                    draft = Draft(engagement_id=engagement_id, kind=kind)
                    session.add(draft)
                    session.flush()
                latest = versions.latest_version(session, draft.id)
                if (
                    latest is not None
                    and latest.origin == "generated"
                    and latest.markdown == composed.markdown
                    and latest.citations == citations
                    and latest.engine == composed.engine
                ):
                    return versions.draft_out(session, draft, latest, knowledge=knowledge)
                notes = [composed.note] if composed.note else []
                if latest is not None and latest.origin == "edited":
                    notes.append(f"編集済みの第{latest.version}版はそのまま残っています。")
                version = DraftVersion(
                    draft_id=draft.id,
                    version=(latest.version + 1) if latest else 1,
                    origin="generated",
                    based_on=None,
                    engine=composed.engine,
                    author=versions.clean_author(author, GENERATED_BY),
                    markdown=composed.markdown,
                    citations=citations,
                    decision=composed.decision,
                    as_of=composed.as_of,
                    knowledge_version=composed.knowledge_version,
                    prompt_version=composed.prompt_version,
                    documents_digest=composed.documents_digest,
                    note="。".join(n.rstrip("。") for n in notes) + "。" if notes else None,
                )
                session.add(version)
                session.commit()
                return versions.draft_out(session, draft, version, knowledge=knowledge)
        except IntegrityError:  # a concurrent save took the same draft or version number
            if attempt == SAVE_ATTEMPTS - 1:
                raise
            log.info("draft save raced; retrying")
    raise AssertionError("unreachable")


def get_draft(*, container: Container, draft_id: int, version: int | None = None) -> DraftOut:
    """Version `version` of a draft, or its latest."""
    with container.session_factory() as session:
        draft = versions.require_draft(session, draft_id)
        found = versions.require_version(session, draft, version)
        return versions.draft_out(session, draft, found, knowledge=container.knowledge)


def list_drafts(*, container: Container, engagement_id: int) -> list[DraftSummary]:
    """The engagement's drafts in the order of `DRAFT_KINDS`."""
    with container.session_factory() as session:
        repository.require_engagement(session, engagement_id)
        digest = versions.current_digest(session, engagement_id)
        drafts = session.scalars(select(Draft).where(Draft.engagement_id == engagement_id))
        summaries: list[DraftSummary] = []
        for draft in drafts:
            latest = versions.latest_version(session, draft.id)
            if latest is not None:
                summaries.append(
                    versions.draft_summary(
                        draft, latest, digest=digest, knowledge=container.knowledge
                    )
                )
    order = {kind: index for index, kind in enumerate(DRAFT_KINDS)}
    return sorted(summaries, key=lambda s: order[s.kind])


def save_edit(
    *,
    container: Container,
    draft_id: int,
    markdown: str,
    author: str | None = None,
    base_version: int | None = None,
) -> DraftOut:
    """Store the user's Markdown as a new version; the citation list carries over unchanged.

    Raises `Conflict` when `base_version` is no longer the latest, so nobody's save is lost.
    """
    markdown = markdown.replace("\r\n", "\n").replace("\r", "\n")
    if not markdown.strip():
        raise InvalidInput("本文が空です。")
    if (problem := unstorable_text_problem(markdown)) is not None:  # the editor form's too
        raise InvalidInput(problem)
    knowledge = container.knowledge
    for attempt in range(SAVE_ATTEMPTS):
        try:
            with container.session_factory() as session:
                draft = versions.require_draft(session, draft_id)
                latest = versions.require_version(session, draft, None)
                if base_version is not None and base_version != latest.version:
                    raise Conflict(
                        f"編集を始めた後に新しい版（第{latest.version}版）が保存されています。"
                        "最新の版を開き直してから編集してください。"
                    )
                base = (
                    versions.require_version(session, draft, base_version)
                    if base_version
                    else latest
                )
                unknown = unknown_markers(markdown, len(base.citations))
                if unknown:
                    listed = "、".join(f"[{n}]" for n in unknown)
                    raise InvalidInput(
                        f"出典の一覧にない番号 {listed} があります。既存の番号だけを使ってください。"
                    )
                if markdown == latest.markdown:
                    return versions.draft_out(session, draft, latest, knowledge=knowledge)
                decision = base.decision
                if draft.kind == "memo":
                    decision = memo_decision(markdown) or base.decision
                version = DraftVersion(
                    draft_id=draft.id,
                    version=latest.version + 1,
                    origin="edited",
                    based_on=base.version,
                    engine=base.engine,
                    author=versions.clean_author(author, EDITED_BY),
                    markdown=markdown,
                    citations=list(base.citations),
                    decision=decision,
                    as_of=base.as_of,
                    knowledge_version=base.knowledge_version,
                    prompt_version=base.prompt_version,
                    documents_digest=base.documents_digest,
                    note=None,
                )
                session.add(version)
                session.commit()
                return versions.draft_out(session, draft, version, knowledge=knowledge)
        except IntegrityError:
            if attempt == SAVE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def preview(*, container: Container, draft_id: int, markdown: str) -> PreviewOut:
    """HTML and warnings for the editor's live preview (nothing is stored)."""
    with container.session_factory() as session:
        draft = versions.require_draft(session, draft_id)
        latest = versions.require_version(session, draft, None)
        citations = [DraftCitation.model_validate(c) for c in latest.citations]
        kind: DraftKind = draft.kind  # type: ignore[assignment]
        decision: DecisionKind | None = latest.decision  # type: ignore[assignment]
        if kind == "memo":
            decision = memo_decision(markdown) or decision
        problems = versions.problems(
            session,
            kind=kind,
            markdown=markdown,
            citations=citations,
            decision=decision,
            knowledge=container.knowledge,
        )
    external = container.knowledge.drafts.audiences.of(kind) == "external"
    return PreviewOut(html=render_html(markdown, citations, external=external), problems=problems)


def export_draft(
    *, container: Container, draft_id: int, export_format: ExportFormat, version: int | None = None
) -> ExportFile:
    """Markdown, DOCX or PDF; an external draft without markers or 出典."""
    draft = get_draft(container=container, draft_id=draft_id, version=version)
    with container.session_factory() as session:
        vendor_name = repository.get_engagement(session, draft.engagement_id).vendor.name
    config = container.knowledge.drafts
    return export_file(
        draft=draft,
        vendor_name=vendor_name,
        export_format=export_format,
        docx=config.docx,
        external=config.audiences.of(draft.kind) == "external",
    )


def render_version_html(draft: DraftOut, *, external: bool = False) -> str:
    """The page body of one version: markers linked to passages; an external draft as the
    vendor will read it (no markers)."""
    return render_html(draft.markdown, draft.citations, external=external)
