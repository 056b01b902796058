"""What the KPI reader tests share: the shipped vocabulary and one text read as
{(kpi, month): value}."""

from __future__ import annotations

from pathlib import Path

from app.analyse.kpi import extract_kpis
from app.knowledge.kpi import KpiKnowledge, load_kpi_knowledge

KNOWLEDGE_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "kpi.yaml"


def shipped_knowledge() -> KpiKnowledge:
    return load_kpi_knowledge(KNOWLEDGE_FILE)


def read(
    knowledge: KpiKnowledge, text: str, period: str | None = "2026-06"
) -> dict[tuple[str, str | None], float]:
    return {
        (m.key, m.period): m.value for m in extract_kpis(text, period=period, knowledge=knowledge)
    }
