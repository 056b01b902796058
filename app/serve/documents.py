"""Documents: the paste/upload form, the document page, deletion, and their /api/v1 twins.

Both renderings store through `app.workflows.store_document` (the analysis follows) and read
back through `app.ingest.engagements.get_document`; the shared view-models are in
`app.serve.document_views`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from app.container import Container
from app.core.vocabulary import DOCUMENT_KINDS
from app.errors import RenewalDeskError
from app.ingest import engagements
from app.ingest.duplicates import Duplicate, DuplicateFound, DuplicatePolicy
from app.ingest.models import check_form_field
from app.ingest.service import DocumentInput, PeriodMissing, parse_date, validate_period
from app.serve import schemas
from app.serve.deps import ContainerDep, TemplatesDep
from app.serve.document_views import document_view, ingest
from app.serve.errors import DUPLICATE_RESPONSE
from app.serve.schemas import IdPath
from app.serve.uploads import read_upload
from app.workflows import remove_document, store_document

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)
# --- /api/v1 -------------------------------------------------------------------------------


@api.get("/engagements/{engagement_id}/documents", response_model=list[schemas.DocumentSummary])
async def list_documents(
    engagement_id: IdPath, container: ContainerDep
) -> list[schemas.DocumentSummary]:
    return await run_in_threadpool(
        engagements.list_documents, container=container, engagement_id=engagement_id
    )


def duplicate_answer(error: DuplicateFound) -> JSONResponse:
    """409 with the stored documents it repeats: retry with on_duplicate=replace or keep."""
    details = {
        "duplicate_of": error.duplicates[0].document_id,
        "duplicates": [
            {"document_id": d.document_id, "title": d.title, "reason": d.reason}
            for d in error.duplicates
        ],
    }
    body = {"code": error.code, "message": error.message, "details": details}
    return JSONResponse({"error": body}, status_code=status.HTTP_409_CONFLICT)


OnDuplicateQuery = Annotated[
    DuplicatePolicy,
    Query(
        description="warn: 409 when the text repeats a stored document (apart from whitespace, "
        "greetings, signature, file format; a second vendor_report for its month is stored "
        "with a warning); replace: store it and delete those; keep: store it as another one"
    ),
]


async def _ingest_json(
    container: Container, data: DocumentInput, response: Response
) -> schemas.IngestOut | JSONResponse:
    try:
        out = await run_in_threadpool(ingest, container=container, data=data)
    except DuplicateFound as error:
        return duplicate_answer(error)
    response.status_code = status.HTTP_201_CREATED if out.created else status.HTTP_200_OK
    return out


@api.post(
    "/engagements/{engagement_id}/documents",
    response_model=schemas.IngestOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "同じ本文が既にあり、既存の文書を返した"},
        **DUPLICATE_RESPONSE,
    },
)
async def create_document(
    engagement_id: IdPath,
    body: schemas.DocumentIn,
    container: ContainerDep,
    response: Response,
    on_duplicate: OnDuplicateQuery = "warn",
) -> schemas.IngestOut | JSONResponse:
    data = DocumentInput(
        engagement_id=engagement_id,
        kind=body.kind,
        date=body.date,
        period=body.period,
        title=body.title,
        text=body.text,
        on_duplicate=on_duplicate,
    )
    return await _ingest_json(container, data, response)


@api.post(
    "/engagements/{engagement_id}/documents/upload",
    response_model=schemas.IngestOut,
    status_code=status.HTTP_201_CREATED,
    responses=DUPLICATE_RESPONSE,
)
async def upload_document(
    engagement_id: IdPath,
    container: ContainerDep,
    response: Response,
    file: Annotated[UploadFile, File(description=".txt / .md / .docx / .pdf / .xlsx / .csv")],
    kind: Annotated[schemas.DocumentKind, Form()],
    date: Annotated[dt.date, Form()],
    period: Annotated[
        str | None,
        Form(
            description="2026-02 / 2026/2 / 2026年2月; omitted: the month the title or opening "
            "lines state (a vendor_report with none is 422)"
        ),
    ] = None,
    title: Annotated[schemas.StorableText, Form(max_length=schemas.FIELD_LIMITS["title"])] = "",
    on_duplicate: OnDuplicateQuery = "warn",
) -> schemas.IngestOut | JSONResponse:
    validate_period(period)
    # 404 before reading (and parsing) a file nobody can store.
    await run_in_threadpool(
        engagements.require_engagement, container=container, engagement_id=engagement_id
    )
    filename, text = await read_upload(
        file,
        max_bytes=container.settings.max_upload_bytes,
        timeout_s=container.settings.parse_timeout_s,
    )
    data = DocumentInput(
        engagement_id=engagement_id,
        kind=kind,
        date=date,
        period=period,
        title=title or filename,
        text=text,
        source_filename=filename,
        on_duplicate=on_duplicate,
    )
    return await _ingest_json(container, data, response)


@api.get("/documents/{document_id}", response_model=schemas.DocumentOut)
async def get_document(document_id: IdPath, container: ContainerDep) -> schemas.DocumentOut:
    return await run_in_threadpool(
        engagements.get_document, container=container, document_id=document_id
    )


@api.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document_route(document_id: IdPath, container: ContainerDep) -> Response:
    await run_in_threadpool(remove_document, container=container, document_id=document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- pages ---------------------------------------------------------------------------------


async def _document_form(
    request: Request,
    templates: TemplatesDep,
    container: Container,
    engagement_id: int,
    *,
    values: dict[str, str],
    error: str | None = None,
    ask_period: bool = False,
    duplicates: list[Duplicate] | None = None,
    status_code: int = 200,
) -> Response:
    summary = await run_in_threadpool(
        engagements.engagement_summary, container=container, engagement_id=engagement_id
    )
    return templates.TemplateResponse(
        request,
        "document_new.html",
        {
            "engagement": summary,
            "values": values,
            "error": error,
            "ask_period": ask_period,
            "duplicates": duplicates or [],
            "kinds": DOCUMENT_KINDS,
        },
        status_code=status_code,
    )


@pages.get("/engagements/{engagement_id}/documents/new", response_class=HTMLResponse)
async def new_document(
    engagement_id: IdPath, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    values = {"kind": "vendor_report", "date": dt.date.today().isoformat()}
    return await _document_form(request, templates, container, engagement_id, values=values)


async def _store_from_form(
    request: Request,
    container: Container,
    templates: TemplatesDep,
    engagement_id: int,
    values: dict[str, str],
    upload: UploadFile | None,
) -> Response:
    """Ingest and redirect to the document; on bad input show the form again with the
    user's input kept and a Japanese message; a near-duplicate asks 置き換える or 別の文書として保存."""
    text, filename = values["text"], values.get("source_filename") or None
    choice = values.get("on_duplicate", "")
    policy: DuplicatePolicy = (
        "replace" if choice == "replace" else "keep" if choice == "keep" else "warn"
    )
    try:
        date = parse_date(values["date"], label="日付")
        period = validate_period(values["period"])
        check_form_field("title", values["title"])
        if upload is not None:
            filename, text = await read_upload(
                upload,
                max_bytes=container.settings.max_upload_bytes,
                timeout_s=container.settings.parse_timeout_s,
            )
        data = DocumentInput(
            engagement_id=engagement_id,
            kind=values["kind"],
            date=date,
            period=period,
            title=values["title"] or filename or "",
            text=text,
            source_filename=filename,
            on_duplicate=policy,
        )
        result = await run_in_threadpool(store_document, container=container, data=data)
    except DuplicateFound as error:
        # The choice form re-sends the text (an upload's extracted text) with the answer.
        kept = {**values, "text": text, "source_filename": filename or ""}
        return await _document_form(
            request,
            templates,
            container,
            engagement_id,
            values=kept,
            duplicates=error.duplicates,
            status_code=error.status_code,
        )
    except RenewalDeskError as error:
        if error.status_code == 404:
            raise
        return await _document_form(
            request,
            templates,
            container,
            engagement_id,
            values=values,
            error=error.message,
            ask_period=isinstance(error, PeriodMissing),
            status_code=error.status_code,
        )
    flag = "created" if result.created else "existing"
    return RedirectResponse(f"/documents/{result.document_id}?{flag}=1", status_code=303)


@pages.post("/engagements/{engagement_id}/documents", response_class=HTMLResponse)
async def paste_document(
    engagement_id: IdPath,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    kind: Annotated[str, Form()] = "vendor_report",
    date: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    on_duplicate: Annotated[str, Form()] = "",
    source_filename: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    values = {
        "kind": kind,
        "date": date,
        "period": period,
        "title": title,
        "text": text,
        "on_duplicate": on_duplicate,
        "source_filename": source_filename,
    }
    return await _store_from_form(request, container, templates, engagement_id, values, None)


@pages.post("/engagements/{engagement_id}/upload", response_class=HTMLResponse)
async def upload_document_page(
    engagement_id: IdPath,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "vendor_report",
    date: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
) -> Response:
    values = {"kind": kind, "date": date, "period": period, "title": title, "text": ""}
    return await _store_from_form(request, container, templates, engagement_id, values, file)


@pages.get("/documents/{document_id}", response_class=HTMLResponse)
async def document_page(
    document_id: IdPath,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    start: int | None = None,
    end: int | None = None,
) -> Response:
    context = await run_in_threadpool(
        document_view, container=container, document_id=document_id, start=start, end=end
    )
    context["created"] = "created" in request.query_params
    context["existing"] = "existing" in request.query_params
    return templates.TemplateResponse(request, "document.html", context)


@pages.get("/documents/{document_id}/delete", response_class=HTMLResponse)
async def confirm_delete_document(
    document_id: IdPath, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    document = await run_in_threadpool(
        engagements.get_document, container=container, document_id=document_id
    )
    return templates.TemplateResponse(
        request,
        "confirm_delete.html",
        {
            "title": f"文書「{document.title}」を削除しますか？",
            "detail": "本文と検索用のデータがすべて削除されます。元に戻せません。",
            "action": f"/documents/{document_id}/delete",
            "back": f"/documents/{document_id}",
        },
    )


@pages.post("/documents/{document_id}/delete")
async def delete_document_page(document_id: IdPath, container: ContainerDep) -> Response:
    engagement_id = await run_in_threadpool(
        remove_document, container=container, document_id=document_id
    )
    return RedirectResponse(f"/engagements/{engagement_id}?deleted=1", status_code=303)
