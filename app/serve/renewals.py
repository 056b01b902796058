"""Renewals: the `/` dashboard, each engagement's timeline and the .ics calendars.

`/` renders the same `RenewalRow` list that `GET /api/v1/renewals` returns.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.remind.owners import owner_emails
from app.renewals import service
from app.renewals.dashboard import STATUS_ORDER, dashboard_page
from app.renewals.models import RenewalRow
from app.renewals.timeline import STATUS_LABELS, Timeline, TimelineStatus
from app.serve.deps import ContainerDep, TemplatesDep
from app.serve.schemas import IdPath

# The JSON twins keep the tag they were published under.
api = APIRouter(prefix="/api/v1", tags=["drafts"])
pages = APIRouter(include_in_schema=False)


def _ics(text: str, filename: str) -> Response:
    return Response(
        content=text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@api.get("/engagements/{engagement_id}/timeline", response_model=Timeline)
async def get_timeline(engagement_id: IdPath, container: ContainerDep) -> Timeline:
    """Notice deadline, review-meeting window, days left and status as of today."""
    return await run_in_threadpool(
        service.timeline_for, container=container, engagement_id=engagement_id
    )


@api.get("/renewals", response_model=list[RenewalRow])
async def list_renewals(container: ContainerDep) -> list[RenewalRow]:
    """Every engagement with its timeline, most urgent first."""
    return await run_in_threadpool(service.renewal_overview, container=container)


@pages.get("/", response_class=HTMLResponse)
async def index(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    status: Annotated[TimelineStatus | None, Query()] = None,
) -> Response:
    """The renewal dashboard: engagements by urgency, a page at a time (counts per status
    over all of them), with deadlines and status badges."""
    rows = await run_in_threadpool(service.renewal_overview, container=container)
    owners = await run_in_threadpool(owner_emails, container=container)
    view = dashboard_page(rows, page=page, status=status)
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "rows": view.rows,
            "view": view,
            "owners": owners,
            "status_order": STATUS_ORDER,
            "status_labels": STATUS_LABELS,
        },
    )


@pages.get("/engagements/{engagement_id}/calendar.ics")
async def engagement_calendar(
    engagement_id: IdPath, request: Request, container: ContainerDep
) -> Response:
    """Review window, notice deadline and renewal date of one engagement."""
    text, filename = await run_in_threadpool(
        service.calendar_ics,
        container=container,
        engagement_id=engagement_id,
        base_url=str(request.base_url),
    )
    return _ics(text, filename)


@pages.get("/calendar.ics")
async def all_calendar(request: Request, container: ContainerDep) -> Response:
    """The deadlines of every engagement in one calendar."""
    text, filename = await run_in_threadpool(
        service.calendar_ics,
        container=container,
        engagement_id=None,
        base_url=str(request.base_url),
    )
    return _ics(text, filename)
