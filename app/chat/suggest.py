"""Suggested questions, chosen from what the analysis found (templates in knowledge/chat.yaml)."""

from __future__ import annotations

from collections.abc import Mapping

from app.analyse.models import EngagementAnalysis
from app.chat.dates import period_label
from app.knowledge.chat import ChatKnowledge

MAX_SUGGESTIONS = 8
DEFAULT_KPI_LABEL = "アポ数"


def suggest_questions(
    *,
    analysis: EngagementAnalysis,
    knowledge: ChatKnowledge,
    kpi_labels: Mapping[str, str],
) -> list[str]:
    """A question about each concern found, then the KPI and meeting questions."""
    templates = knowledge.suggestions
    picked: list[str] = []
    if analysis.personnel_change.present:
        picked.extend(templates.personnel_change)
    if analysis.stagnation.present:
        picked.extend(templates.stagnation)
    if analysis.internal_factors:
        picked.extend(templates.internal_factors)
    if analysis.expectation_gap.present:
        picked.extend(templates.expectation_gap)
    for key in ("proactivity", "communication", "dependency"):
        signal = analysis.signals.get(key)
        if signal is not None and signal.status in ("concern", "watch"):
            picked.extend(getattr(templates, key))
    if analysis.kpi_table:
        picked.extend(templates.always)
    picked.extend(templates.meeting)

    main_kpi = kpi_labels.get(analysis.main_kpi or "", DEFAULT_KPI_LABEL)
    latest = analysis.kpi_table[-1].period if analysis.kpi_table else None
    values = {"main_kpi": main_kpi, "latest_month": period_label(latest) if latest else "先月"}
    questions: list[str] = []
    for template in picked:
        question = template.format(**values)
        if question not in questions:
            questions.append(question)
    return questions[:MAX_SUGGESTIONS]


def portfolio_questions(knowledge: ChatKnowledge) -> list[str]:
    return list(knowledge.suggestions.portfolio)
