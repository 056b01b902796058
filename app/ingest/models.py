"""Vendors, engagements and documents as the pages and the API see them (request and response)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from app.core.vocabulary import DocumentKind


class VendorIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["株式会社セールスパートナー"])


class VendorOut(BaseModel):
    id: int
    name: str


class EngagementIn(BaseModel):
    vendor_id: int | None = None
    vendor_name: str | None = Field(default=None, max_length=200)
    service: str = Field(min_length=1, max_length=300, examples=["インサイドセールス代行"])
    start_date: dt.date
    renewal_date: dt.date
    notice_days: int | None = Field(default=None, ge=0, le=3650)
    monthly_fee_jpy: int | None = Field(default=None, ge=0)
    kpi_targets: dict[str, float] = Field(default_factory=dict, examples=[{"appointments": 30}])


class DocumentSummary(BaseModel):
    id: int
    kind: DocumentKind
    date: dt.date
    period: str | None
    title: str
    source_filename: str | None
    created_at: dt.datetime


class EngagementOut(BaseModel):
    id: int
    vendor: VendorOut
    service: str
    start_date: dt.date
    renewal_date: dt.date
    notice_days: int | None
    monthly_fee_jpy: int | None
    kpi_targets: dict[str, float]
    days_left: int
    document_count: int


class EngagementDetail(EngagementOut):
    documents: list[DocumentSummary]


class DocumentIn(BaseModel):
    kind: DocumentKind
    date: dt.date
    period: str | None = Field(default=None, examples=["2025-04"], description="YYYY-MM")
    title: str = Field(default="", max_length=300)
    text: str


class ChunkOut(BaseModel):
    ordinal: int
    start: int
    end: int
    prefix: str
    text: str


class DocumentOut(DocumentSummary):
    engagement_id: int
    text: str
    content_hash: str
    chunks: list[ChunkOut]


class IngestOut(BaseModel):
    created: bool = Field(description="false when the same text was already stored")
    message: str
    document: DocumentOut
