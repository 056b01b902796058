"""LLM-assisted signal judgments, accepted only when every citation verifies.

The model sees retrieved passages fenced as quoted data. Its answer is rejected (one retry,
then the offline result with a visible note) when a citation names a passage it was not
given, a quote is not in its passage, or a quote comes from a sentence that addresses a
model (prompt injection) — an answer built on such a sentence followed the injection.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.analyse.models import STATUS_LABELS, Citation, SignalResult
from app.core.facts import EngagementFacts
from app.errors import LLMUnavailable
from app.knowledge import Knowledge
from app.knowledge.prompts import PromptRegistry
from app.llm.evidence import Citation as LlmCitation
from app.llm.evidence import (
    Passage,
    fence_passages,
    injected_quotes,
    locate_citations,
    passages_by_id,
    verify_citations,
)
from app.llm.model import ChatModel, LLMNotConfigured

log = logging.getLogger(__name__)

LLM_SIGNALS = ("proactivity", "communication", "dependency")
ATTEMPTS = 2


class SignalJudgement(BaseModel):
    """One rubric signal judged from the passages given, with verbatim citations."""

    status: Literal["good", "watch", "concern", "insufficient_evidence"]
    score: int = Field(ge=0, le=100)
    rationale: str
    citations: list[LlmCitation]


def criteria_text(knowledge: Knowledge, key: str) -> str:
    spec = knowledge.signals.signals[key]  # type: ignore[index]
    lines = [f"- {question}" for question in spec.checklist]
    return "確認する観点:\n" + "\n".join(lines)


def engagement_summary(engagement: EngagementFacts) -> str:
    targets = "、".join(f"{k}={v:g}" for k, v in engagement.kpi_targets.items()) or "なし"
    return (
        f"代行会社: {engagement.vendor_name}／サービス: {engagement.service}／"
        f"契約期間: {engagement.start_date}〜{engagement.renewal_date}／月次KPI目標: {targets}"
    )


def judge_signal(
    *,
    model: ChatModel,
    prompts: PromptRegistry,
    knowledge: Knowledge,
    engagement: EngagementFacts,
    key: str,
    passages: list[Passage],
    offline: SignalResult,
) -> SignalResult:
    """The LLM's judgment if it verifies within two attempts, else the offline one with a note."""
    by_id = passages_by_id(passages)
    messages = prompts.get("analysis_signal").render(
        signal_key=key,
        signal_label=offline.label,
        signal_criteria=criteria_text(knowledge, key),
        engagement_summary=engagement_summary(engagement),
        passages=fence_passages(passages),
    )
    problems: list[str] = []
    for _attempt in range(ATTEMPTS):
        try:
            judgement = model.structured(messages, SignalJudgement)
        except LLMNotConfigured:
            return offline
        except LLMUnavailable as error:
            log.warning("LLM unavailable for %s: %s", key, error.message)
            return offline.model_copy(
                update={
                    "note": f"LLMに接続できなかったため、オフライン判定を表示しています（{error.message}）。"
                }
            )
        problems = verify_citations(
            judgement.citations,
            by_id,
            require_citation=judgement.status != "insufficient_evidence",
        ) + injected_quotes(judgement.citations, by_id, knowledge.injection_regexes)
        if not problems:
            return SignalResult(
                key=key,
                label=offline.label,
                status=judgement.status,
                status_label=STATUS_LABELS[judgement.status],
                score=judgement.score,
                trend=offline.trend,
                summary=judgement.rationale,
                evidence=[
                    _citation(span, by_id) for span in locate_citations(judgement.citations, by_id)
                ],
                engine="llm",
            )
        log.info("LLM citations for %s rejected: %s", key, problems)
    return offline.model_copy(
        update={
            "note": "LLMの回答の引用を検証できなかったため、オフライン判定を表示しています（"
            + " / ".join(problems[:2])
            + "）。"
        }
    )


def _citation(span: Any, by_id: dict[str, Passage]) -> Citation:
    passage = by_id[span.passage_id]
    return Citation(
        document_id=span.document_id,
        start=span.start,
        end=span.end,
        quote=span.text,
        period=passage.period,
        title=passage.title,
    )
