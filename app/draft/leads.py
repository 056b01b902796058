"""The vendor's own leads for new value: market observations and insights in its documents
(a segment that converts better, a competitor's move, interest from a buyer's head office),
so the letter's 「新たな価値」 ask names concrete themes, not only the rubric's.

Pure code over the vendor's documents; the cues are `new_value_leads` in
prompts/drafts/drafts.yaml. A sentence already listed as a proposal or a request, a request,
a greeting, and a sentence without a cue are no lead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.analyse.models import Citation
from app.core.facts import DocumentFacts, author_of
from app.core.normalize import normalize_for_matching
from app.core.text import is_greeting, sentence_spans

MAX_LEADS = 3
ASKING = re.compile(r"ください|いただけ|お願い|たいと考え|ご相談|ご提案します|ご報告します")
MIN_CHARS = 20
MARKER = re.compile(r"\s*(?:[-・*]|\d+[.．、)）])\s+")


def vendor_leads(
    documents: Sequence[DocumentFacts],
    vendor_name: str,
    cues: Sequence[str],
    listed: Sequence[Citation],
) -> list[Citation]:
    """Up to `MAX_LEADS` observation sentences of the vendor, newest documents first; one
    with a figure (「約1.5倍」「3社」) before one without."""
    if not cues:
        return []
    cue = re.compile("|".join(cues))
    taken = [(c.document_id, c.start, c.end) for c in listed]
    vendor = [d for d in documents if author_of(d, vendor_name) == "vendor"]
    found: list[tuple[bool, Citation]] = []
    for document in sorted(vendor, key=lambda d: (d.date, d.id), reverse=True):
        for start, end in sentence_spans(document.text):
            marker = MARKER.match(document.text, start, end)
            start = marker.end() if marker else start
            quote = document.text[start:end].strip()
            text = normalize_for_matching(quote)
            if len(quote) < MIN_CHARS or is_greeting(quote) or ASKING.search(text):
                continue
            if not cue.search(text):
                continue
            if any(d == document.id and s < end and start < e for d, s, e in taken):
                continue
            found.append((not re.search(r"\d", text), Citation.of_span(document, start, end)))
    found.sort(key=lambda pair: pair[0])  # stable: newest first among equals
    return [c for _, c in found[:MAX_LEADS]]
