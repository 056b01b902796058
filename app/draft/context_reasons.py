"""What the vendor already said, so a draft answers it instead of asking it again.

Pure code over the vendor's own documents (knowledge/drafts_audience.yaml `vendor_text`):
the reason its report gives for a missed month (`stated_causes`: the next question is about
the measures, not the cause), the result its own work achieved (`strongest_result`: what the
letter's thanks name), which of our requests it already proposed or owes (`offered_for`),
and its quotes shown with the parties swapped (`swap_parties`: 「弊社」 in our letter reads
〔貴社〕).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.analyse.models import Citation
from app.core.facts import DocumentFacts
from app.core.normalize import normalize_for_matching
from app.core.text import is_greeting, sentence_spans
from app.draft.audience import Readers
from app.draft.context_vendor import Figure, OwedItem, clause_citation
from app.knowledge import Knowledge
from app.knowledge.drafts import VendorText

MIN_RESULT_SCORE = 2


@dataclass(frozen=True)
class StatedCause:
    """The vendor's reason for one KPI missing its target in one month."""

    key: str
    label: str
    period: str
    citation: Citation


def _compiled(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def kpi_words(key: str, knowledge: Knowledge) -> list[str]:
    """The label, its synonyms and the funnel stage's words (「アポ」「訪問アポ」…), normalised."""
    spec = knowledge.kpi.kpis.get(key)
    words = [str(spec.label), *(str(s) for s in spec.synonyms)] if spec else []
    stages = knowledge.kpi.labels.stages.values() if knowledge.kpi.labels else []
    for stage in stages:
        if key in stage.measures.values() and (stage.bare or stage.measures.get("count")) == key:
            words += [str(w) for w in stage.words if not str(w).isascii()]
    return sorted({normalize_for_matching(w) for w in words if w}, key=len, reverse=True)


def stated_causes(
    figures: Sequence[Figure],
    documents: Sequence[DocumentFacts],
    readers: Readers,
    rules: VendorText,
    knowledge: Knowledge,
) -> list[StatedCause]:
    """Per missed month and KPI, the sentence of the vendor's report for it that gives a
    reason: on the figure's own line, or naming that KPI, nearest the figure; a proposal or
    a courtesy is no reason."""
    cause = _compiled(rules.cause_sentences)
    proposing = _compiled(rules.proposal_sentences)
    if cause is None:
        return []
    by_id = {d.id: d for d in documents}
    found: list[StatedCause] = []
    for figure in figures:
        source = figure.source
        if source is None or figure.achievement is None or figure.achievement >= 1:
            continue
        document = by_id.get(source.document_id)
        if document is None or document.id not in readers.citable_ids:
            continue
        words = kpi_words(figure.key, knowledge)
        best: tuple[int, int, int] | None = None
        for start, end in sentence_spans(document.text):
            sentence = document.text[start:end]
            if is_greeting(sentence) or not cause.search(sentence):
                continue
            if proposing is not None and proposing.search(sentence):
                continue
            low, high = min(start, source.start), max(end, source.end)
            own_line = "\n" not in document.text[low:high]
            plain = normalize_for_matching(sentence)
            if not own_line and not any(w in plain for w in words):
                continue
            distance = abs(start - source.start)
            if best is None or distance < best[0]:
                best = (distance, start, end)
        if best is not None:
            citation = clause_citation(document, best[1], best[2])
            found.append(StatedCause(figure.key, figure.label, figure.period, citation))
    return found


def explained(causes: Sequence[StatedCause], missed: Sequence[Figure]) -> list[Citation]:
    """The causes' passages when every missed month of these figures has one, else []."""
    given = {(c.period, c.key): c.citation for c in causes}
    if not missed or any((f.period, f.key) not in given for f in missed):
        return []
    passages = [given[(f.period, f.key)] for f in missed]
    return list({(c.document_id, c.start): c for c in passages}.values())


def strongest_result(
    documents: Sequence[DocumentFacts], readers: Readers, rules: VendorText
) -> Citation | None:
    """The vendor's sentence reporting the most of what its own work achieved (result cues
    and a figure), newest first among equals; none when nothing says so."""
    cues = [re.compile(p) for p in rules.result_sentences]
    proposing = _compiled(rules.proposal_sentences)
    best: tuple[int, int, Citation] | None = None
    for document in documents:
        if document.id not in readers.citable_ids:
            continue
        for start, end in sentence_spans(document.text):
            sentence = document.text[start:end]
            if is_greeting(sentence) or (proposing is not None and proposing.search(sentence)):
                continue
            score = sum(1 for c in cues if c.search(sentence))
            score += 1 if score and re.search(r"\d", normalize_for_matching(sentence)) else 0
            if score < MIN_RESULT_SCORE:
                continue
            rank = (score, document.date.toordinal())
            if best is None or rank > best[:2]:
                best = (rank[0], rank[1], clause_citation(document, start, end))
    return best[2] if best else None


def offered_for(
    pattern: str, proposals: Sequence[Citation], owed: Sequence[OwedItem]
) -> tuple[list[Citation], list[OwedItem]]:
    """The vendor's proposals, and the items it owes, that already answer a request."""
    if not pattern:
        return [], []
    matches = re.compile(pattern)
    offered = [c for c in proposals if matches.search(normalize_for_matching(c.quote))]
    underway = [i for i in owed if i.side == "代行会社" and matches.search(i.task)]
    return offered, underway


def swap_parties(text: str, rules: VendorText) -> str:
    """A vendor quote as our letter shows it: its word for itself reads 〔貴社〕, its word for
    us 〔当社〕, so no pronoun reads inverted (one rule for every external draft)."""
    words = {w: "〔貴社〕" for w in rules.vendor_self_words}
    words |= {w: "〔当社〕" for w in rules.vendor_client_words}
    if not words:
        return text
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    return pattern.sub(lambda m: words[m.group(0)], text)
