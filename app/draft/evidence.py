"""Which quotes back a signal in a draft: the strongest first, not the first keyword hit.

Pure code. The analysis lists a signal's passages by its own score; a reader weighs them by
who says it and what it says: the vendor's reported facts and the client's observations in
its minutes outrank our own e-mails (what we wrote to the vendor is our view, not evidence),
a stated fact or number outranks a general remark, and a request, a ToDo line or a
courtesy we wrote is no evidence of the work at all. Among equals the analysis's order stays.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from app.analyse.models import Citation, EngagementAnalysis
from app.core.facts import DocumentFacts, author_of
from app.core.normalize import normalize_for_matching

# what we ask, promise or thank for: our wording, not a fact about the work
ASKING = re.compile(r"お願い|ください|いただけ(?:ます|れば)|存じます|幸いです|ありがとう")
TODO_LINE = re.compile(r"^[^:：、。「」]{1,12}[:：]")  # 「中川：単独訪問の結果を月次で共有」
FACT = re.compile(r"\d|なかった|なく|残っておらず|していない|聞いていない|完成|完了|済み")


def sides(documents: Sequence[DocumentFacts], vendor_name: str) -> dict[int, str]:
    """Each document's weight class: 「vendor」, 「minutes」 (our notes of a meeting: what both
    sides said and observed) or 「ours」 (what we wrote to someone)."""
    found: dict[int, str] = {}
    for document in documents:
        if author_of(document, vendor_name) == "vendor":
            found[document.id] = "vendor"
        else:
            found[document.id] = "minutes" if document.kind == "meeting_notes" else "ours"
    return found


def strength(citation: Citation, side: Mapping[int, str]) -> int:
    """Lower is stronger."""
    text = normalize_for_matching(citation.quote).strip()
    rank = 0
    if side.get(citation.document_id) == "ours":
        rank += 2
    if ASKING.search(text) or TODO_LINE.match(text):
        rank += 3
    if not FACT.search(text):
        rank += 1
    return rank


def ranked(citations: Sequence[Citation], side: Mapping[int, str]) -> list[Citation]:
    """The quotes, strongest first (stable among equals)."""
    return sorted(citations, key=lambda c: strength(c, side))


def by_strength(analysis: EngagementAnalysis, side: Mapping[int, str]) -> EngagementAnalysis:
    """The analysis with every signal's and presence's quotes in order of strength."""
    signals = {
        key: s.model_copy(update={"evidence": ranked(s.evidence, side)})
        for key, s in analysis.signals.items()
    }
    update: dict[str, object] = {"signals": signals}
    for name in ("personnel_change", "expectation_gap", "stagnation"):
        presence = getattr(analysis, name)
        update[name] = presence.model_copy(update={"evidence": ranked(presence.evidence, side)})
    return analysis.model_copy(update=update)


def vendor_ids(documents: Sequence[DocumentFacts], vendor_name: str) -> set[int]:
    """The documents the vendor wrote."""
    return {d.id for d in documents if author_of(d, vendor_name) == "vendor"}
