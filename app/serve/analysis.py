"""The analysis: its /api/v1 reads and KPI edits, the dashboard's view-model and forms.

The engagement page renders `dashboard(...)` over the same `EngagementAnalysis` that
`GET /api/v1/engagements/{id}/analysis` returns. KPI edits (correct a value, add a missing
one, map an unrecognised label to a KPI) are a form each plus its /api/v1 twin, both calling
the same analysis service function.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.analyse import service
from app.analyse.models import Citation, EngagementAnalysis, KpiUnrecognised
from app.container import Container
from app.core.vocabulary import STATUS_SIGNALS
from app.errors import InvalidInput
from app.serve.charts import ChartSeries, kpi_trend_svg
from app.serve.deps import ContainerDep
from app.serve.schemas import (
    MAX_KPI_VALUE,
    IdForm,
    IdPath,
    IsoDate,
    KpiCorrectionIn,
    KpiLabelMappingIn,
    KpiValueIn,
)
from app.workflows import reanalyse

api = APIRouter(prefix="/api/v1", tags=["analysis"])
pages = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class KpiSourceView:
    """One document's value for a KPI and month, with the passage it came from."""

    value: float
    source: Citation
    counts: bool  # the value the table shows (an actual beats a target or quoted number)


@dataclass(frozen=True)
class UnrecognisedRowView:
    """A row label the reader did not understand, with every row that carries it."""

    label: str
    rows: list[KpiUnrecognised]
    titles: dict[int, str]


def kpi_conflicts(analysis: EngagementAnalysis) -> dict[tuple[str, str], list[KpiSourceView]]:
    """Both sources of each conflict, by (period, key), for the cells of the KPI table."""
    return {
        (conflict.period, conflict.key): [
            KpiSourceView(conflict.value, conflict.source, counts=True),
            KpiSourceView(conflict.other_value, conflict.other_source, counts=False),
        ]
        for conflict in analysis.kpi_conflicts
    }


def unrecognised_rows(
    analysis: EngagementAnalysis, titles: Mapping[int, str]
) -> list[UnrecognisedRowView]:
    """One entry per label (mapping a label maps it everywhere), in the order first seen."""
    by_label: dict[str, list[KpiUnrecognised]] = {}
    for row in analysis.kpi_unrecognised:
        by_label.setdefault(row.label, []).append(row)
    return [
        UnrecognisedRowView(
            label, rows, {row.document_id: titles.get(row.document_id, "") for row in rows}
        )
        for label, rows in by_label.items()
    ]


def dashboard(
    *,
    container: Container,
    analysis: EngagementAnalysis,
    titles: Mapping[int, str] | None = None,
) -> dict[str, Any]:
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
        "kpi_conflicts": kpi_conflicts(analysis),
        "kpi_unrecognised": unrecognised_rows(analysis, titles or {}),
        "signal_order": list(STATUS_SIGNALS),
    }


def refreshed(*, container: Container, engagement_id: int) -> EngagementAnalysis:
    """Re-analyse now (and queue the LLM pass when configured), then read the result."""
    reanalyse(container=container, engagement_id=engagement_id)
    return service.get_analysis(container=container, engagement_id=engagement_id)


@api.get("/engagements/{engagement_id}/analysis", response_model=EngagementAnalysis)
async def get_analysis(
    engagement_id: IdPath,
    container: ContainerDep,
    as_of: Annotated[IsoDate | None, Query()] = None,
) -> EngagementAnalysis:
    """Signals, KPIs, phase and decision with cited passages; `as_of` ignores later documents."""
    return await run_in_threadpool(
        service.get_analysis, container=container, engagement_id=engagement_id, as_of=as_of
    )


@api.post("/engagements/{engagement_id}/analysis/refresh", response_model=EngagementAnalysis)
async def refresh_analysis(engagement_id: IdPath, container: ContainerDep) -> EngagementAnalysis:
    return await run_in_threadpool(refreshed, container=container, engagement_id=engagement_id)


@api.put("/documents/{document_id}/kpis/{key}", response_model=EngagementAnalysis)
async def correct_kpi(
    document_id: IdPath, key: str, body: KpiCorrectionIn, container: ContainerDep
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
    document_id: IdPath, key: str, container: ContainerDep
) -> EngagementAnalysis:
    return await run_in_threadpool(
        service.remove_correction, container=container, document_id=document_id, key=key
    )


def map_label(
    *, container: Container, engagement_id: int, label: str, key: str
) -> EngagementAnalysis:
    """Save an unrecognised label as a synonym of `key` (every engagement is re-analysed),
    then read this engagement's analysis."""
    service.map_kpi_label(container=container, label=label, key=key)
    return service.get_analysis(container=container, engagement_id=engagement_id)


def _number(value: str, *, label: str = "KPIの値") -> float | None:
    """A typed KPI value: 1,650,000 / 1650000円 / 64.5% / １２ all read; empty means none."""
    raw = unicodedata.normalize("NFKC", value).strip()
    for noise in (",", "円", "%", "件", " "):
        raw = raw.replace(noise, "")
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError as error:
        raise InvalidInput(
            f"{label}は数値で入力してください（入力値: {value.strip()!r}）。"
        ) from error
    if not math.isfinite(number) or not 0 <= number <= MAX_KPI_VALUE:  # as the API's KpiNumber
        raise InvalidInput(
            f"{label}は0以上{MAX_KPI_VALUE:,.0f}以下の数値で入力してください"
            f"（入力値: {value.strip()!r}）。"
        )
    return number


@api.post("/documents/{document_id}/kpis", response_model=EngagementAnalysis)
async def add_kpi_value(
    document_id: IdPath, body: KpiValueIn, container: ContainerDep
) -> EngagementAnalysis:
    """Add a KPI value missing from one document (for its period); survives re-analysis."""
    return await run_in_threadpool(
        service.add_kpi_value,
        container=container,
        document_id=document_id,
        key=body.key,
        value=body.value,
        note=body.note,
    )


@api.post("/engagements/{engagement_id}/kpi-labels", response_model=EngagementAnalysis)
async def map_kpi_label(
    engagement_id: IdPath, body: KpiLabelMappingIn, container: ContainerDep
) -> EngagementAnalysis:
    """Map an unrecognised table label to a KPI; saved as a synonym and used from then on."""
    return await run_in_threadpool(
        map_label, container=container, engagement_id=engagement_id, label=body.label, key=body.key
    )


@pages.post("/engagements/{engagement_id}/kpis")
async def add_kpi_value_page(
    engagement_id: IdPath,
    container: ContainerDep,
    document_id: IdForm,
    key: Annotated[str, Form()],
    value: Annotated[str, Form()] = "",
) -> Response:
    """The dashboard's 「値を追加」 form."""
    number = _number(value)
    if number is None:
        raise InvalidInput("追加する値を入力してください。")
    result = await run_in_threadpool(
        service.add_kpi_value, container=container, document_id=document_id, key=key, value=number
    )
    return RedirectResponse(f"/engagements/{result.engagement_id}?added=1#kpis", status_code=303)


@pages.post("/engagements/{engagement_id}/kpi-labels")
async def map_kpi_label_page(
    engagement_id: IdPath,
    container: ContainerDep,
    label: Annotated[str, Form(max_length=100)],
    key: Annotated[str, Form()],
) -> Response:
    """The select beside an unrecognised row."""
    await run_in_threadpool(
        map_label, container=container, engagement_id=engagement_id, label=label, key=key
    )
    return RedirectResponse(f"/engagements/{engagement_id}?mapped=1#kpis", status_code=303)


@pages.post("/documents/{document_id}/kpis")
async def correct_kpi_page(
    document_id: IdPath,
    container: ContainerDep,
    key: Annotated[str, Form()],
    value: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """KPI correction from the dashboard table; an empty value means "not an actual"."""
    number = _number(value)
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
