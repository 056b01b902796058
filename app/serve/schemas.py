"""JSON API request and response models (the documented OpenAPI schema).

Vendor, engagement and document models belong to `app.ingest.models` (the services return
them); they are re-exported here so the API's whole schema is readable in one place.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.vocabulary import DocumentKind
from app.ingest import models as ingest_models
from app.ingest.models import (
    ChunkOut,
    DocumentIn,
    DocumentOut,
    DocumentSummary,
    EngagementDetail,
    EngagementIn,
    EngagementOut,
    VendorIn,
    VendorOut,
)

__all__ = [
    "ChunkOut",
    "Cleared",
    "DocumentIn",
    "DocumentKind",
    "DocumentOut",
    "DocumentSummary",
    "EngagementDetail",
    "EngagementIn",
    "EngagementOut",
    "IngestOut",
    "JobOut",
    "KpiCorrectionIn",
    "KpiLabelMappingIn",
    "KpiValueIn",
    "SearchHitOut",
    "SearchOut",
    "Suggestions",
    "VendorIn",
    "VendorOut",
]


class IngestOut(ingest_models.IngestOut):
    warnings: list[str] = Field(
        default_factory=list,
        description="日付・対象期間が契約期間から外れているなどの注意（文書は保存済み）",
    )


class SearchHitOut(BaseModel):
    document_id: int
    engagement_id: int
    kind: DocumentKind
    period: str | None
    title: str
    start: int
    end: int
    quote: str
    score: float
    dense_rank: int | None
    bm25_rank: int | None


class SearchOut(BaseModel):
    query: str
    mode: Literal["dense", "bm25", "hybrid"]
    hits: list[SearchHitOut]


class KpiCorrectionIn(BaseModel):
    value: float | None = Field(
        description="the correct actual for this document's period; null = not an actual", ge=0
    )
    note: str = Field(default="", max_length=500)


class KpiValueIn(BaseModel):
    """A KPI value the reader did not find in a document (for that document's period)."""

    key: str = Field(examples=["appointments"])
    value: float = Field(ge=0, examples=[16])
    note: str = Field(default="", max_length=500)


class KpiLabelMappingIn(BaseModel):
    """An unrecognised table label and the KPI it means; saved as a synonym."""

    label: str = Field(min_length=1, max_length=100, examples=["有効アポ"])
    key: str = Field(examples=["appointments"])


class Cleared(BaseModel):
    deleted: int


class Suggestions(BaseModel):
    questions: list[str]


class JobOut(BaseModel):
    """A background job (LLM-assisted analysis or draft) and how it went."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Literal["analysis", "draft"]
    label: str
    status: Literal["queued", "running", "done", "failed"]
    status_label: str
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
