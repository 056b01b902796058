"""The analysis result: plain pydantic models, the API's documented schema as well."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from app.core.facts import DocumentFacts

Status = Literal["good", "watch", "concern", "insufficient_evidence"]
Phase = Literal["onboarding", "stable", "stagnant"]
DecisionKind = Literal["renew", "renew_with_conditions", "do_not_renew", "pending"]

STATUS_LABELS: dict[str, str] = {
    "good": "良好",
    "watch": "要注意",
    "concern": "懸念あり",
    "insufficient_evidence": "判断材料不足",
}
PHASE_LABELS: dict[str, str] = {"onboarding": "導入初期", "stable": "安定期", "stagnant": "停滞期"}
DECISION_LABELS: dict[str, str] = {
    "renew": "更新",
    "renew_with_conditions": "条件付き更新",
    "do_not_renew": "更新しない",
    "pending": "判断保留",
}


class Citation(BaseModel):
    """A passage that exists: the exact characters [start, end) of a stored document."""

    document_id: int
    start: int
    end: int
    quote: str
    period: str | None = None
    title: str = ""

    def overlaps(self, document_id: int, start: int, end: int) -> bool:
        """Whether the passage shares characters with [start, end) of that document."""
        return self.document_id == document_id and self.start < end and start < self.end

    @classmethod
    def of_span(cls, document: DocumentFacts, start: int, end: int) -> Citation:
        """The characters [start, end) of a document, with its period and title."""
        return cls(
            document_id=document.id,
            start=start,
            end=end,
            quote=document.text[start:end],
            period=document.period,
            title=document.title,
        )


class TrendPoint(BaseModel):
    period: str
    score: int | None = Field(description="0–100 for that month, None when nothing was said")


class SignalResult(BaseModel):
    key: str
    label: str
    status: Status
    status_label: str
    score: int | None = Field(description="0 (concern) – 100 (good)")
    trend: list[TrendPoint]
    summary: str
    evidence: list[Citation]
    counter_evidence: list[Citation] = Field(
        default=[], description="the other side: concern quotes of a good signal, and so on"
    )
    engine: Literal["offline", "llm"] = "offline"
    note: str | None = None


class PresenceResult(BaseModel):
    key: str
    label: str
    present: bool
    periods: list[str] = []
    summary: str
    evidence: list[Citation]
    handover: Literal["smooth", "rough", "unknown"] | None = None


class InternalFactor(BaseModel):
    type: str
    label: str
    checks: list[str]
    evidence: list[Citation]


class KpiCell(BaseModel):
    value: float
    target: float | None = None
    achievement: float | None = Field(default=None, description="actual ÷ target (1.0 = 100 %)")
    corrected: bool = False
    source: Citation | None = None


class KpiConflictResult(BaseModel):
    """Documents disagree on one KPI and month: the value that counts and the one it beat."""

    key: str
    period: str
    value: float
    other_value: float
    source: Citation
    other_source: Citation


class KpiUnrecognised(BaseModel):
    """A table row that looks like a KPI but whose label the reader does not know (to map)."""

    document_id: int
    label: str
    value_text: str
    quote: str
    start: int
    end: int


class KpiMonth(BaseModel):
    period: str
    values: dict[str, KpiCell]
    cost_per_appointment: float | None = None
    cost_per_opportunity: float | None = None


class FunnelStage(BaseModel):
    key: str
    label: str
    value: float | None
    target: float | None = None
    rate_key: str | None = None
    rate: float | None = Field(default=None, description="% from the previous stage")
    reference_low: float | None = None
    reference_high: float | None = None
    assessment: Literal["below_reference", "within_reference", "above_reference"] | None = None


class Funnel(BaseModel):
    periods: list[str]
    stages: list[FunnelStage]
    leak: str | None = Field(description="where the funnel leaks, in Japanese")


class Condition(BaseModel):
    text: str
    owner: str
    reason: str


class Decision(BaseModel):
    decision: DecisionKind
    label: str
    reasons: list[str]
    conditions: list[Condition]
    evidence: list[Citation]


class EngagementAnalysis(BaseModel):
    engagement_id: int
    as_of: dt.date
    engine: Literal["offline", "llm", "mixed"] = "offline"
    knowledge_version: str
    prompt_version: str | None = None
    phase: Phase
    phase_label: str
    main_kpi: str | None
    recent_achievement: float | None = Field(description="recent main-KPI actual ÷ target")
    signals: dict[str, SignalResult]
    personnel_change: PresenceResult
    expectation_gap: PresenceResult
    stagnation: PresenceResult
    internal_factors: list[InternalFactor]
    open_checks: list[str] = Field(description="自社要因の確認で残っているチェック")
    kpi_table: list[KpiMonth]
    kpi_conflicts: list[KpiConflictResult] = []
    kpi_unrecognised: list[KpiUnrecognised] = []
    funnel: Funnel | None
    decision: Decision
    notes: list[str] = []
    documents_considered: int

    def citations_of(self, signal: str) -> list[Citation]:
        """The passages cited for one signal: a status signal's evidence, a presence
        signal's, or every client-side cause's for 「internal_factors」 (the chat reads them
        as sentences about that signal)."""
        if signal in self.signals:
            return list(self.signals[signal].evidence)
        if signal == "internal_factors":
            return [citation for factor in self.internal_factors for citation in factor.evidence]
        presence = getattr(self, signal, None)
        return list(presence.evidence) if isinstance(presence, PresenceResult) else []
