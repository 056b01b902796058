"""Draft service: compose drafts from the analysis, store versions, read, edit and export.

The only module of the drafting feature that touches the database; composition itself is
the pure `context` → `offline` (or `llm`) pipeline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.analyse.models import DECISION_LABELS, DecisionKind, EngagementAnalysis
from app.analyse.service import engagement_facts, get_analysis
from app.container import Container
from app.core.facts import DocumentFacts
from app.draft.calendar import CalendarEntry, render_calendar
from app.draft.citations import (
    DraftCitation,
    citation_problems,
    missing_sections,
    source_list_markdown,
    unknown_markers,
)
from app.draft.context import build_context
from app.draft.docx_export import export_docx
from app.draft.llm import write_prose
from app.draft.markdown import render_html
from app.draft.models import (
    KIND_LABELS,
    ORIGIN_LABELS,
    Draft,
    DraftOut,
    DraftSummary,
    DraftVersion,
    PreviewOut,
    RenewalRow,
    VersionSummary,
)
from app.draft.offline import render_draft
from app.draft.timeline import Timeline, compute_timeline
from app.errors import InvalidInput, NotFound, RenewalDeskError
from app.knowledge.drafts import DRAFT_KINDS, DraftConfig, DraftKind, drafts_dir
from app.store import repository
from app.store.models import AnalysisResult, Document, Engagement

log = logging.getLogger(__name__)

GENERATED_BY = "更新デスク（自動生成）"
EDITED_BY = "利用者"
DECISION_LINE = re.compile(r"判断：\s*\**\s*(更新しない|条件付き更新|更新)")
DECISION_BY_LABEL: dict[str, DecisionKind] = {
    "更新": "renew",
    "条件付き更新": "renew_with_conditions",
    "更新しない": "do_not_renew",
}
ExportFormat = Literal["md", "docx"]
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
SAVE_ATTEMPTS = 3


class DraftConflict(RenewalDeskError):
    """Someone saved a newer version since the editor opened this one."""

    status_code = 409
    code = "draft_conflict"


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


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    ascii_filename: str
    media_type: str


def draft_config(container: Container) -> DraftConfig:
    return container.knowledge.drafts


def templates_dir(container: Container) -> Path:
    return drafts_dir(container.settings.prompts_dir)


def documents_digest(documents: Sequence[tuple[int, str]]) -> str:
    """Changes whenever a document is added or removed (ids and content hashes)."""
    payload = ",".join(f"{i}:{h}" for i, h in sorted(documents))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _current_digest(session: Session, engagement_id: int) -> str:
    rows = session.execute(
        select(Document.id, Document.content_hash).where(Document.engagement_id == engagement_id)
    ).all()
    return documents_digest([(row[0], row[1]) for row in rows])


# --- timeline ------------------------------------------------------------------------------


def timeline_for(
    *, container: Container, engagement_id: int, today: dt.date | None = None
) -> Timeline:
    with container.session_factory() as session:
        engagement = repository.require_engagement(session, engagement_id)
        return compute_timeline(
            engagement_id=engagement.id,
            renewal_date=engagement.renewal_date,
            notice_days=engagement.notice_days,
            today=today or dt.date.today(),
            timing=draft_config(container).timing,
        )


def _stored_decisions(session: Session) -> dict[int, DecisionKind]:
    decisions: dict[int, DecisionKind] = {}
    for row in session.scalars(select(AnalysisResult)):
        try:
            decision = json.loads(row.result)["decision"]["decision"]
        except (ValueError, KeyError, TypeError):
            continue
        if decision in DECISION_LABELS:
            decisions[row.engagement_id] = decision
    return decisions


def renewal_overview(*, container: Container, today: dt.date | None = None) -> list[RenewalRow]:
    """Every engagement with its timeline, most urgent first (the renewal dashboard)."""
    today = today or dt.date.today()
    timing = draft_config(container).timing
    with container.session_factory() as session:
        decisions = _stored_decisions(session)
        counts = dict(
            session.execute(
                select(Document.engagement_id, func.count(Document.id)).group_by(
                    Document.engagement_id
                )
            )
            .tuples()
            .all()
        )
        rows = [
            RenewalRow(
                engagement_id=e.id,
                vendor_name=e.vendor.name,
                service=e.service,
                renewal_date=e.renewal_date,
                document_count=counts.get(e.id, 0),
                decision=decisions.get(e.id),
                decision_label=DECISION_LABELS.get(decisions.get(e.id, ""), None),
                timeline=compute_timeline(
                    engagement_id=e.id,
                    renewal_date=e.renewal_date,
                    notice_days=e.notice_days,
                    today=today,
                    timing=timing,
                ),
            )
            for e in session.scalars(
                select(Engagement).options(selectinload(Engagement.vendor))
            )  # not repository.list_engagements: that loads every document's text
        ]
    return sorted(rows, key=lambda row: row.timeline.urgency)


def calendar_ics(
    *, container: Container, engagement_id: int | None, base_url: str
) -> tuple[str, str]:
    """(ics text, file name) for one engagement, or for all of them when `engagement_id` is None."""
    rows = renewal_overview(container=container)
    if engagement_id is not None:
        rows = [row for row in rows if row.engagement_id == engagement_id]
        if not rows:
            raise NotFound(f"契約（ID {engagement_id}）が見つかりません。")
    entries = [
        CalendarEntry(
            timeline=row.timeline,
            vendor_name=row.vendor_name,
            service=row.service,
            url=f"{base_url.rstrip('/')}/engagements/{row.engagement_id}",
        )
        for row in rows
    ]
    name = (
        f"更新デスク：{rows[0].vendor_name}"
        if engagement_id is not None
        else "更新デスク：契約更新"
    )
    filename = (
        f"renewal-desk-engagement-{engagement_id}.ics"
        if engagement_id is not None
        else "renewal-desk.ics"
    )
    return render_calendar(entries, name=name, now=dt.datetime.now(dt.UTC)), filename


# --- composing -----------------------------------------------------------------------------


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
    config = draft_config(container)
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
                templates_dir=templates_dir(container),
                prose=result.prose,
                passages=result.passages,
            )
            engine = "llm"
    if rendered is None:
        rendered = render_draft(context, templates_dir=templates_dir(container))
    return Composed(
        markdown=rendered.markdown,
        citations=rendered.citations,
        decision=analysis.decision.decision if kind == "memo" else None,
        engine=engine,
        note=note,
        as_of=today,
        knowledge_version=analysis.knowledge_version,
        prompt_version=prompt_version,
        documents_digest=documents_digest(_document_keys(documents)),
    )


def _document_keys(documents: Sequence[DocumentFacts]) -> list[tuple[int, str]]:
    return [(d.id, d.content_hash) for d in documents]


def _clean_author(author: str | None, default: str) -> str:
    cleaned = " ".join((author or "").split())[:100]
    return cleaned or default


def _latest(session: Session, draft_id: int) -> DraftVersion | None:
    return session.scalar(
        select(DraftVersion)
        .where(DraftVersion.draft_id == draft_id)
        .order_by(DraftVersion.version.desc())
        .limit(1)
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
                latest = _latest(session, draft.id)
                if (
                    latest is not None
                    and latest.origin == "generated"
                    and latest.markdown == composed.markdown
                    and latest.citations == citations
                    and latest.engine == composed.engine
                ):
                    return _draft_out(session, draft, latest, container)
                notes = [composed.note] if composed.note else []
                if latest is not None and latest.origin == "edited":
                    notes.append(f"編集済みの第{latest.version}版はそのまま残っています。")
                version = DraftVersion(
                    draft_id=draft.id,
                    version=(latest.version + 1) if latest else 1,
                    origin="generated",
                    based_on=None,
                    engine=composed.engine,
                    author=_clean_author(author, GENERATED_BY),
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
                return _draft_out(session, draft, version, container)
        except IntegrityError:  # a concurrent save took the same draft or version number
            if attempt == SAVE_ATTEMPTS - 1:
                raise
            log.info("draft save raced; retrying")
    raise AssertionError("unreachable")


# --- reading and editing -------------------------------------------------------------------


def _memo_decision(markdown: str) -> DecisionKind | None:
    match = DECISION_LINE.search(markdown)
    return DECISION_BY_LABEL.get(match.group(1)) if match else None


def _problems(
    session: Session,
    kind: DraftKind,
    markdown: str,
    citations: Sequence[DraftCitation],
    config: DraftConfig,
    decision: DecisionKind | None,
) -> list[str]:
    problems = [
        f"必須の見出し「{title}」がありません。"
        for title in missing_sections(markdown, config.kind(kind).required_sections)
    ]
    ids = {c.document_id for c in citations}
    texts = dict(
        session.execute(select(Document.id, Document.text).where(Document.id.in_(ids)))
        .tuples()
        .all()
    )
    problems += citation_problems(markdown, citations, texts)
    if kind == "memo" and _memo_decision(markdown) is None:
        problems.append("「判断：」の行がありません。")
    elif kind == "memo" and decision is not None and _memo_decision(markdown) != decision:
        problems.append("本文の判断と記録された判断が一致しません。")
    return problems


def _draft_out(
    session: Session, draft: Draft, version: DraftVersion, container: Container
) -> DraftOut:
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
        kind_label=KIND_LABELS[kind],
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
        stale=_current_digest(session, draft.engagement_id) != version.documents_digest,
        problems=_problems(
            session, kind, version.markdown, citations, draft_config(container), decision
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


def _require_draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"下書き（ID {draft_id}）が見つかりません。")
    return draft


def _version(session: Session, draft: Draft, version: int | None) -> DraftVersion:
    if version is None:
        found = _latest(session, draft.id)
    else:
        found = session.scalar(
            select(DraftVersion).where(
                DraftVersion.draft_id == draft.id, DraftVersion.version == version
            )
        )
    if found is None:
        raise NotFound(f"下書き（ID {draft.id}）の第{version}版が見つかりません。")
    return found


def get_draft(*, container: Container, draft_id: int, version: int | None = None) -> DraftOut:
    with container.session_factory() as session:
        draft = _require_draft(session, draft_id)
        return _draft_out(session, draft, _version(session, draft, version), container)


def list_drafts(*, container: Container, engagement_id: int) -> list[DraftSummary]:
    with container.session_factory() as session:
        repository.require_engagement(session, engagement_id)
        digest = _current_digest(session, engagement_id)
        drafts = session.scalars(select(Draft).where(Draft.engagement_id == engagement_id))
        summaries: list[DraftSummary] = []
        for draft in drafts:
            latest = _latest(session, draft.id)
            if latest is None:
                continue
            kind: DraftKind = draft.kind  # type: ignore[assignment]
            summaries.append(
                DraftSummary(
                    id=draft.id,
                    kind=kind,
                    kind_label=KIND_LABELS[kind],
                    latest_version=latest.version,
                    origin=latest.origin,  # type: ignore[arg-type]
                    engine=latest.engine,  # type: ignore[arg-type]
                    author=latest.author,
                    updated_at=latest.created_at,
                    stale=digest != latest.documents_digest,
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
    """Store the user's Markdown as a new version; the citation list carries over unchanged."""
    markdown = markdown.replace("\r\n", "\n").replace("\r", "\n")
    if not markdown.strip():
        raise InvalidInput("本文が空です。")
    for attempt in range(SAVE_ATTEMPTS):
        try:
            with container.session_factory() as session:
                draft = _require_draft(session, draft_id)
                latest = _version(session, draft, None)
                if base_version is not None and base_version != latest.version:
                    raise DraftConflict(
                        f"編集を始めた後に新しい版（第{latest.version}版）が保存されています。"
                        "最新の版を開き直してから編集してください。"
                    )
                base = _version(session, draft, base_version) if base_version else latest
                unknown = unknown_markers(markdown, len(base.citations))
                if unknown:
                    listed = "、".join(f"[{n}]" for n in unknown)
                    raise InvalidInput(
                        f"出典の一覧にない番号 {listed} があります。既存の番号だけを使ってください。"
                    )
                if markdown == latest.markdown:
                    return _draft_out(session, draft, latest, container)
                decision = base.decision
                if draft.kind == "memo":
                    decision = _memo_decision(markdown) or base.decision
                version = DraftVersion(
                    draft_id=draft.id,
                    version=latest.version + 1,
                    origin="edited",
                    based_on=base.version,
                    engine=base.engine,
                    author=_clean_author(author, EDITED_BY),
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
                return _draft_out(session, draft, version, container)
        except IntegrityError:
            if attempt == SAVE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def preview(*, container: Container, draft_id: int, markdown: str) -> PreviewOut:
    """HTML and warnings for the editor's live preview (nothing is stored)."""
    with container.session_factory() as session:
        draft = _require_draft(session, draft_id)
        latest = _version(session, draft, None)
        citations = [DraftCitation.model_validate(c) for c in latest.citations]
        kind: DraftKind = draft.kind  # type: ignore[assignment]
        decision: DecisionKind | None = latest.decision  # type: ignore[assignment]
        if kind == "memo":
            decision = _memo_decision(markdown) or decision
        problems = _problems(session, kind, markdown, citations, draft_config(container), decision)
    return PreviewOut(html=render_html(markdown, citations), problems=problems)


def export_draft(
    *, container: Container, draft_id: int, export_format: ExportFormat, version: int | None = None
) -> ExportFile:
    """Markdown with its 出典 list, or DOCX with Japanese fonts and the same list."""
    draft = get_draft(container=container, draft_id=draft_id, version=version)
    with container.session_factory() as session:
        vendor = repository.get_engagement(session, draft.engagement_id).vendor.name
    stem = f"{draft.kind_label}_{vendor}_第{draft.version}版"
    ascii_stem = f"renewal-desk-{draft.kind}-{draft.id}-v{draft.version}"
    if export_format == "md":
        sources = source_list_markdown(draft.citations, draft.markdown)
        text = draft.markdown.rstrip("\n") + ("\n\n" + sources if sources else "\n")
        content = text.encode("utf-8")
    else:
        content = export_docx(
            markdown=draft.markdown,
            citations=draft.citations,
            title=f"{draft.kind_label}（{vendor}）",
            spec=draft_config(container).docx,
        )
    return ExportFile(
        content=content,
        filename=f"{stem}.{export_format}",
        ascii_filename=f"{ascii_stem}.{export_format}",
        media_type=MEDIA_TYPES[export_format],
    )


def render_version_html(draft: DraftOut) -> str:
    """The page body of one version (markers linked to passages)."""
    return render_html(draft.markdown, draft.citations)
