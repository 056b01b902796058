"""Vendor comparison: the page, its CSV, its /api/v1 twin, and each KPI table as CSV."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.analyse.service import get_analysis
from app.container import Container
from app.renewals import compare
from app.renewals.compare_page import SortKey, SortOrder, comparison_page, sort_rows
from app.renewals.dashboard import STATUS_ORDER
from app.renewals.timeline import STATUS_LABELS, TimelineStatus
from app.serve.analysis import dashboard
from app.serve.deps import ContainerDep, TemplatesDep
from app.serve.downloads import csv_download
from app.serve.schemas import IdPath, IsoDate

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)


def kpi_csv(*, container: Container, engagement_id: int, as_of: dt.date | None) -> str:
    """The engagement page's KPI table (same columns) as CSV."""
    analysis = get_analysis(container=container, engagement_id=engagement_id, as_of=as_of)
    view = dashboard(container=container, analysis=analysis)
    return compare.kpi_table_csv(analysis, columns=view["kpi_columns"], labels=view["kpi_labels"])


SortQuery = Annotated[SortKey | None, Query()]
OrderQuery = Annotated[SortOrder, Query()]


def sorted_comparison(
    *, container: Container, sort: SortKey | None, order: SortOrder
) -> list[compare.ComparisonRow]:
    """Every row, by `sort` (none: most urgent renewal first)."""
    return sort_rows(compare.comparison(container=container), sort=sort, order=order)


@api.get("/compare", response_model=list[compare.ComparisonRow])
async def comparison_api(
    container: ContainerDep, sort: SortQuery = None, order: OrderQuery = "asc"
) -> list[compare.ComparisonRow]:
    """Every engagement side by side: achievement, unit costs, signals, decision, renewal."""
    return await run_in_threadpool(sorted_comparison, container=container, sort=sort, order=order)


@pages.get("/compare", response_class=HTMLResponse)
async def comparison_html(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    sort: SortQuery = None,
    order: OrderQuery = "asc",
    status: Annotated[TimelineStatus | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """One page of the comparison, sorted on the server (counts per status over all)."""
    rows = await run_in_threadpool(compare.comparison, container=container)
    view = comparison_page(rows, sort=sort, order=order, status=status, page=page)
    return templates.TemplateResponse(
        request,
        "compare.html",
        {
            "view": view,
            "rows": view.rows,
            "status_order": STATUS_ORDER,
            "status_labels": STATUS_LABELS,
        },
    )


@pages.get("/compare.csv")
async def comparison_csv(
    container: ContainerDep, sort: SortQuery = None, order: OrderQuery = "asc"
) -> Response:
    rows = await run_in_threadpool(sorted_comparison, container=container, sort=sort, order=order)
    today = dt.date.today().isoformat()
    return csv_download(compare.comparison_csv(rows), f"代行会社の比較_{today}.csv")


@pages.get("/engagements/{engagement_id}/kpis.csv")
async def kpi_table_csv(
    engagement_id: IdPath,
    container: ContainerDep,
    as_of: Annotated[IsoDate | None, Query()] = None,
) -> Response:
    text = await run_in_threadpool(
        kpi_csv, container=container, engagement_id=engagement_id, as_of=as_of
    )
    return csv_download(text, f"KPI_engagement-{engagement_id}.csv")
