"""What still stands of what was said: proposals for a day already past, repeats, a
proposal our minutes adopted, decisions whose day has passed, and what we asked the vendor
for in writing (answered by a later vendor document or not).

Pure code over the documents; content words (kanji or katakana runs) decide what is "the
same" (three shared), dates in a text are read against the day it was written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.analyse.models import Citation
from app.core.facts import DocumentFacts, author_of, vendor_core_name
from app.core.normalize import normalize_for_matching
from app.draft.todos import OpenItem

DATE_IN_TEXT = re.compile(
    r"(?<![\d/])(?P<month>1[0-2]|[1-9])月(?:(?P<day>[1-3]?\d)日|(?P<part>上旬|中旬|下旬|中|末|の定例|の会議|の打ち合わせ))"
)
WORD = re.compile(r"[一-龥々]{2,}|[ァ-ヴー]{2,}")
MIN_SHARED_WORDS = 3


def _day(match: re.Match[str], written: dt.date) -> dt.date:
    month = int(match.group("month"))
    year = written.year + (1 if month < written.month - 6 else 0)
    if match.group("day"):
        try:
            return dt.date(year, month, int(match.group("day")))
        except ValueError:
            pass
    part = match.group("part") or ""
    day = {"上旬": 10, "中旬": 20}.get(part, 28)
    return dt.date(year, month, day)


def past_event(quote: str, written: dt.date, as_of: dt.date) -> bool:
    """The proposal names a day (「3月18日開催予定」「3月中旬に」) that has passed by `as_of`."""
    days = [_day(m, written) for m in DATE_IN_TEXT.finditer(normalize_for_matching(quote))]
    return bool(days) and max(days) < as_of


def _words(text: str) -> set[str]:
    return set(WORD.findall(normalize_for_matching(text)))


def repeats(quote: str, earlier: Sequence[str]) -> bool:
    """The same proposal again (three content words shared with one listed before)."""
    words = _words(quote)
    return any(len(words & _words(other)) >= MIN_SHARED_WORDS for other in earlier)


def split_proposals(
    proposals: Sequence[Citation], documents: Sequence[DocumentFacts], as_of: dt.date
) -> tuple[list[Citation], list[Citation]]:
    """(open, past): a proposal for a day already passed is past; a repeat of one already
    listed is dropped."""
    dates = {d.id: d.date for d in documents}
    open_: list[Citation] = []
    past: list[Citation] = []
    for citation in proposals:
        if repeats(citation.quote, [c.quote for c in open_ + past]):
            continue
        written = dates.get(citation.document_id, as_of)
        (past if past_event(citation.quote, written, as_of) else open_).append(citation)
    return open_, past


def in_place(pattern: str, documents: Sequence[DocumentFacts]) -> bool:
    """Any document says this is already done (the request would ask for what exists)."""
    if not pattern:
        return False
    compiled = re.compile(pattern)
    return any(compiled.search(normalize_for_matching(d.text)) for d in documents)


REQUEST_LEAD = re.compile(r"お願い(?:したく|いたし|します|でき)")
LIST_ITEM = re.compile(r"^\s*(?:\d+[.．、)）]|[-・*])\s*(?P<body>.+?)\s*$")
REQUEST_TAIL = re.compile(r"(?:を|の)?(?:して)?(?:いただく|頂く)?こと[。]?$|[。]$")


@dataclass(frozen=True)
class OurRequest:
    """What we asked the vendor for in writing, and whether a later vendor document took it up."""

    sent: dt.date
    item: str  # 「成功・失注の通話録音を毎月10本程度ご共有」
    answered: bool


def our_requests(
    documents: Sequence[DocumentFacts], vendor_name: str, *, as_of: dt.date
) -> list[OurRequest]:
    """The numbered or bulleted items after 「…お願いしたく存じます」 in our own e-mails to the
    vendor; answered when a later vendor document shares three content words with one."""
    core = vendor_core_name(vendor_name)
    found: list[OurRequest] = []
    visible = [d for d in documents if d.date <= as_of]
    later_vendor = [d for d in visible if author_of(d, vendor_name) == "vendor"]
    for document in sorted(visible, key=lambda d: (d.date, d.id)):
        if document.kind != "email" or author_of(document, vendor_name) != "client":
            continue
        if core not in "\n".join(document.text.splitlines()[:3]):
            continue  # not addressed to the vendor
        asking = False
        for line in document.text.splitlines():
            if REQUEST_LEAD.search(line):
                asking = True
                continue
            item = LIST_ITEM.match(line)
            if asking and item:
                body = item.group("body").rstrip("。")
                words = _words(REQUEST_TAIL.sub("", body))
                answered = any(
                    d.date > document.date and len(words & _words(d.text)) >= MIN_SHARED_WORDS
                    for d in later_vendor
                )
                found.append(OurRequest(document.date, body, answered))
            elif asking and line.strip() and found:
                asking = False  # the list ended
    return found


SENDING = re.compile(r"送付|送る|お送り|提示する|伝える")


def _sent_to_vendor(
    item: OpenItem, documents: Sequence[DocumentFacts], day: dt.date
) -> DocumentFacts | None:
    """Our own e-mail written after the minutes to the party the decision names (「条件案を
    2月中にヒビキコネクトへ送付」 → the 2/18 e-mail to ヒビキコネクト): the decision carried out."""
    for document in sorted(documents, key=lambda d: (d.date, d.id)):
        if document.kind != "email" or document.date <= day:
            continue
        head = "\n".join(document.text.splitlines()[:3])
        addressee = next((w for w in _words(head) if w in item.task), None)
        if addressee and "です" in document.text and "様" in head:
            return document
    return None


def decision_status(
    decided: Sequence[OpenItem], documents: Sequence[DocumentFacts], today: dt.date
) -> dict[str, str]:
    """For each decision naming a day already past (「条件案を2月中に送付」): whether a later
    document takes it up (three content words shared), so the memo says what to check."""
    written = {d.id: d.date for d in documents}
    status: dict[str, str] = {}
    for item in decided:
        day = written.get(item.document_id, today)
        if not past_event(item.task, day, today):
            continue
        sent = _sent_to_vendor(item, documents, day) if SENDING.search(item.task) else None
        if sent is not None:
            status[item.task] = (
                f"{sent.date.month}月{sent.date.day}日付のメール「{sent.title}」で"
                "送付済みとみられます。代行会社からの回答の記録はありません"
            )
            continue
        words = _words(item.task)
        later = [
            d
            for d in sorted(documents, key=lambda d: (d.date, d.id))
            if d.date > day and len(words & _words(d.text)) >= MIN_SHARED_WORDS
        ]
        if later:
            status[item.task] = (
                f"期日を過ぎています。{later[0].date.month}月{later[0].date.day}日の"
                f"「{later[0].title}」に関連する記載があります。結果を確認してください"
            )
        else:
            status[item.task] = (
                "期日を過ぎています。その後の文書に記録がないため、実施されたかを確認してください"
            )
    return status


def adopted(
    proposals: Sequence[Citation], decided: Sequence[OpenItem], documents: Sequence[DocumentFacts]
) -> dict[str, str]:
    """A vendor proposal a later decision of our minutes takes up (three content words
    shared), by its quote → 「2026年3月10日の定例」, so it is not put forward as open."""
    dates = {d.id: d.date for d in documents}
    found: dict[str, str] = {}
    for citation in proposals:
        words = _words(citation.quote)
        proposed_on = dates.get(citation.document_id, dt.date.min)
        for item in decided:
            day = dates.get(item.document_id, dt.date.min)
            if day >= proposed_on and len(words & _words(item.task)) >= MIN_SHARED_WORDS:
                found[citation.quote] = f"{day.year}年{day.month}月{day.day}日の定例"
                break
    return found
