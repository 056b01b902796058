"""Questions about a document itself: when it was sent or held, and who wrote it.

Pure, like `app.chat.offline`, which routes 「…のメールはいつ送られましたか」 here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from app.chat.answers import Evidence, OfflineAnswer, Rules, named, not_found, source_span
from app.chat.classify import Intent
from app.chat.dates import date_label, find_dates
from app.chat.ranking import Scored, document_coverage
from app.chat.segments import senders
from app.core.facts import DocumentFacts
from app.core.normalize import normalize_for_matching
from app.core.text import SELF_INTRODUCTION

FOUND_BY_SENDER = 0.1
_REPORTING_MONTH = re.compile(r"\d{1,2}月度")


def document_answer(
    intent: Intent, ranked: Sequence[Scored], evidence: Evidence, rules: Rules
) -> OfflineAnswer:
    """「…のメールはいつ送られましたか」: find the document, answer with its date."""
    by_document: dict[int, list[Scored]] = defaultdict(list)
    for item in ranked:
        by_document[item.unit.document.id].append(item)

    def document_score(items: list[Scored]) -> float:
        top = sorted((i.score for i in items), reverse=True)[:3]
        return sum(top) / len(top)

    if intent.time.periods and _REPORTING_MONTH.search(intent.normalized):
        # 「9月度の報告書」: the document for September (sent in October), not one sent then.
        of_month = {
            d: items
            for d, items in by_document.items()
            if items[0].unit.document.month in intent.time.periods
        }
        by_document = of_month or by_document
    subject = _subject_name(intent)
    if subject is not None:
        # 「早川さんが藤井課長のメールに返信したのは」: a document 早川 wrote, not one to them.
        written = {
            d: items
            for d, items in by_document.items()
            if subject in senders(evidence.units.get(d, ()))
        }
        by_document = written or by_document
    best_id = max(by_document, key=lambda d: document_score(by_document[d]))
    items = by_document[best_id]
    document = items[0].unit.document
    coverage = document_coverage(intent, evidence, rules).get(best_id, 0.0)
    written_by_asked = bool(set(intent.names) & senders(evidence.units.get(best_id, ())))
    # 「7月度の定例はいつ開かれた？」: held in August for July, or held in July.
    in_month = any(
        p in (document.date.strftime("%Y-%m"), document.month) for p in intent.time.periods
    )
    topical = [t for t in intent.terms if t not in rules.chat.frame_set]
    kinds = rules.chat.document_kinds
    named_kinds = [
        word
        for word in map(
            normalize_for_matching, (*kinds.email, *kinds.meeting_notes, *kinds.vendor_report)
        )
        if word in intent.normalized
    ]
    # 「9月度の報告書が届いたのは何日？」: the words of the kind asked (報告・書) and a month.
    kind_and_month = bool(intent.time.periods) and all(
        any(t in word for word in named_kinds) for t in topical
    )
    if not topical or kind_and_month:
        # Nothing but the kind and the month (「9月の定例はいつ開かれた？」): the month decides.
        if not in_month:
            return not_found(evidence, intent)
    elif coverage < (FOUND_BY_SENDER if written_by_asked else rules.chat.thresholds.found_coverage):
        return not_found(evidence, intent)
    if intent.asks_document_sender:
        return _sender_answer(intent, document, evidence, rules)
    # Cite the line that states the date (「送信日時：2031年4月9日」) when there is one.
    dated = [
        i.unit
        for i in items
        if any(
            d.day == document.date.day and d.month == document.date.month
            for d in find_dates(i.unit.normalized)
        )
    ]
    unit = dated[0] if dated else items[0].unit
    citations = (
        source_span(document, unit.start, unit.end),
        source_span(document, items[0].unit.start, items[0].unit.end),
    )
    unique = tuple(dict.fromkeys(citations))
    text = f"{date_label(document.date)}です[1]。{named(document, rules.vocabulary)}の日付です。"
    if len(unique) > 1:
        text += f"\n「{unique[1].quote.strip()}」[2]"
    return OfflineAnswer(text, unique, True, intent.kind, {"document_id": str(document.id)})


_SUBJECT = r"(さん|様|氏|課長|部長|社長|マネージャー)?(が|から)"


def _subject_name(intent: Intent) -> str | None:
    """The person the question makes the subject (「早川さんが…」「早川さんから…」)."""
    for name in intent.names:
        if re.search(re.escape(name.lower()) + _SUBJECT, intent.normalized):
            return name
    return None


def _sender_answer(
    intent: Intent, document: DocumentFacts, evidence: Evidence, rules: Rules
) -> OfflineAnswer:
    """Who wrote the document: its self-introduction, else its signature."""
    units = list(evidence.units.get(document.id, ()))
    introduction = [
        u for u in units[:8] if len(u.normalized) <= 40 and SELF_INTRODUCTION.search(u.normalized)
    ]
    signature = [u for u in units[-3:] if u.names]
    chosen = introduction[:1] or signature[-1:]
    if not chosen:
        return not_found(
            evidence,
            intent,
            f"{named(document, rules.vocabulary)}の差出人は、本文から読み取れません。",
        )
    unit = chosen[0]
    text = f"差出人は「{unit.quote.strip()}」です[1]。{named(document, rules.vocabulary)}より。"
    return OfflineAnswer(
        text,
        (source_span(document, unit.start, unit.end),),
        True,
        intent.kind,
        {"document_id": str(document.id)},
    )
