"""Server-rendered Japanese pages; form errors re-render the form with the user's input kept."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.analyse import service as analysis_service
from app.errors import InvalidInput, RenewalDeskError
from app.ingest.service import (
    DocumentInput,
    delete_engagement,
    parse_date,
    validate_period,
)
from app.retrieve.bm25 import Bm25Filter
from app.retrieve.highlight import highlight_segments
from app.serve import views
from app.serve.deps import ContainerDep, TemplatesDep
from app.serve.uploads import read_upload
from app.store import repository
from app.store.models import DOCUMENT_KINDS
from app.workflows import remove_document, store_document

router = APIRouter(include_in_schema=False)

KPI_FIELDS = {
    "appointments": "アポ数（件/月）",
    "opportunity_rate": "商談化率（%）",
    "calls": "架電数（件/月）",
    "opportunities": "商談数（件/月）",
}


@router.get("/", response_class=HTMLResponse)
def index(request: Request, container: ContainerDep, templates: TemplatesDep) -> Response:
    """The renewal dashboard: every engagement by urgency, with deadlines and status badges."""
    from app.draft.service import renewal_overview

    rows = renewal_overview(container=container)
    return templates.TemplateResponse(request, "index.html", {"rows": rows})


@router.get("/engagements/new", response_class=HTMLResponse)
def new_engagement(request: Request, templates: TemplatesDep) -> Response:
    return templates.TemplateResponse(
        request, "engagement_new.html", {"values": {}, "error": None, "kpi_fields": KPI_FIELDS}
    )


def _optional_int(value: str, label: str) -> int | None:
    value = value.strip().replace(",", "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError as error:
        raise InvalidInput(f"{label}は整数で入力してください。") from error


@router.post("/engagements", response_class=HTMLResponse)
async def create_engagement(
    request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    form = await request.form()
    values: dict[str, Any] = {key: str(value) for key, value in form.items()}
    try:
        targets: dict[str, float] = {}
        for key, label in KPI_FIELDS.items():
            raw = values.get(f"kpi_{key}", "").strip()
            if raw:
                try:
                    targets[key] = float(raw)
                except ValueError as error:
                    raise InvalidInput(f"{label}の目標は数値で入力してください。") from error
        with container.session_factory() as session:
            vendor = repository.get_or_create_vendor(session, name=values.get("vendor_name", ""))
            engagement = repository.create_engagement(
                session,
                vendor_id=vendor.id,
                service=values.get("service", ""),
                start_date=parse_date(values.get("start_date", ""), label="開始日"),
                renewal_date=parse_date(values.get("renewal_date", ""), label="更新日"),
                notice_days=_optional_int(values.get("notice_days", ""), "解約予告期間"),
                monthly_fee_jpy=_optional_int(values.get("monthly_fee_jpy", ""), "月額費用"),
                kpi_targets=targets,
            )
            session.commit()
            engagement_id = engagement.id
    except RenewalDeskError as error:
        return templates.TemplateResponse(
            request,
            "engagement_new.html",
            {"values": values, "error": error.message, "kpi_fields": KPI_FIELDS},
            status_code=error.status_code,
        )
    return RedirectResponse(f"/engagements/{engagement_id}", status_code=303)


@router.get("/engagements/{engagement_id}", response_class=HTMLResponse)
def engagement_page(
    engagement_id: int, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    """The renewal dashboard: decision, signals, KPIs, client-side checks, document timeline."""
    with container.session_factory() as session:
        engagement = repository.get_engagement(session, engagement_id)
        summary = views.engagement_out(engagement, today=dt.date.today())
        groups = views.timeline(list(engagement.documents))
    dashboard = views.dashboard(container=container, engagement_id=engagement_id)
    return templates.TemplateResponse(
        request,
        "engagement.html",
        {
            "engagement": summary,
            "groups": groups,
            "kpi_keys_all": list(container.knowledge.kpi.kpis),
            **dashboard,
        },
    )


@router.post("/documents/{document_id}/kpis")
async def correct_kpi_page(
    document_id: int,
    container: ContainerDep,
    key: Annotated[str, Form()],
    value: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """KPI correction from the dashboard table; an empty value means "not an actual"."""
    raw = value.strip().replace(",", "").replace("%", "")
    try:
        number = float(raw) if raw else None
    except ValueError as error:
        raise InvalidInput("KPIの値は数値で入力してください。") from error
    result = await run_in_threadpool(
        analysis_service.correct_kpi,
        container=container,
        document_id=document_id,
        key=key,
        value=number,
        note=note,
    )
    return RedirectResponse(
        f"/engagements/{result.engagement_id}?corrected=1#kpis", status_code=303
    )


def _document_form(
    request: Request,
    templates: TemplatesDep,
    container: ContainerDep,
    engagement_id: int,
    *,
    values: dict[str, Any],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with container.session_factory() as session:
        summary = views.engagement_out(
            repository.get_engagement(session, engagement_id), today=dt.date.today()
        )
    return templates.TemplateResponse(
        request,
        "document_new.html",
        {"engagement": summary, "values": values, "error": error, "kinds": DOCUMENT_KINDS},
        status_code=status_code,
    )


@router.get("/engagements/{engagement_id}/documents/new", response_class=HTMLResponse)
def new_document(
    engagement_id: int, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    values = {"kind": "vendor_report", "date": dt.date.today().isoformat()}
    return _document_form(request, templates, container, engagement_id, values=values)


async def _store_from_form(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    engagement_id: int,
    values: dict[str, str],
    upload: UploadFile | None,
) -> Response:
    """Validate, ingest and redirect to the document; on bad input re-render the form with
    the user's input kept and a Japanese message."""
    try:
        date = parse_date(values["date"], label="日付")
        period = validate_period(values["period"])
        text, filename = values["text"], None
        if upload is not None:
            filename, text = await read_upload(
                upload, max_bytes=container.settings.max_upload_bytes
            )
        data = DocumentInput(
            engagement_id=engagement_id,
            kind=values["kind"],
            date=date,
            period=period,
            title=values["title"] or filename or "",
            text=text,
            source_filename=filename,
        )
        result = await run_in_threadpool(store_document, container=container, data=data)
    except RenewalDeskError as error:
        if error.status_code == 404:
            raise
        return _document_form(
            request,
            templates,
            container,
            engagement_id,
            values=values,
            error=error.message,
            status_code=error.status_code,
        )
    flag = "created" if result.created else "existing"
    return RedirectResponse(f"/documents/{result.document_id}?{flag}=1", status_code=303)


@router.post("/engagements/{engagement_id}/documents", response_class=HTMLResponse)
async def paste_document(
    engagement_id: int,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    kind: Annotated[str, Form()] = "vendor_report",
    date: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    values = {"kind": kind, "date": date, "period": period, "title": title, "text": text}
    return await _store_from_form(request, container, templates, engagement_id, values, None)


@router.post("/engagements/{engagement_id}/upload", response_class=HTMLResponse)
async def upload_document(
    engagement_id: int,
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


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(
    document_id: int,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    start: int | None = None,
    end: int | None = None,
) -> Response:
    with container.session_factory() as session:
        document = repository.get_document(session, document_id)
        engagement = views.engagement_out(
            repository.get_engagement(session, document.engagement_id), today=dt.date.today()
        )
        detail = views.document_out(document)
    text = detail.text
    highlight = None
    if start is not None and end is not None and 0 <= start < end <= len(text):
        highlight = (text[:start], text[start:end], text[end:])
    return templates.TemplateResponse(
        request,
        "document.html",
        {
            "document": detail,
            "engagement": engagement,
            "highlight": highlight,
            "created": "created" in request.query_params,
            "existing": "existing" in request.query_params,
        },
    )


@router.get("/documents/{document_id}/delete", response_class=HTMLResponse)
def confirm_delete_document(
    document_id: int, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    with container.session_factory() as session:
        document = views.document_summary(repository.get_document(session, document_id))
    return templates.TemplateResponse(
        request,
        "confirm_delete.html",
        {
            "title": f"文書「{document.title}」を削除しますか？",
            "detail": "本文・チャンク・検索インデックスがすべて削除されます。元に戻せません。",
            "action": f"/documents/{document_id}/delete",
            "back": f"/documents/{document_id}",
        },
    )


@router.post("/documents/{document_id}/delete")
def delete_document_page(document_id: int, container: ContainerDep) -> Response:
    with container.session_factory() as session:
        engagement_id = repository.get_document(session, document_id).engagement_id
    remove_document(container=container, document_id=document_id)
    return RedirectResponse(f"/engagements/{engagement_id}?deleted=1", status_code=303)


@router.get("/engagements/{engagement_id}/delete", response_class=HTMLResponse)
def confirm_delete_engagement(
    engagement_id: int, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    with container.session_factory() as session:
        engagement = views.engagement_out(
            repository.get_engagement(session, engagement_id), today=dt.date.today()
        )
    return templates.TemplateResponse(
        request,
        "confirm_delete.html",
        {
            "title": f"契約「{engagement.vendor.name} / {engagement.service}」を削除しますか？",
            "detail": f"この契約の文書 {engagement.document_count} 件と検索インデックスもすべて削除されます。",
            "action": f"/engagements/{engagement_id}/delete",
            "back": f"/engagements/{engagement_id}",
        },
    )


@router.post("/engagements/{engagement_id}/delete")
def delete_engagement_page(engagement_id: int, container: ContainerDep) -> Response:
    delete_engagement(container=container, engagement_id=engagement_id)
    return RedirectResponse("/?deleted=1", status_code=303)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    q: str = "",
    engagement_id: int | None = None,
) -> Response:
    results = None
    engagement = None
    if engagement_id is not None:
        with container.session_factory() as session:
            engagement = views.engagement_out(
                repository.get_engagement(session, engagement_id), today=dt.date.today()
            )
    if q.strip():
        results = views.search(
            container=container,
            query=q.strip()[:1000],
            mode="hybrid",
            k=10,
            filters=Bm25Filter(engagement_id=engagement_id),
        )
    terms = container.tokenizer.surfaces(q) if q.strip() else []
    highlighted = (
        [(hit, highlight_segments(hit.quote, terms)) for hit in results.hits] if results else []
    )
    return templates.TemplateResponse(
        request,
        "search.html",
        {"q": q, "engagement": engagement, "results": highlighted, "searched": results is not None},
    )
