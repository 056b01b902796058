"""JSON API for renewal drafts and the renewal timeline (thin: parse, call one service, render)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.draft import service
from app.draft.models import (
    DraftEdit,
    DraftOut,
    DraftRequest,
    DraftSummary,
    PreviewIn,
    PreviewOut,
    RenewalRow,
)
from app.draft.timeline import Timeline
from app.serve.deps import ContainerDep

router = APIRouter(prefix="/api/v1", tags=["drafts"])


def download(file: service.ExportFile) -> Response:
    """Attachment with an ASCII fallback name and the Japanese name (RFC 6266 / 5987)."""
    disposition = (
        f'attachment; filename="{file.ascii_filename}"; '
        f"filename*=UTF-8''{quote(file.filename, safe='')}"
    )
    return Response(
        content=file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": disposition},
    )


@router.get("/engagements/{engagement_id}/timeline", response_model=Timeline)
async def get_timeline(engagement_id: int, container: ContainerDep) -> Timeline:
    """Notice deadline, review-meeting window, days left and status as of today."""
    return await run_in_threadpool(
        service.timeline_for, container=container, engagement_id=engagement_id
    )


@router.get("/renewals", response_model=list[RenewalRow])
async def list_renewals(container: ContainerDep) -> list[RenewalRow]:
    """Every engagement with its timeline, most urgent first."""
    return await run_in_threadpool(service.renewal_overview, container=container)


@router.post("/engagements/{engagement_id}/drafts", response_model=DraftOut, status_code=201)
async def create_draft(engagement_id: int, body: DraftRequest, container: ContainerDep) -> DraftOut:
    """Generate an agenda, memo or proposal request; a new version if anything changed."""
    return await run_in_threadpool(
        service.generate_draft,
        container=container,
        engagement_id=engagement_id,
        kind=body.kind,
        author=body.author,
    )


@router.get("/engagements/{engagement_id}/drafts", response_model=list[DraftSummary])
async def list_drafts(engagement_id: int, container: ContainerDep) -> list[DraftSummary]:
    return await run_in_threadpool(
        service.list_drafts, container=container, engagement_id=engagement_id
    )


@router.get("/drafts/{draft_id}", response_model=DraftOut)
async def get_draft(
    draft_id: int, container: ContainerDep, version: Annotated[int | None, Query(ge=1)] = None
) -> DraftOut:
    """The latest version, or `version`; `citations[n-1]` resolves marker `[n]`."""
    return await run_in_threadpool(
        service.get_draft, container=container, draft_id=draft_id, version=version
    )


@router.put("/drafts/{draft_id}", response_model=DraftOut)
async def edit_draft(draft_id: int, body: DraftEdit, container: ContainerDep) -> DraftOut:
    """Save edited Markdown as a new version (409 if `base_version` is no longer the latest)."""
    return await run_in_threadpool(
        service.save_edit,
        container=container,
        draft_id=draft_id,
        markdown=body.markdown,
        author=body.author,
        base_version=body.base_version,
    )


@router.post("/drafts/{draft_id}/preview", response_model=PreviewOut)
async def preview_draft(draft_id: int, body: PreviewIn, container: ContainerDep) -> PreviewOut:
    """HTML and warnings for unsaved Markdown (the editor's live preview)."""
    return await run_in_threadpool(
        service.preview, container=container, draft_id=draft_id, markdown=body.markdown
    )


@router.get("/drafts/{draft_id}/export")
async def export_draft(
    draft_id: int,
    container: ContainerDep,
    export_format: Annotated[service.ExportFormat, Query(alias="format")] = "md",
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """`?format=md|docx`: the draft with a source list for every marker still in the text."""
    file = await run_in_threadpool(
        service.export_draft,
        container=container,
        draft_id=draft_id,
        export_format=export_format,
        version=version,
    )
    return download(file)
