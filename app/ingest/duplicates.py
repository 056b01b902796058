"""Near-duplicates: the same report pasted again, with 「以上」 or a signature appended, or
uploaded as a .docx after it was pasted as text, would double the evidence.

Two texts are the same report when their wording matches once whitespace, table pipes,
greetings, sign-offs and the signature block are set aside (NFKC, via the one segmenter of
`app.core.text`). A second 月次報告 for the same month is not the same text but may be a correction or a
mistake: it is stored, and the document page and the API answer warn about it. For the
same content the caller decides: warn (409 / the form's choice), replace, or keep both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from app.container import Container
from app.core.normalize import normalize_for_matching
from app.core.text import is_greeting, segment
from app.errors import Conflict
from app.store import repository

DuplicatePolicy = Literal["warn", "replace", "keep"]
Reason = Literal["same_content", "same_month_report"]
# Units that say nothing of the work: dropping them is what makes 「…以上」 the same report.
_SET_ASIDE = frozenset({"greeting", "signature", "separator"})
_NOISE = re.compile(r"[\s|｜]+")
MONTHLY_REPORT = "vendor_report"


@dataclass(frozen=True)
class StoredDocument:
    """What the check needs of a stored document."""

    id: int
    kind: str
    period: str | None
    title: str
    text: str


@dataclass(frozen=True)
class Duplicate:
    document_id: int
    title: str
    reason: Reason
    message: str


class DuplicateFound(Conflict):
    """The new document repeats a stored one (or is a second report for its month)."""

    code = "duplicate"

    def __init__(self, duplicates: Sequence[Duplicate]) -> None:
        self.duplicates = list(duplicates)
        super().__init__(" ".join(d.message for d in self.duplicates))


def comparable_text(text: str) -> str:
    """The wording that matters: no greetings, sign-offs, signature, whitespace or pipes."""
    # A lone 「以上」 line reads as a heading to the segmenter: a greeting all the same.
    kept = [
        unit.text(text)
        for unit in segment(text)
        if unit.kind not in _SET_ASIDE and not is_greeting(unit.text(text))
    ]
    return _NOISE.sub("", normalize_for_matching("\n".join(kept)))


def find_duplicates(
    *, text: str, kind: str, period: str | None, stored: Sequence[StoredDocument]
) -> list[Duplicate]:
    """Stored documents the new one repeats, then reports of the same month (each once)."""
    wording = comparable_text(text)
    found: list[Duplicate] = []
    for document in stored:
        if wording and comparable_text(document.text) == wording:
            found.append(
                Duplicate(
                    document.id,
                    document.title,
                    "same_content",
                    f"同じ内容の文書「{document.title}」が既に保存されています"
                    "（空白・署名・あいさつ・ファイル形式の違いを除いて同じ本文です）。",
                )
            )
    same = {duplicate.document_id for duplicate in found}
    if kind == MONTHLY_REPORT and period is not None:
        for document in stored:
            if document.kind == kind and document.period == period and document.id not in same:
                year, month = period.split("-")
                found.append(
                    Duplicate(
                        document.id,
                        document.title,
                        "same_month_report",
                        f"{year}年{int(month)}月分の月次報告「{document.title}」が既にあります。",
                    )
                )
    return found


def _stored(session: Session, engagement_id: int) -> list[StoredDocument]:
    return [
        StoredDocument(d.id, d.kind, d.period, d.title, d.text)
        for d in repository.list_documents(session, engagement_id=engagement_id)
    ]


def check(
    session: Session,
    *,
    engagement_id: int,
    policy: DuplicatePolicy,
    text: str,
    kind: str,
    period: str | None,
) -> list[int]:
    """The stored documents with the same content, to replace once the new one is stored;
    DuplicateFound on "warn". A second report for the month is stored and warned about
    (`month_warnings`): it is often the corrected one."""
    if policy == "keep":
        return []
    found = [
        duplicate
        for duplicate in find_duplicates(
            text=text, kind=kind, period=period, stored=_stored(session, engagement_id)
        )
        if duplicate.reason == "same_content"
    ]
    if found and policy == "warn":
        raise DuplicateFound(found)
    return [duplicate.document_id for duplicate in found]


def month_warnings(*, container: Container, document_id: int) -> list[Duplicate]:
    """Other monthly reports of the same engagement and month as this stored document."""
    with container.session_factory() as session:
        document = repository.get_document(session, document_id)
        if document.kind != MONTHLY_REPORT or document.period is None:
            return []
        others = [d for d in _stored(session, document.engagement_id) if d.id != document.id]
        return [
            duplicate
            for duplicate in find_duplicates(
                text=document.text, kind=document.kind, period=document.period, stored=others
            )
            if duplicate.reason == "same_month_report"
        ]
