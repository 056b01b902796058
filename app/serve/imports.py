"""Bulk import over HTTP: the engagement page's form, the batch page, and their /api/v1 twins.

The routes only read the uploads and hand them to `app.ingest.bulk`; the files are stored by
the job runner, and every view of a batch is read from its job rows (so it survives a reload).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.container import Container
from app.errors import InvalidInput, TooLarge
from app.ingest import engagements
from app.ingest.bulk import (
    FileProgress,
    IncomingFile,
    batch_progress,
    create_batch,
    expand_uploads,
)
from app.serve import schemas
from app.serve.deps import ContainerDep, TemplatesDep
from app.serve.schemas import IdPath

api = APIRouter(prefix="/api/v1", tags=["imports"])
pages = APIRouter(include_in_schema=False)

BatchPath = Annotated[str, Path(pattern="^[0-9a-f]{32}$", description="an import batch id")]


class ImportOut(BaseModel):
    """A batch's progress: files finished of total, the one in hand, each file's outcome."""

    batch_id: str
    engagement_id: int
    url: str
    total: int
    finished: int
    stored: int
    duplicates: int
    failed: int
    percent: int
    current: str | None
    complete: bool
    files: list[FileProgress]


def progress_out(*, container: Container, batch_id: str) -> ImportOut:
    progress = batch_progress(container=container, batch_id=batch_id)
    fields: dict[str, Any] = dataclasses.asdict(progress)
    return ImportOut(**fields, percent=progress.percent, url=f"/imports/{batch_id}")


async def _read_all(uploads: list[UploadFile], *, container: Container) -> list[IncomingFile]:
    """The uploaded files' bytes, each within the upload limit (a .zip too)."""
    limit = container.settings.max_upload_bytes
    files: list[IncomingFile] = []
    for upload in uploads:
        if not upload.filename:
            continue
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(
                f"ファイル「{upload.filename}」が大きすぎます（上限 {limit // (1024 * 1024)} MB）。"
            )
        files.append(IncomingFile(filename=upload.filename, data=data))
    if not files:
        raise InvalidInput("ファイルを選択してください（複数のファイルか ZIP）。")
    return files


async def start_import(
    *, container: Container, engagement_id: int, uploads: list[UploadFile], kind: str
) -> str:
    """Check the engagement, read and unpack the uploads, queue one job per file."""
    await run_in_threadpool(
        engagements.require_engagement, container=container, engagement_id=engagement_id
    )
    files = await _read_all(uploads, container=container)
    expanded = await run_in_threadpool(expand_uploads, files, settings=container.settings)
    return await run_in_threadpool(
        create_batch, container=container, engagement_id=engagement_id, files=expanded, kind=kind
    )


@api.post(
    "/engagements/{engagement_id}/imports",
    response_model=ImportOut,
    status_code=status.HTTP_202_ACCEPTED,
)
async def create_import(
    engagement_id: IdPath,
    container: ContainerDep,
    files: Annotated[list[UploadFile], File(description="several files, or .zip archives of them")],
    kind: Annotated[schemas.DocumentKind, Form()] = "vendor_report",
) -> ImportOut:
    """Queue every file (each .zip unpacked) as its own job; poll the batch for progress."""
    batch_id = await start_import(
        container=container, engagement_id=engagement_id, uploads=files, kind=kind
    )
    return await run_in_threadpool(progress_out, container=container, batch_id=batch_id)


@api.get("/imports/{batch_id}", response_model=ImportOut)
async def get_import(batch_id: BatchPath, container: ContainerDep) -> ImportOut:
    """Files done / total, the file in hand, and each failed file's reason."""
    return await run_in_threadpool(progress_out, container=container, batch_id=batch_id)


@pages.post("/engagements/{engagement_id}/imports")
async def import_form(
    engagement_id: IdPath,
    container: ContainerDep,
    files: Annotated[list[UploadFile], File()],
    kind: Annotated[str, Form()] = "vendor_report",
) -> Response:
    batch_id = await start_import(
        container=container, engagement_id=engagement_id, uploads=files, kind=kind
    )
    return RedirectResponse(f"/imports/{batch_id}", status_code=303)


@pages.get("/imports/{batch_id}", response_class=HTMLResponse)
async def import_page(
    batch_id: BatchPath, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    progress = await run_in_threadpool(progress_out, container=container, batch_id=batch_id)
    engagement = await run_in_threadpool(
        engagements.engagement_summary, container=container, engagement_id=progress.engagement_id
    )
    return templates.TemplateResponse(
        request, "import.html", {"progress": progress, "engagement": engagement}
    )
