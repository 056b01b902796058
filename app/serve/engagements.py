"""Engagements: registration form, the engagement page, deletion, and their /api/v1 twins.

The page shows what `GET /api/v1/engagements/{id}` (plus its analysis and jobs) returns;
`engagement_view` is that shared view-model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from app.analyse.service import get_analysis
from app.container import Container
from app.errors import InvalidInput, RenewalDeskError
from app.ingest import engagements
from app.remind import owners
from app.serve import schemas
from app.serve.analysis import dashboard
from app.serve.auth import auth_of
from app.serve.deps import ContainerDep, TemplatesDep
from app.serve.jobs import engagement_jobs, status_lines
from app.serve.schemas import IdPath, IsoDate

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class PeriodGroup:
    """Documents of one reporting month, for the engagement timeline."""

    period: str | None
    documents: list[schemas.DocumentSummary]


def timeline(documents: list[schemas.DocumentSummary]) -> list[PeriodGroup]:
    """Newest period first; documents without a period go by their date's month."""

    def key(document: schemas.DocumentSummary) -> str:
        return document.period or document.date.strftime("%Y-%m")

    ordered = sorted(documents, key=lambda d: (key(d), d.date), reverse=True)
    return [PeriodGroup(period, list(group)) for period, group in groupby(ordered, key=key)]


def engagement_view(
    *, container: Container, engagement_id: int, as_of: dt.date | None = None
) -> dict[str, Any]:
    """The engagement page: facts, analysis dashboard (as of a date), jobs, document timeline."""
    detail = engagements.get_engagement(container=container, engagement_id=engagement_id)
    analysis = get_analysis(container=container, engagement_id=engagement_id, as_of=as_of)
    jobs = engagement_jobs(container=container, engagement_id=engagement_id)
    return {
        "engagement": detail,
        "groups": timeline(detail.documents),
        "kpi_keys_all": list(container.knowledge.kpi.kpis),
        "job_lines": status_lines(jobs),
        "as_of_given": as_of is not None and as_of != dt.date.today(),
        "owner": owners.get_owner(container=container, engagement_id=engagement_id),
        "owner_choices": owners.owner_choices(container=container),
        **dashboard(
            container=container,
            analysis=analysis,
            titles={document.id: document.title for document in detail.documents},
        ),
    }


# --- /api/v1 -------------------------------------------------------------------------------


@api.get("/engagements", response_model=list[schemas.EngagementOut])
async def list_engagements(container: ContainerDep) -> list[schemas.EngagementOut]:
    return await run_in_threadpool(engagements.list_engagements, container=container)


@api.post(
    "/engagements", response_model=schemas.EngagementDetail, status_code=status.HTTP_201_CREATED
)
async def create_engagement(
    body: schemas.EngagementCreateIn, request: Request, container: ContainerDep
) -> schemas.EngagementDetail:
    detail = await run_in_threadpool(
        engagements.create_engagement,
        container=container,
        vendor_id=body.vendor_id,
        vendor_name=body.vendor_name,
        service=body.service,
        start_date=body.start_date,
        renewal_date=body.renewal_date,
        notice_days=body.notice_days,
        monthly_fee_jpy=body.monthly_fee_jpy,
        kpi_targets=body.kpi_targets,
        parties={name: getattr(body, name) for name in engagements.PARTY_FIELDS},
    )
    await run_in_threadpool(_assign_owner, container, detail.id, body.owner_id, request)
    return detail


def _assign_owner(
    container: Container,
    engagement_id: int,
    owner_id: int | None,
    request: Request,
    default_to_caller: bool = True,
) -> None:
    """The owner named, or (unless 未設定 was chosen) the user creating the engagement."""
    user = auth_of(request).user
    caller = user.id if user is not None and default_to_caller else None
    chosen = owner_id if owner_id is not None else caller
    if chosen is not None:
        owners.set_owner(container=container, engagement_id=engagement_id, owner_id=chosen)


@api.get("/engagements/{engagement_id}/owner", response_model=owners.OwnerOut)
async def get_owner(engagement_id: IdPath, container: ContainerDep) -> owners.OwnerOut:
    return await run_in_threadpool(
        owners.get_owner, container=container, engagement_id=engagement_id
    )


@api.put("/engagements/{engagement_id}/owner", response_model=owners.OwnerOut)
async def put_owner(
    engagement_id: IdPath, body: schemas.OwnerIn, container: ContainerDep
) -> owners.OwnerOut:
    """Who receives this engagement's reminders (an editor or admin; null clears it)."""
    return await run_in_threadpool(
        owners.set_owner, container=container, engagement_id=engagement_id, owner_id=body.owner_id
    )


@api.get("/engagements/{engagement_id}", response_model=schemas.EngagementDetail)
async def get_engagement(
    engagement_id: IdPath, container: ContainerDep
) -> schemas.EngagementDetail:
    return await run_in_threadpool(
        engagements.get_engagement, container=container, engagement_id=engagement_id
    )


@api.delete("/engagements/{engagement_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_engagement(engagement_id: IdPath, container: ContainerDep) -> Response:
    await run_in_threadpool(
        engagements.delete_engagement, container=container, engagement_id=engagement_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- pages (/engagements/new before /engagements/{id}) ---------------------------------------


@pages.get("/engagements/new", response_class=HTMLResponse)
async def new_engagement(
    request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    return templates.TemplateResponse(
        request,
        "engagement_new.html",
        {
            "values": {},
            "error": None,
            "kpi_fields": engagements.KPI_FORM_FIELDS,
            "owner_choices": await run_in_threadpool(owners.owner_choices, container=container),
        },
    )


@pages.post("/engagements", response_class=HTMLResponse)
async def create_engagement_page(
    request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    form = await request.form()
    values = {key: str(value) for key, value in form.items()}
    try:
        owner_id = _form_owner(values.get("owner_id"))
        engagement_id = await run_in_threadpool(
            engagements.create_engagement_from_form, container=container, values=values
        )
        await run_in_threadpool(
            _assign_owner, container, engagement_id, owner_id, request, "owner_id" not in values
        )
    except RenewalDeskError as error:
        return templates.TemplateResponse(
            request,
            "engagement_new.html",
            {
                "values": values,
                "error": error.message,
                "kpi_fields": engagements.KPI_FORM_FIELDS,
                "owner_choices": await run_in_threadpool(owners.owner_choices, container=container),
            },
            status_code=error.status_code,
        )
    return RedirectResponse(f"/engagements/{engagement_id}", status_code=303)


def _form_owner(value: str | None) -> int | None:
    """The owner select: "" is nobody chosen; anything but a bounded id is refused (422)."""
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= schemas.MAX_ID:
        raise InvalidInput("担当者の指定が正しくありません。")
    return int(value)


@pages.post("/engagements/{engagement_id}/owner")
async def set_owner_page(
    engagement_id: IdPath, request: Request, container: ContainerDep
) -> Response:
    form = await request.form()
    owner_id = _form_owner(str(form.get("owner_id") or ""))
    await run_in_threadpool(
        owners.set_owner, container=container, engagement_id=engagement_id, owner_id=owner_id
    )
    return RedirectResponse(f"/engagements/{engagement_id}?owner=1", status_code=303)


@pages.get("/engagements/{engagement_id}", response_class=HTMLResponse)
async def engagement_page(
    engagement_id: IdPath,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    as_of: Annotated[IsoDate | None, Query()] = None,
) -> Response:
    """The renewal dashboard: decision, signals, KPIs, client-side checks, document timeline;
    `as_of` (the page's date control) leaves out later documents, like the API."""
    context = await run_in_threadpool(
        engagement_view, container=container, engagement_id=engagement_id, as_of=as_of
    )
    return templates.TemplateResponse(request, "engagement.html", context)


@pages.get("/engagements/{engagement_id}/delete", response_class=HTMLResponse)
async def confirm_delete_engagement(
    engagement_id: IdPath, request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    engagement = await run_in_threadpool(
        engagements.engagement_summary, container=container, engagement_id=engagement_id
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


@pages.post("/engagements/{engagement_id}/delete")
async def delete_engagement_page(engagement_id: IdPath, container: ContainerDep) -> Response:
    await run_in_threadpool(
        engagements.delete_engagement, container=container, engagement_id=engagement_id
    )
    return RedirectResponse("/?deleted=1", status_code=303)
