"""Chat metrics for scripts/evaluate.py: ask every `labels.questions` entry of a scenario.

Each question is asked in a new conversation, as of `labels.as_of`, through the same service
the API uses (offline unless an LLM is configured). An answer hits when, after NFKC
normalisation, it contains one of `answer_contains`; a citation hits when it points into
one of the `evidence` documents.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from app.chat.service import ask
from app.container import Container
from app.core.normalize import normalize_for_matching


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def evaluate_questions(
    *,
    container: Container,
    engagement_id: int,
    labels: dict[str, Any],
    document_ids: dict[int, str],
) -> dict[str, Any]:
    """Ask every `labels.questions` entry and return raw counts for `summarize_questions`."""
    as_of = _as_date(labels.get("as_of"))
    asked = answer_hits = citation_hits = 0
    timings: list[float] = []
    misses: list[str] = []
    for item in labels.get("questions") or []:
        started = time.perf_counter()
        result = ask(
            container=container,
            engagement_id=engagement_id,
            question=str(item["q"]),
            as_of=as_of,
        )
        timings.append((time.perf_counter() - started) * 1000)
        answer = normalize_for_matching(result.answer)
        expected = [normalize_for_matching(str(text)) for text in item.get("answer_contains") or []]
        evidence = {str(doc) for doc in item.get("evidence") or []}
        answer_hit = any(text in answer for text in expected)
        citation_hit = any(document_ids.get(c.document_id) in evidence for c in result.citations)
        asked += 1
        answer_hits += answer_hit
        citation_hits += citation_hit
        if not (answer_hit and citation_hit):
            cited = sorted({document_ids.get(c.document_id, "?") for c in result.citations})
            misses.append(
                f"{'' if answer_hit else '[answer] '}{'' if citation_hit else '[citation] '}"
                f"{item['q']} → {result.answer[:80]!r} cites {cited}"
            )
    return {
        "asked": asked,
        "answer_hits": answer_hits,
        "citation_hits": citation_hits,
        "timings": timings,
        "misses": misses,
    }


def summarize_questions(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    asked = sum(o.get("asked", 0) for o in outcomes)
    timings = [t for o in outcomes for t in o.get("timings", [])]
    if not asked:
        return {"qa_questions": 0, "qa_answer_hit": 0.0, "qa_citation_hit": 0.0, "qa_ms_p50": 0.0}
    return {
        "qa_questions": asked,
        "qa_answer_hit": round(sum(o.get("answer_hits", 0) for o in outcomes) / asked, 3),
        "qa_citation_hit": round(sum(o.get("citation_hits", 0) for o in outcomes) / asked, 3),
        "qa_ms_p50": round(statistics.median(timings), 1) if timings else 0.0,
    }
