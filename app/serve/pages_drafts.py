"""Draft pages: the engagement's drafts and timeline, one draft, the editor, .ics downloads.

Thin routes: each parses its input, calls one draft-service function and renders; the JSON
twins live in `api_drafts` and return the same view-models.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.draft import service
from app.draft.citations import used_citations
from app.draft.models import ENGINE_LABELS, KIND_LABELS, DraftOut
from app.errors import InvalidInput, RenewalDeskError
from app.knowledge.drafts import DRAFT_KINDS
from app.serve import views
from app.serve.deps import ContainerDep, TemplatesDep
from app.serve.schemas import EngagementOut
from app.store import repository

router = APIRouter(include_in_schema=False)

KIND_DESCRIPTIONS = {
    "agenda": "振り返りミーティング（更新日の約3〜2か月前）の議題・時間配分・質問・持ち越し事項",
    "memo": "社内稟議のための判断メモ（判断と理由、KPI、根拠、リスク、条件、次のステップ）",
    "proposal_request": "代行会社に「実行以上の価値」の提案を依頼する丁寧な文書（回答期限つき）",
}


def _engagement(container: ContainerDep, engagement_id: int) -> EngagementOut:
    with container.session_factory() as session:
        return views.engagement_out(
            repository.get_engagement(session, engagement_id), today=dt.date.today()
        )


def _ics(text: str, filename: str) -> Response:
    return Response(
        content=text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/engagements/{engagement_id}/drafts", response_class=HTMLResponse)
def drafts_page(
    engagement_id: int, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    """Timeline and the three drafts of one engagement."""
    engagement = _engagement(container, engagement_id)
    timeline = service.timeline_for(container=container, engagement_id=engagement_id)
    drafts = {
        d.kind: d for d in service.list_drafts(container=container, engagement_id=engagement_id)
    }
    return templates.TemplateResponse(
        request,
        "draft_hub.html",
        {
            "engagement": engagement,
            "timeline": timeline,
            "drafts": drafts,
            "kinds": DRAFT_KINDS,
            "draft_labels": KIND_LABELS,
            "kind_descriptions": KIND_DESCRIPTIONS,
            "engine_labels": ENGINE_LABELS,
        },
    )


@router.post("/engagements/{engagement_id}/drafts")
async def generate_page(
    engagement_id: int,
    container: ContainerDep,
    kind: Annotated[str, Form()],
    author: Annotated[str, Form()] = "",
) -> Response:
    if kind not in DRAFT_KINDS:
        raise InvalidInput(f"文書の種類が不正です: {kind!r}")
    draft = await run_in_threadpool(
        service.generate_draft,
        container=container,
        engagement_id=engagement_id,
        kind=kind,
        author=author or None,
    )
    return RedirectResponse(f"/drafts/{draft.id}?generated={draft.version}", status_code=303)


def _draft_context(draft: DraftOut, engagement: EngagementOut) -> dict[str, object]:
    return {
        "draft": draft,
        "engagement": engagement,
        "html": service.render_version_html(draft),
        "engine_labels": ENGINE_LABELS,
        "used": used_citations(draft.markdown, draft.citations),
    }


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(
    draft_id: int,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    version: int | None = None,
) -> Response:
    draft = service.get_draft(container=container, draft_id=draft_id, version=version)
    engagement = _engagement(container, draft.engagement_id)
    return templates.TemplateResponse(request, "draft_view.html", _draft_context(draft, engagement))


def _edit_form(
    request: Request,
    templates: TemplatesDep,
    container: ContainerDep,
    draft_id: int,
    *,
    markdown: str | None = None,
    author: str = "",
    base_version: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    draft = service.get_draft(container=container, draft_id=draft_id)
    engagement = _engagement(container, draft.engagement_id)
    text = draft.markdown if markdown is None else markdown
    preview = service.preview(container=container, draft_id=draft_id, markdown=text)
    return templates.TemplateResponse(
        request,
        "draft_edit.html",
        {
            "draft": draft,
            "engagement": engagement,
            "markdown": text,
            "author": author,
            "base_version": base_version or draft.version,
            "preview": preview,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/drafts/{draft_id}/edit", response_class=HTMLResponse)
def edit_page(
    draft_id: int, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    return _edit_form(request, templates, container, draft_id)


@router.post("/drafts/{draft_id}/edit", response_class=HTMLResponse)
async def save_page(
    draft_id: int,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    markdown: Annotated[str, Form()] = "",
    author: Annotated[str, Form()] = "",
    base_version: Annotated[int | None, Form()] = None,
) -> Response:
    """Save as a new version; on a problem, show the form again with the text kept."""
    try:
        draft = await run_in_threadpool(
            service.save_edit,
            container=container,
            draft_id=draft_id,
            markdown=markdown,
            author=author or None,
            base_version=base_version,
        )
    except RenewalDeskError as error:
        if error.status_code == 404:
            raise
        return await run_in_threadpool(
            _edit_form,
            request,
            templates,
            container,
            draft_id,
            markdown=markdown,
            author=author,
            base_version=base_version,
            error=error.message,
            status_code=error.status_code,
        )
    return RedirectResponse(f"/drafts/{draft_id}?saved={draft.version}", status_code=303)


@router.get("/engagements/{engagement_id}/calendar.ics")
def engagement_calendar(engagement_id: int, request: Request, container: ContainerDep) -> Response:
    """Review window, notice deadline and renewal date of one engagement."""
    text, filename = service.calendar_ics(
        container=container, engagement_id=engagement_id, base_url=str(request.base_url)
    )
    return _ics(text, filename)


@router.get("/calendar.ics")
def all_calendar(request: Request, container: ContainerDep) -> Response:
    """The deadlines of every engagement in one calendar."""
    text, filename = service.calendar_ics(
        container=container, engagement_id=None, base_url=str(request.base_url)
    )
    return _ics(text, filename)
