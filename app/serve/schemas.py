"""JSON API request and response models (the documented OpenAPI schema).

Vendor, engagement and document models belong to `app.ingest.models` (the services return
them); they are re-exported here so the API's whole schema is readable in one place.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Form, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from app.core.timestamps import IsoDate, UtcDateTime
from app.core.vocabulary import DocumentKind
from app.ingest import models as ingest_models
from app.ingest.models import (
    FIELD_LIMITS,
    MAX_ID,
    MAX_KPI_VALUE,
    ChunkOut,
    DocumentIn,
    DocumentOut,
    DocumentSummary,
    EngagementDetail,
    EngagementIn,
    EngagementOut,
    KpiNumber,
    StorableText,
    VendorIn,
    VendorOut,
)

__all__ = [
    "FIELD_LIMITS",
    "MAX_ID",
    "MAX_KPI_VALUE",
    "ChunkOut",
    "Cleared",
    "DocumentIn",
    "DocumentKind",
    "DocumentOut",
    "DocumentSummary",
    "EngagementDetail",
    "EngagementIn",
    "EngagementOut",
    "ErrorBody",
    "IdForm",
    "IdPath",
    "IdQuery",
    "IngestOut",
    "IsoDate",
    "JobOut",
    "KpiCorrectionIn",
    "KpiLabelMappingIn",
    "KpiNumber",
    "KpiValueIn",
    "SearchHitOut",
    "SearchOut",
    "StorableText",
    "Suggestions",
    "VendorIn",
    "VendorOut",
    "VersionQuery",
]

# Every id in a path or query: past int64 no row can have it, so it is refused (422) before
# it reaches the database (where it overflowed into a 500).
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
IdForm = Annotated[int, Form(ge=1, le=MAX_ID)]
VersionQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class ErrorDetail(BaseModel):
    loc: list[str | int]
    msg: str


class ErrorInfo(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(description="日本語のメッセージ（そのまま画面に出せる）")
    details: list[ErrorDetail] | dict[str, Any] | None = Field(
        default=None, description="422: 項目ごとの誤り / 409: 重なった文書など"
    )
    request_id: str | None = Field(default=None, description="ログの行と同じリクエスト ID")


class ErrorBody(BaseModel):
    """Every error the API answers has this body."""

    error: ErrorInfo


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
    value: KpiNumber | None = Field(
        description="the correct actual for this document's period; null = not an actual"
    )
    note: StorableText = Field(default="", max_length=FIELD_LIMITS["note"])


class KpiValueIn(BaseModel):
    """A KPI value the reader did not find in a document (for that document's period)."""

    key: str = Field(max_length=64, examples=["appointments"])
    value: KpiNumber = Field(examples=[16])
    note: StorableText = Field(default="", max_length=FIELD_LIMITS["note"])


class KpiLabelMappingIn(BaseModel):
    """An unrecognised table label and the KPI it means; saved as a synonym."""

    label: StorableText = Field(min_length=1, max_length=100, examples=["有効アポ"])
    key: str = Field(max_length=64, examples=["appointments"])


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
    created_at: UtcDateTime
    finished_at: UtcDateTime | None


class EngagementCreateIn(ingest_models.EngagementIn):
    """POST /api/v1/engagements: the engagement, and who owns it (the caller by default)."""

    owner_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="担当者のユーザー ID（省略時は作成したユーザー）"
    )


class OwnerIn(BaseModel):
    owner_id: int | None = Field(ge=1, le=MAX_ID, description="担当者のユーザー ID（null で解除）")
