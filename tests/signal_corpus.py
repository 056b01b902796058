"""One invented document and its weighted sentences, for the signal and detector tests."""

from __future__ import annotations

import datetime as dt

from app.analyse.cues import Sentence, sentences
from app.core.facts import Author, DocumentFacts


def document(
    text: str, *, kind: str = "vendor_report", title: str = "t", doc_id: int = 1
) -> DocumentFacts:
    """A June 2025 document of `kind` (vendor_report, meeting_notes, email)."""
    return DocumentFacts(
        id=doc_id, kind=kind, date=dt.date(2025, 6, 30), period="2025-06", title=title, text=text
    )


def corpus(source: DocumentFacts, author: Author) -> list[tuple[Sentence, float]]:
    """The document's sentences, each at weight 1.0 (as the engine pairs them)."""
    return [(sentence, 1.0) for sentence in sentences(source, author)]
