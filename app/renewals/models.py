"""The shapes the renewal dashboard returns (API and page share them)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from app.analyse.models import DecisionKind
from app.renewals.timeline import Timeline


class RenewalRow(BaseModel):
    """One line of the renewal dashboard."""

    engagement_id: int
    vendor_name: str
    service: str
    renewal_date: dt.date
    document_count: int
    decision: DecisionKind | None = Field(description="保存済みの最新分析の判断（なければ null）")
    decision_label: str | None
    timeline: Timeline
