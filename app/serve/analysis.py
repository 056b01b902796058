"""The analysis: its /api/v1 reads and KPI corrections, the dashboard's view-model and form.

The engagement page renders `dashboard(...)` over the same `EngagementAnalysis` that
`GET /api/v1/engagements/{id}/analysis` returns.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.analyse import service
from app.analyse.models import EngagementAnalysis
from app.container import Container
from app.core.vocabulary import STATUS_SIGNALS
from app.errors import InvalidInput
from app.serve.charts import ChartSeries, kpi_trend_svg
from app.serve.deps import ContainerDep
from app.serve.schemas import KpiCorrectionIn
from app.workflows import reanalyse

api = APIRouter(prefix="/api/v1", tags=["analysis"])
pages = APIRouter(include_in_schema=False)


def dashboard(*, container: Container, analysis: EngagementAnalysis) -> dict[str, Any]:
    """What the engagement page shows of an analysis: the KPI table's columns and chart."""
    kpi_defs = container.knowledge.kpi.kpis
    labels = {key: definition.label for key, definition in kpi_defs.items()}
    units = {key: str(definition.unit) for key, definition in kpi_defs.items()}
    present = {key for month in analysis.kpi_table for key in month.values}
    columns = [key for key in kpi_defs if key in present]
    # The latest target of each KPI (a later month's plan replaces an earlier one).
    targets = {
        key: cell.target
        for month in analysis.kpi_table
        for key, cell in month.values.items()
        if cell.target is not None
    }
    chart = kpi_trend_svg(
        analysis.kpi_table,
        series=[
            ChartSeries(key=key, label=labels[key], unit=units[key], target=targets.get(key))
            for key in columns
        ],
    )
    return {
        "analysis": analysis,
        "kpi_columns": columns,
        "kpi_labels": labels,
        "kpi_units": units,
        "kpi_chart": chart,
        "signal_order": list(STATUS_SIGNALS),
    }


def refreshed(*, container: Container, engagement_id: int) -> EngagementAnalysis:
    """Re-analyse now (and queue the LLM pass when configured), then read the result."""
    reanalyse(container=container, engagement_id=engagement_id)
    return service.get_analysis(container=container, engagement_id=engagement_id)


@api.get("/engagements/{engagement_id}/analysis", response_model=EngagementAnalysis)
async def get_analysis(
    engagement_id: int, container: ContainerDep, as_of: dt.date | None = None
) -> EngagementAnalysis:
    """Signals, KPIs, phase and decision with cited passages; `as_of` ignores later documents."""
    return await run_in_threadpool(
        service.get_analysis, container=container, engagement_id=engagement_id, as_of=as_of
    )


@api.post("/engagements/{engagement_id}/analysis/refresh", response_model=EngagementAnalysis)
async def refresh_analysis(engagement_id: int, container: ContainerDep) -> EngagementAnalysis:
    return await run_in_threadpool(refreshed, container=container, engagement_id=engagement_id)


@api.put("/documents/{document_id}/kpis/{key}", response_model=EngagementAnalysis)
async def correct_kpi(
    document_id: int, key: str, body: KpiCorrectionIn, container: ContainerDep
) -> EngagementAnalysis:
    """Correct one KPI of one document; survives re-analysis and re-import of the same text."""
    return await run_in_threadpool(
        service.correct_kpi,
        container=container,
        document_id=document_id,
        key=key,
        value=body.value,
        note=body.note,
    )


@api.delete("/documents/{document_id}/kpis/{key}", response_model=EngagementAnalysis)
async def remove_kpi_correction(
    document_id: int, key: str, container: ContainerDep
) -> EngagementAnalysis:
    return await run_in_threadpool(
        service.remove_correction, container=container, document_id=document_id, key=key
    )


@pages.post("/documents/{document_id}/kpis")
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
        service.correct_kpi,
        container=container,
        document_id=document_id,
        key=key,
        value=number,
        note=note,
    )
    return RedirectResponse(
        f"/engagements/{result.engagement_id}?corrected=1#kpis", status_code=303
    )
