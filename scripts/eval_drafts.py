"""Draft metrics for scripts/evaluate.py: citation validity, decision consistency, sections,
speed, and what a careful reader would object to (issue 12).

For each scenario every draft kind is generated (and stored, as a user would) from one
analysis as of `labels.as_of`; the analysis itself is timed by evaluate.py, so
`drafts_ms_p50` measures drafting alone. The counts that must stay 0:
`drafts_audience_leaks` (an external draft or its export citing or quoting a client-side
document, or using the internal review's wording), `drafts_past_deadlines` (a proposed date
before the as-of day, after the contract end or on a day off), `drafts_fact_mismatches` (a
number in the memo whose cited passage states another), `drafts_text_defects` (doubled
brackets, a sentence repeated in a section, a sentence with no predicate, a greeting or
thanks cited as evidence). `drafts_past_deadlines` also counts an open item past its due day
written without 期限超過.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from sqlalchemy import select

from app.analyse.service import compute_analysis, engagement_facts
from app.container import Container
from app.core.facts import author_of
from app.core.vocabulary import DRAFT_KINDS
from app.draft.audience import vendor_sent
from app.draft.checks import (
    audience_problems,
    courtesy_citations,
    date_problems,
    fact_problems,
    memo_decision,
    text_defects,
)
from app.draft.citations import MARKER, missing_sections
from app.draft.service import export_draft, generate_draft
from app.store.models import Document


def evaluate_drafts(
    *,
    container: Container,
    engagement_id: int,
    labels: dict[str, Any],
    document_ids: dict[int, str],
    assisted: bool = False,
) -> dict[str, Any]:
    """Generate the drafts for one scenario and return raw counts for `summarize_drafts`;
    `assisted` goes through the LLM path (analysis and prose), as the background jobs do."""
    as_of = labels.get("as_of")
    if not isinstance(as_of, dt.date):
        as_of = dt.date.fromisoformat(str(as_of)) if as_of else dt.date.today()
    analysis = compute_analysis(
        container=container, engagement_id=engagement_id, as_of=as_of, assisted=assisted
    )
    config = container.knowledge.drafts
    with container.session_factory() as session:
        texts = dict(
            session.execute(
                select(Document.id, Document.text).where(Document.engagement_id == engagement_id)
            ).all()
        )
    outcome: dict[str, Any] = {
        "markers": 0,
        "valid_markers": 0,
        "memos": 0,
        "consistent_memos": 0,
        "drafts": 0,
        "complete_drafts": 0,
        "timings": [],
        "problems": [],
        "audience_leaks": 0,
        "past_deadlines": 0,
        "fact_mismatches": 0,
        "text_defects": 0,
        "llm_drafts": 0,
    }
    engagement, documents = engagement_facts(container, engagement_id)
    audiences = config.audiences
    vendor_ids = frozenset(
        d.id for d in documents if vendor_sent(d, engagement.vendor_name, audiences)
    )
    vendor_texts = [d.text for d in documents if d.id in vendor_ids]
    client_texts = [d.text for d in documents if author_of(d, engagement.vendor_name) == "client"]
    for kind in DRAFT_KINDS:
        started = time.perf_counter()
        draft = generate_draft(
            container=container,
            engagement_id=engagement_id,
            kind=kind,
            analysis=analysis,
            as_of=as_of,
            assisted=assisted,
        )
        outcome["llm_drafts"] += draft.engine == "llm"
        outcome["timings"].append((time.perf_counter() - started) * 1000)
        outcome["drafts"] += 1
        missing = missing_sections(draft.markdown, config.kind(kind).required_sections)
        outcome["complete_drafts"] += not missing
        outcome["problems"] += [f"{kind}: 見出し「{title}」なし" for title in missing]
        for match in MARKER.finditer(draft.markdown):
            outcome["markers"] += 1
            number = int(match.group(1))
            if not 1 <= number <= len(draft.citations):
                outcome["problems"].append(f"{kind}: [{number}] 出典なし")
                continue
            citation = draft.citations[number - 1]
            text = texts.get(citation.document_id)
            if text is not None and text[citation.start : citation.end] == citation.quote:
                outcome["valid_markers"] += 1
            else:
                outcome["problems"].append(f"{kind}: [{number}] 引用が文書と一致しない")
        found: dict[str, list[str]] = {
            "past_deadlines": date_problems(
                draft.markdown, today=as_of, contract_end=engagement.renewal_date
            ),
            "text_defects": text_defects(draft.markdown)
            + courtesy_citations(draft.markdown, draft.citations),
            "fact_mismatches": fact_problems(draft.markdown, draft.citations)
            if kind == "memo"
            else [],
            "audience_leaks": [],
        }
        if audiences.of(kind) == "external":
            exported = export_draft(
                container=container, draft_id=draft.id, export_format="md"
            ).content.decode("utf-8")
            for text, citations in ((draft.markdown, draft.citations), (exported, [])):
                found["audience_leaks"] += audience_problems(
                    text,
                    citations,
                    citable_ids=vendor_ids,
                    client_texts=client_texts,
                    vendor_texts=vendor_texts,
                    internal_terms=audiences.internal_terms,
                )
        for metric, problems in found.items():
            outcome[metric] += len(problems)
            outcome["problems"] += [f"{kind}: {problem}" for problem in problems]
        if kind == "memo":
            outcome["memos"] += 1
            stated = memo_decision(draft.markdown)
            expected = analysis.decision.decision
            consistent = draft.decision == expected and stated == expected
            outcome["consistent_memos"] += consistent
            if not consistent:
                outcome["problems"].append(f"memo: 判断 {stated}/{draft.decision} ≠ {expected}")
    return outcome


def summarize_drafts(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [o for o in outcomes if o]
    if not scored:
        return {}

    def share(part: str, whole: str) -> float:
        total = sum(o[whole] for o in scored)
        return round(sum(o[part] for o in scored) / total, 3) if total else 0.0

    timings = [t for o in scored for t in o["timings"]]
    return {
        "drafts_citation_validity": share("valid_markers", "markers"),
        "drafts_decision_consistency": share("consistent_memos", "memos"),
        "drafts_sections_complete": share("complete_drafts", "drafts"),
        "drafts_ms_p50": round(statistics.median(timings), 1) if timings else 0.0,
        "drafts_audience_leaks": sum(o["audience_leaks"] for o in scored),
        "drafts_past_deadlines": sum(o["past_deadlines"] for o in scored),
        "drafts_fact_mismatches": sum(o["fact_mismatches"] for o in scored),
        "drafts_text_defects": sum(o["text_defects"] for o in scored),
        "drafts_markers": sum(o["markers"] for o in scored),
        "drafts_problems": [p for o in scored for p in o["problems"]][:40],
    }
