"""The open 自社要因 checks the documents already speak to (a season, a regulation, a
competitor's price cut, how the buyer decides), so the memo cites them and leaves only the
real unknowns open.

Pure code: each open check's topics (`check_topics` in prompts/drafts/drafts.yaml) are
looked for in the documents' sentences, newest first; the first sentence per topic is cited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from app.analyse.models import Citation
from app.core.facts import DocumentFacts
from app.core.normalize import normalize_for_matching
from app.core.text import is_greeting, sentence_spans
from app.draft.findings import Finding
from app.knowledge.drafts import CheckTopic

MIN_CHARS = 15  # a heading (「競合の動き」) says nothing of its own
# a plan or proposal (「…へ優先的に訪問します」) is what someone will do, not a cause
PLAN = re.compile(
    r"(?:いた)?します。?$|たいと考え(?:て)?(?:おり|い)ます。?$|いかがでしょうか。?$|ご提案します。?$"
)


def spoken_checks(
    open_checks: Sequence[str],
    documents: Sequence[DocumentFacts],
    topics: Mapping[str, Sequence[CheckTopic]],
) -> tuple[list[Finding], list[str]]:
    """(what the documents say, per topic found; the checks nothing speaks to)."""
    newest = sorted(documents, key=lambda d: (d.date, d.id), reverse=True)
    spoken: list[Finding] = []
    remaining: list[str] = []
    for check in open_checks:
        found = False
        for topic in topics.get(check, ()):
            citation = _first(newest, re.compile(topic.pattern))
            if citation is not None:
                spoken.append(Finding(topic.label, [citation]))
                found = True
        if not found:
            remaining.append(check)
    return spoken, remaining


def _first(documents: Sequence[DocumentFacts], pattern: re.Pattern[str]) -> Citation | None:
    for document in documents:
        for start, end in sentence_spans(document.text):
            quote = document.text[start:end]
            if len(quote.strip()) < MIN_CHARS or is_greeting(quote) or PLAN.search(quote.strip()):
                continue
            if not pattern.search(normalize_for_matching(quote)):
                continue
            return Citation.of_span(document, start, end)
    return None
