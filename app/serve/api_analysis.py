"""JSON API for the analysis: read, refresh, KPI corrections."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from app.analyse import service
from app.analyse.models import EngagementAnalysis
from app.serve.deps import ContainerDep
from app.workflows import reanalyse

router = APIRouter(prefix="/api/v1", tags=["analysis"])


class KpiCorrectionIn(BaseModel):
    value: float | None = Field(
        description="the correct actual for this document's period; null = not an actual", ge=0
    )
    note: str = Field(default="", max_length=500)


@router.get("/engagements/{engagement_id}/analysis", response_model=EngagementAnalysis)
async def get_analysis(
    engagement_id: int, container: ContainerDep, as_of: dt.date | None = None
) -> EngagementAnalysis:
    """Signals, KPIs, phase and decision with cited passages; `as_of` ignores later documents."""
    return await run_in_threadpool(
        service.get_analysis, container=container, engagement_id=engagement_id, as_of=as_of
    )


@router.post("/engagements/{engagement_id}/analysis/refresh", response_model=EngagementAnalysis)
async def refresh_analysis(engagement_id: int, container: ContainerDep) -> EngagementAnalysis:
    await run_in_threadpool(reanalyse, container=container, engagement_id=engagement_id)
    return await run_in_threadpool(
        service.get_analysis, container=container, engagement_id=engagement_id
    )


@router.put("/documents/{document_id}/kpis/{key}", response_model=EngagementAnalysis)
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


@router.delete("/documents/{document_id}/kpis/{key}", response_model=EngagementAnalysis)
async def remove_kpi_correction(
    document_id: int, key: str, container: ContainerDep
) -> EngagementAnalysis:
    return await run_in_threadpool(
        service.remove_correction, container=container, document_id=document_id, key=key
    )
