"""Who reads a draft, and what a draft sent to the vendor may quote.

Pure code over knowledge/drafts_audience.yaml. An internal draft cites every document; an
external one cites only what the vendor itself sent (its reports and e-mails), because a
letter that quotes the client's own minutes back at the vendor leaks internal notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.analyse.models import Citation
from app.core.facts import DocumentFacts, author_of
from app.core.vocabulary import DraftKind
from app.knowledge.drafts import Audience, AudienceSpec


@dataclass(frozen=True)
class Readers:
    """The audience of one draft and the documents it may cite, by id."""

    audience: Audience
    citable_ids: frozenset[int]
    references: dict[int, str]  # document id → 「貴社10月度ご報告」

    @property
    def external(self) -> bool:
        return self.audience == "external"

    def allows(self, citation: Citation | None) -> bool:
        if citation is None:
            return False
        return not self.external or citation.document_id in self.citable_ids

    def keep(self, citations: Iterable[Citation]) -> list[Citation]:
        return [c for c in citations if self.allows(c)]

    def reference(self, citation: Citation) -> str:
        return self.references.get(citation.document_id, "")


def vendor_sent(document: DocumentFacts, vendor_name: str, spec: AudienceSpec) -> bool:
    """Whether an external draft may quote the document: the vendor wrote and sent it."""
    sources = spec.external_sources
    return (
        document.kind in sources.document_kinds
        and author_of(document, vendor_name) in sources.authors
    )


def letter_reference(document: DocumentFacts, spec: AudienceSpec) -> str:
    """「貴社2025年10月度ご報告」「貴社2025年11月25日付のメール」: a document named as a letter would."""
    template = spec.references.get(document.kind)  # type: ignore[call-overload]
    if not template:
        return ""
    year, month = (int(part) for part in document.month.split("-")[:2])
    if document.kind == "email":
        year, month = document.date.year, document.date.month
    return str(template).format(year=year, month=month, day=document.date.day)


def readers_for(
    kind: DraftKind, *, documents: Sequence[DocumentFacts], vendor_name: str, spec: AudienceSpec
) -> Readers:
    allowed = [d for d in documents if vendor_sent(d, vendor_name, spec)]
    return Readers(
        audience=spec.of(kind),
        citable_ids=frozenset(d.id for d in allowed),
        references={d.id: letter_reference(d, spec) for d in allowed},
    )


def internal_wording(text: str, spec: AudienceSpec) -> list[str]:
    """The internal terms an external text contains (each once, in the data's order)."""
    return [term for term in spec.internal_terms if re.search(term, text)]
