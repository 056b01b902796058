"""Questions answered from a record rather than by ranking sentences: the summary (the
stored analysis), the last meeting's ToDo, and the contract's own dates and fee.

Pure, like `app.chat.offline`, which routes to these.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from app.chat.answers import (
    Evidence,
    OfflineAnswer,
    Rules,
    SourceSpan,
    named,
    not_found,
    source_span,
    where,
)
from app.chat.classify import Intent
from app.chat.dates import date_label, mentions_day
from app.chat.ranking import candidate_documents
from app.chat.segments import following_items
from app.core.facts import vendor_core_name
from app.knowledge.chat import fold


def answer_summary(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer | None:
    """「状況をまとめて」: the stored analysis's decision, its reasons and its evidence."""
    analysis = evidence.analysis
    if analysis is None:
        return None
    decision = analysis.decision
    lines = [
        f"{date_label(analysis.as_of)}時点の判断は「{decision.label}」（{analysis.phase_label}）です。"
    ]
    citations: list[SourceSpan] = []
    documents = {d.id: d for d in evidence.documents}
    for reason in decision.reasons[:3]:
        lines.append(f"・{reason}")
    for citation in decision.evidence[:3]:
        document = documents.get(citation.document_id)
        if document is None or document.text[citation.start : citation.end] != citation.quote:
            continue
        citations.append(source_span(document, citation.start, citation.end))
        lines.append(
            f"「{citation.quote.strip()}」[{len(citations)}]（{where(document, rules.vocabulary)}）"
        )
    return OfflineAnswer("\n".join(lines), tuple(citations), True, intent.kind, {})


def answer_homework(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer | None:
    """「前回の宿題は？」: the ToDo items of the meeting the question points at; its decisions
    when it lists no ToDo."""
    if "homework" not in intent.events:
        return None
    documents = candidate_documents(intent, evidence)
    meetings = sorted(
        (d for d in documents if d.kind == "meeting_notes"), key=lambda d: (d.date, d.id)
    )
    if not meetings:
        return None
    document = meetings[-1]
    units = evidence.units.get(document.id, ())
    for key, lead in (
        ("homework", "宿題（ToDo）"),
        ("decision", "宿題（ToDo）の欄はなく、決定事項"),
    ):
        headings = [h.lower() for h in rules.chat.events[key].headings]
        heading = next(
            (u for u in units if u.is_heading and any(h in u.normalized for h in headings)), None
        )
        items = following_items(units, heading, limit=8) if heading is not None else []
        if heading is None or not items:
            continue
        citation = source_span(document, heading.start, items[-1].end)
        text = f"{named(document, rules.vocabulary)}の{lead}は次のとおりです[1]。\n" + "\n".join(
            f"・{item.quote.strip()}" for item in items
        )
        later = [d for d in evidence.documents if d.date > document.date]
        if later and key == "homework":
            text += (
                f"\nその後の資料が{len(later)}件あります。対応状況は項目ごとに質問してください。"
            )
        return OfflineAnswer(
            text, (citation,), True, intent.kind, {"document_id": str(document.id)}
        )
    return not_found(
        evidence,
        intent,
        f"{named(document, rules.vocabulary)}には、宿題（ToDo）や決定事項の欄が見当たりません。",
    )


def answer_contract(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer | None:
    """「更新日は？」「解約予告の期限は？」「月額費用は？」 from the contract record, citing a
    document that states the same date when there is one."""
    words = rules.chat.contract
    engagement = evidence.engagement
    text = intent.normalized

    def asked(terms: Sequence[str]) -> bool:
        return any(fold(term) in text for term in terms)

    day: dt.date | None = None
    lines: list[str] = []
    if asked(words.notice) and engagement.notice_days is not None:
        day = engagement.renewal_date - dt.timedelta(days=engagement.notice_days)
        lines.append(
            f"解約予告の期限は{date_label(day)}です（予告期間{engagement.notice_days}日、"
            f"契約満了 {date_label(engagement.renewal_date)}）。"
        )
    elif asked(words.renewal):
        day = engagement.renewal_date
        lines.append(
            f"契約の満了（更新）日は{date_label(day)}です"
            f"（契約期間 {date_label(engagement.start_date)}〜）。"
        )
    elif asked(words.start):
        day = engagement.start_date
        lines.append(f"契約開始日は{date_label(day)}です。")
    if (
        asked(words.fee)
        and engagement.monthly_fee_jpy is not None
        and not _beyond_record(intent, rules, engagement.vendor_name)
    ):
        lines.append(f"月額費用は{engagement.monthly_fee_jpy:,}円です。")
    if not lines:
        return None
    citations: list[SourceSpan] = []
    if day is not None:
        stated = [
            unit
            for document in sorted(evidence.documents, key=lambda d: d.date, reverse=True)
            for unit in evidence.units.get(document.id, ())
            if mentions_day(unit.normalized, day)
        ]
        if stated:
            unit = stated[0]
            citations.append(source_span(unit.document, unit.start, unit.end))
            lines.append(
                f"資料にも「{unit.quote.strip()}」とあります[1]（{where(unit.document, rules.vocabulary)}）。"
            )
    if not citations:
        lines.append("（契約情報に登録された内容です）")
    return OfflineAnswer("\n".join(lines), tuple(citations), True, intent.kind, {})


def _beyond_record(intent: Intent, rules: Rules, vendor_name: str) -> bool:
    """「月額費用の内訳は？」「1店舗あたりの利用料は？」: the question asks more than the
    contract record holds (a noun none of its words contain), so the record cannot answer."""
    words = rules.chat.contract
    known = [fold(t) for t in (*words.fee, *words.renewal, *words.notice, *words.start)]
    core = vendor_core_name(vendor_name).lower()
    return any(
        not any(noun in word for word in known)
        and noun not in rules.chat.frame_set
        and not (core and noun in core)
        for noun in intent.nouns
    )


def asks_contract_date(intent: Intent, rules: Rules) -> bool:
    """「更新日はいつ？」「解約予告の期限は何日？」: the contract date is the subject asked about
    (not 「契約開始後、初めて受注したのはいつ？」)."""
    words = rules.chat.contract
    terms = "|".join(re.escape(fold(t)) for t in (*words.renewal, *words.notice, *words.start))
    subject = re.compile(rf"({terms})[^、。,]{{0,6}}(は|って)\s*(いつ|何日|何月|何年)")
    return intent.kind == "when" and subject.search(intent.normalized) is not None
