"""Renewal drafts (agenda, memo, proposal request): the hub, a draft, the editor, and their
/api/v1 twins (generate, list, read, edit, preview, export) over the same draft service.

Generating stores the offline draft at once, then `app.workflows.draft_requested` queues the
LLM-written version as a job when an LLM is configured.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.container import Container
from app.core.vocabulary import DRAFT_KINDS, PARTY_FIELDS, DraftKind
from app.draft import party_service, service
from app.draft.citations import used_citations
from app.draft.export import ExportFile, ExportFormat
from app.draft.models import (
    ENGINE_LABELS,
    DraftEdit,
    DraftOut,
    DraftRequest,
    DraftSummary,
    PreviewIn,
    PreviewOut,
)
from app.draft.parties import PARTY_LABELS
from app.draft.party_service import MAX_PARTY_CHARS, PartiesIn, PartiesOut
from app.errors import InvalidInput, RenewalDeskError
from app.ingest import engagements
from app.renewals import service as renewals
from app.serve.deps import ContainerDep, CurrentUser, TemplatesDep
from app.serve.downloads import attachment
from app.serve.schemas import MAX_ID, IdPath, VersionQuery
from app.workflows import draft_requested

api = APIRouter(prefix="/api/v1", tags=["drafts"])
pages = APIRouter(include_in_schema=False)

KIND_DESCRIPTIONS = {
    "agenda": "社内用。振り返りミーティングの議題・時間配分・質問・持ち越し事項と、自社の見立て",
    "agenda_external": "先方と共有する版。代行会社の報告だけを引用し、社内の評価や判断は含めません",
    "memo": "社内稟議のための判断メモ（判断と理由、KPI、根拠、リスク、条件、次のステップ）",
    "proposal_request": "代行会社に送る書状。「実行以上の価値」の提案を依頼します（回答期限つき、代行会社の報告だけを引用）",
}


def generate(
    *, container: Container, engagement_id: int, kind: DraftKind, author: str | None
) -> DraftOut:
    """The offline draft now; the LLM-written one later as a job (when configured)."""
    draft = service.generate_draft(
        container=container, engagement_id=engagement_id, kind=kind, author=author
    )
    draft_requested(container=container, engagement_id=engagement_id, kind=kind, as_of=None)
    return draft


def hub_view(*, container: Container, engagement_id: int) -> dict[str, Any]:
    """Timeline and the three drafts of one engagement."""
    engagement = engagements.engagement_summary(container=container, engagement_id=engagement_id)
    drafts = service.list_drafts(container=container, engagement_id=engagement_id)
    return {
        "engagement": engagement,
        "timeline": renewals.timeline_for(container=container, engagement_id=engagement_id),
        "drafts": {draft.kind: draft for draft in drafts},
        "kinds": DRAFT_KINDS,
        "kind_descriptions": KIND_DESCRIPTIONS,
        "engine_labels": ENGINE_LABELS,
        "parties": party_service.get_parties(container=container, engagement_id=engagement_id),
        "party_labels": PARTY_LABELS,
        "external_kinds": [
            k for k in DRAFT_KINDS if container.knowledge.drafts.audiences.of(k) == "external"
        ],
    }


def draft_view(*, container: Container, draft_id: int, version: int | None) -> dict[str, Any]:
    draft = service.get_draft(container=container, draft_id=draft_id, version=version)
    external = container.knowledge.drafts.audiences.of(draft.kind) == "external"
    return {
        "draft": draft,
        "engagement": engagements.engagement_summary(
            container=container, engagement_id=draft.engagement_id
        ),
        "html": service.render_version_html(draft, external=external),
        "external": external,
        "engine_labels": ENGINE_LABELS,
        "used": used_citations(draft.markdown, draft.citations),
    }


def editor_view(
    *, container: Container, draft_id: int, markdown: str | None, base_version: int | None
) -> dict[str, Any]:
    """The editor with `markdown` (default: the latest text) and its live preview."""
    draft = service.get_draft(container=container, draft_id=draft_id)
    text = draft.markdown if markdown is None else markdown
    return {
        "draft": draft,
        "engagement": engagements.engagement_summary(
            container=container, engagement_id=draft.engagement_id
        ),
        "markdown": text,
        "base_version": base_version or draft.version,
        "preview": service.preview(container=container, draft_id=draft_id, markdown=text),
    }


def download(file: ExportFile) -> Response:
    """The exported draft as an attachment (its ASCII fallback name and the Japanese one)."""
    return attachment(
        file.content,
        media_type=file.media_type,
        filename=file.filename,
        ascii_filename=file.ascii_filename,
    )


# --- /api/v1 -------------------------------------------------------------------------------


@api.post("/engagements/{engagement_id}/drafts", response_model=DraftOut, status_code=201)
async def create_draft(
    engagement_id: IdPath, body: DraftRequest, container: ContainerDep, user: CurrentUser
) -> DraftOut:
    """Generate an agenda, memo or proposal request; a new version if anything changed."""
    return await run_in_threadpool(
        generate,
        container=container,
        engagement_id=engagement_id,
        kind=body.kind,
        author=user.email,
    )


@api.get("/engagements/{engagement_id}/drafts", response_model=list[DraftSummary])
async def list_drafts(engagement_id: IdPath, container: ContainerDep) -> list[DraftSummary]:
    return await run_in_threadpool(
        service.list_drafts, container=container, engagement_id=engagement_id
    )


@api.get("/drafts/{draft_id}", response_model=DraftOut)
async def get_draft(
    draft_id: IdPath, container: ContainerDep, version: VersionQuery = None
) -> DraftOut:
    """The latest version, or `version`; `citations[n-1]` resolves marker `[n]`."""
    return await run_in_threadpool(
        service.get_draft, container=container, draft_id=draft_id, version=version
    )


@api.put("/drafts/{draft_id}", response_model=DraftOut)
async def edit_draft(
    draft_id: IdPath, body: DraftEdit, container: ContainerDep, user: CurrentUser
) -> DraftOut:
    """Save edited Markdown as a new version (409 if `base_version` is no longer the latest)."""
    return await run_in_threadpool(
        service.save_edit,
        container=container,
        draft_id=draft_id,
        markdown=body.markdown,
        author=user.email,
        base_version=body.base_version,
    )


@api.post("/drafts/{draft_id}/preview", response_model=PreviewOut)
async def preview_draft(draft_id: IdPath, body: PreviewIn, container: ContainerDep) -> PreviewOut:
    """HTML and warnings for unsaved Markdown (the editor's live preview)."""
    return await run_in_threadpool(
        service.preview, container=container, draft_id=draft_id, markdown=body.markdown
    )


@api.get("/drafts/{draft_id}/export")
async def export_draft(
    draft_id: IdPath,
    container: ContainerDep,
    export_format: Annotated[ExportFormat, Query(alias="format")] = "md",
    version: VersionQuery = None,
) -> Response:
    """`?format=md|docx|pdf`: an internal draft with a source list for every marker still in
    the text; an external one (sent to the vendor) without markers or sources."""
    file = await run_in_threadpool(
        service.export_draft,
        container=container,
        draft_id=draft_id,
        export_format=export_format,
        version=version,
    )
    return download(file)


# --- pages ---------------------------------------------------------------------------------


@pages.get("/engagements/{engagement_id}/drafts", response_class=HTMLResponse)
async def drafts_page(
    engagement_id: IdPath, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    context = await run_in_threadpool(hub_view, container=container, engagement_id=engagement_id)
    return templates.TemplateResponse(request, "draft_hub.html", context)


@pages.post("/engagements/{engagement_id}/drafts")
async def generate_page(
    engagement_id: IdPath,
    container: ContainerDep,
    user: CurrentUser,
    kind: Annotated[str, Form()],
) -> Response:
    if kind not in DRAFT_KINDS:
        raise InvalidInput(f"文書の種類が不正です: {kind!r}")
    draft = await run_in_threadpool(
        generate,
        container=container,
        engagement_id=engagement_id,
        kind=kind,  # narrowed to DraftKind by the check above
        author=user.email,
    )
    return RedirectResponse(f"/drafts/{draft.id}?generated={draft.version}", status_code=303)


@pages.get("/drafts/{draft_id}", response_class=HTMLResponse)
async def draft_page(
    draft_id: IdPath,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    version: VersionQuery = None,
) -> Response:
    context = await run_in_threadpool(
        draft_view, container=container, draft_id=draft_id, version=version
    )
    return templates.TemplateResponse(request, "draft_view.html", context)


async def _editor(
    request: Request,
    templates: TemplatesDep,
    container: Container,
    draft_id: int,
    *,
    markdown: str | None = None,
    base_version: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = await run_in_threadpool(
        editor_view,
        container=container,
        draft_id=draft_id,
        markdown=markdown,
        base_version=base_version,
    )
    context.update(error=error)
    return templates.TemplateResponse(request, "draft_edit.html", context, status_code=status_code)


@pages.get("/drafts/{draft_id}/edit", response_class=HTMLResponse)
async def edit_page(
    draft_id: IdPath, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    return await _editor(request, templates, container, draft_id)


@pages.post("/drafts/{draft_id}/edit", response_class=HTMLResponse)
async def save_page(
    draft_id: IdPath,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    user: CurrentUser,
    markdown: Annotated[str, Form()] = "",
    base_version: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Save as a new version; on a problem, show the form again with the text kept."""
    try:
        draft = await run_in_threadpool(
            service.save_edit,
            container=container,
            draft_id=draft_id,
            markdown=markdown,
            author=user.email,
            base_version=base_version,
        )
    except RenewalDeskError as error:
        if error.status_code == 404:
            raise
        return await _editor(
            request,
            templates,
            container,
            draft_id,
            markdown=markdown,
            base_version=base_version,
            error=error.message,
            status_code=error.status_code,
        )
    return RedirectResponse(f"/drafts/{draft_id}?saved={draft.version}", status_code=303)


# --- parties (who a draft is from and to) ------------------------------------------------


@api.get("/engagements/{engagement_id}/parties", response_model=PartiesOut)
async def get_parties(engagement_id: IdPath, container: ContainerDep) -> PartiesOut:
    """Our company, department and contact, the vendor's department and contact; fields not
    stored are suggested from the documents and listed in `suggested`."""
    return await run_in_threadpool(
        party_service.get_parties, container=container, engagement_id=engagement_id
    )


@api.put("/engagements/{engagement_id}/parties", response_model=PartiesOut)
async def put_parties(
    engagement_id: IdPath, body: PartiesIn, container: ContainerDep
) -> PartiesOut:
    """Store the fields sent (null or empty clears one); drafts use them from the next version."""
    return await run_in_threadpool(
        party_service.save_parties,
        container=container,
        engagement_id=engagement_id,
        values=body.model_dump(exclude_unset=True),
    )


@pages.post("/engagements/{engagement_id}/parties")
async def save_parties_page(
    engagement_id: IdPath, request: Request, container: ContainerDep
) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in PARTY_FIELDS}
    if any(len(value) > MAX_PARTY_CHARS for value in values.values()):
        raise InvalidInput(f"名前や部署は{MAX_PARTY_CHARS}文字以内で入力してください。")
    await run_in_threadpool(
        party_service.save_parties, container=container, engagement_id=engagement_id, values=values
    )
    return RedirectResponse(f"/engagements/{engagement_id}/drafts?parties=1", status_code=303)
