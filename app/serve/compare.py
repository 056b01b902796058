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


@api.get("/compare", response_model=list[compare.ComparisonRow])
async def comparison_api(container: ContainerDep) -> list[compare.ComparisonRow]:
    """Every engagement side by side: achievement, unit costs, signals, decision, renewal."""
    return await run_in_threadpool(compare.comparison, container=container)


@pages.get("/compare", response_class=HTMLResponse)
async def comparison_page(
    request: Request, container: ContainerDep, templates: TemplatesDep
) -> Response:
    rows = await run_in_threadpool(compare.comparison, container=container)
    return templates.TemplateResponse(request, "compare.html", {"rows": rows})


@pages.get("/compare.csv")
async def comparison_csv(container: ContainerDep) -> Response:
    rows = await run_in_threadpool(compare.comparison, container=container)
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
