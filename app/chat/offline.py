"""The offline answerer: KPI questions from the stored series, the rest extractively.

Pure domain code. Given a classified question and the engagement's evidence (documents cut
into units, KPI points, the retriever's ranking of chunks), it returns a short Japanese
answer whose every citation is an exact span of a stored document, or says plainly that the
documents do not answer the question.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

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
from app.chat.dates import (
    DateExpression,
    date_label,
    find_dates,
    mentions_day,
    period_label,
)
from app.chat.kpi_answers import answer_kpi
from app.chat.ranking import (
    FOUND_COVERAGE,
    LIST_INTRO,
    SELF_INTRODUCTION,
    Scored,
    candidate_documents,
    document_coverage,
    is_found,
    missing_topics,
    rank_units,
    senders,
)
from app.chat.segments import Unit, following_items, line_units
from app.core.facts import DocumentFacts
from app.core.normalize import normalize_for_matching
from app.knowledge.chat import fold

MAX_LINE_CHARS = 260
MAX_SECTION_CHARS = 520
SECOND_OTHER_DOCUMENT = 0.65
OCCURRENCE_SHARE = 0.6
MAX_OCCURRENCES = 4
FOUND_BY_SENDER = 0.1
SECOND_SAME_DOCUMENT = 0.9


def _span_for(intent: Intent, best: Unit, units: Sequence[Unit]) -> tuple[int, int]:
    """Grow the answer to what reads on its own: a heading's items, a list it introduces,
    or the rest of a bullet."""
    if best.is_heading:
        items = following_items(units, best, limit=5)
        return best.start, (items[-1].end if items else best.end)
    if LIST_INTRO.search(best.normalized):
        items = following_items(units, best, limit=5)
        if items:
            return best.start, items[-1].end
    if intent.kind in ("what", "who", "yesno", "summary"):
        same_line = line_units(units, best)
        if len(same_line) > 1:
            start, end = same_line[0].start, same_line[-1].end
            if end - start <= MAX_LINE_CHARS:
                return start, end
            later = [u for u in same_line if u.index == best.index + 1]
            if later:
                return best.start, later[0].end
    return best.start, best.end


def _nearest(
    positions: Sequence[tuple[int, int]], terms_at: Sequence[int]
) -> tuple[int, int] | None:
    if not positions:
        return None
    if not terms_at:
        return positions[0]
    return min(positions, key=lambda span: min(abs(span[0] - t) for t in terms_at))


def _term_positions(intent: Intent, unit: Unit) -> list[int]:
    positions: list[int] = []
    for term in intent.terms:
        position = unit.normalized.find(term)
        if position >= 0:
            positions.append(position)
    return positions


def _date_in(intent: Intent, unit: Unit) -> DateExpression | None:
    dates = find_dates(unit.normalized)
    if not dates:
        return None
    if intent.time.periods or intent.time.days:
        # Dates the question itself named are context, not the answer.
        named = {(d.month, d.day) for d in intent.time.days}
        named_months = {int(p[5:7]) for p in intent.time.periods}
        others = [
            d
            for d in dates
            if (d.month, d.day) not in named and not (d.day is None and d.month in named_months)
        ]
        dates = others or dates
    wants_day = any(word in intent.normalized for word in ("何日", "日付", "何曜日"))
    if wants_day and any(d.day is not None for d in dates):
        dates = [d for d in dates if d.day is not None]
    spans = [(d.start, d.end) for d in dates]
    chosen = _nearest(spans, _term_positions(intent, unit))
    return next(d for d in dates if (d.start, d.end) == chosen) if chosen else None


def _document_answer(
    intent: Intent, ranked: Sequence[Scored], evidence: Evidence, rules: Rules
) -> OfflineAnswer:
    """「…のメールはいつ送られましたか」: find the document, answer with its date."""
    by_document: dict[int, list[Scored]] = defaultdict(list)
    for item in ranked:
        by_document[item.unit.document.id].append(item)

    def document_score(items: list[Scored]) -> float:
        top = sorted((i.score for i in items), reverse=True)[:3]
        return sum(top) / len(top)

    best_id = max(by_document, key=lambda d: document_score(by_document[d]))
    items = by_document[best_id]
    document = items[0].unit.document
    coverage = document_coverage(intent, evidence, rules).get(best_id, 0.0)
    written_by_asked = bool(set(intent.names) & senders(evidence.units.get(best_id, ())))
    in_month = any(document.date.strftime("%Y-%m") == p for p in intent.time.periods)
    topical = [t for t in intent.terms if t not in rules.chat.frame_set]
    if not topical:
        # Nothing but the kind and the month (「9月の定例はいつ開かれた？」): the month decides.
        if not in_month:
            return not_found(evidence, intent)
    elif coverage < (FOUND_BY_SENDER if written_by_asked else FOUND_COVERAGE):
        return not_found(evidence, intent)
    if intent.asks_document_sender:
        return _sender_answer(intent, document, evidence)
    # Cite the line that states the date (「送信日時：2025年8月5日」) when there is one.
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
    text = f"{date_label(document.date)}です[1]。{named(document)}の日付です。"
    if len(unique) > 1:
        text += f"\n「{unique[1].quote.strip()}」[2]"
    return OfflineAnswer(text, unique, True, intent.kind, {"document_id": str(document.id)})


def _sender_answer(intent: Intent, document: DocumentFacts, evidence: Evidence) -> OfflineAnswer:
    """Who wrote the document: its self-introduction, else its signature."""
    units = list(evidence.units.get(document.id, ()))
    introduction = [
        u for u in units[:8] if len(u.normalized) <= 40 and SELF_INTRODUCTION.search(u.normalized)
    ]
    signature = [u for u in units[-3:] if u.names]
    chosen = introduction[:1] or signature[-1:]
    if not chosen:
        return not_found(evidence, intent, f"{named(document)}の差出人は、本文から読み取れません。")
    unit = chosen[0]
    text = f"差出人は「{unit.quote.strip()}」です[1]。{named(document)}より。"
    return OfflineAnswer(
        text,
        (source_span(document, unit.start, unit.end),),
        True,
        intent.kind,
        {"document_id": str(document.id)},
    )


_REFERENCE = re.compile(r"[(（]([0-9０-９]{1,2})[)）]")
_ITEM_NUMBER = re.compile(r"^\s*[(（]([0-9]{1,2})[)）]")


def _referenced_items(best: Unit, units: Sequence[Unit]) -> list[Unit]:
    """「提案(1)(2)を試行する」: the numbered items the sentence refers to, in its document."""
    numbers = {int(n) for n in _REFERENCE.findall(best.normalized)}
    if len(numbers) == 0:
        return []
    found: list[Unit] = []
    for unit in units:
        if unit.index == best.index:
            continue
        text = unit.document.text
        line_start = text.rfind("\n", 0, unit.start) + 1
        match = _ITEM_NUMBER.match(normalize_for_matching(text[line_start : unit.end]))
        if match and int(match.group(1)) in numbers and unit.start - line_start <= 8:
            found.append(unit)
    return found[:4]


def _section(best: Unit, units: Sequence[Unit]) -> tuple[int, int] | None:
    """The heading above `best` and everything under it, if it is short enough to quote."""
    heading = next((u for u in reversed(units[: best.index]) if u.is_heading), None)
    if heading is None:
        return None
    end = heading.end
    for unit in units[heading.index + 1 :]:
        if unit.is_heading:
            break
        end = unit.end
    if end - heading.start > MAX_SECTION_CHARS:
        return None
    return heading.start, end


def answer_extractive(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer:
    missing = missing_topics(intent, evidence, rules)
    if missing:
        words = "」「".join(missing)
        return not_found(
            evidence, intent, f"「{words}」についての記述は、登録されている資料に見当たりません。"
        )
    ranked = rank_units(intent, evidence, rules)
    if not ranked:
        return not_found(evidence, intent)
    if intent.asks_document_date or intent.asks_document_sender:
        return _document_answer(intent, ranked, evidence, rules)
    required = [key for key in intent.events if rules.chat.events[key].required]
    if required:
        # 「担当者が交代したのはいつ？」 is answered only by a sentence about a change.
        ranked = [item for item in ranked if item.event] or ranked[:0]
    if not ranked or not (is_found(ranked[0]) or (required and ranked[0].event)):
        detail = ""
        if required:
            labels = "・".join(rules.chat.events[key].label for key in required)
            detail = f"{labels}についての記述は、登録されている資料に見当たりません。"
        return not_found(evidence, intent, detail)
    if intent.kind == "when" and required:
        repeated = _occurrences(intent, ranked, rules)
        if repeated is not None:
            return repeated
    best = ranked[0]
    document = best.unit.document
    units = evidence.units[document.id]
    start, end = _span_for(intent, best.unit, units)
    if intent.kind == "what" and intent.contrast and best.unit.heading:
        section = _section(best.unit, units)
        if section is not None:
            # 「認識はどう食い違っていたか」: both sides, i.e. the whole short section.
            start, end = min(start, section[0]), max(end, section[1])
    citations = [source_span(document, start, end)]
    quote = document.text[start:end].strip()
    context = {"document_id": str(document.id)}
    if document.period:
        context["period"] = document.period

    if intent.kind == "when":
        expression = _date_in(intent, best.unit)
        if expression is not None:
            head = f"{expression.resolved(document.date).display()}です[1]。"
        else:
            head = f"{period_label(document.month)}度の{named(document)}に記載があります[1]。"
    elif intent.kind == "quantity" and intent.quantity is not None:
        matches = [
            (m.start(), m.end()) for m in intent.quantity.regex.finditer(best.unit.normalized)
        ]
        chosen = _nearest(matches, _term_positions(intent, best.unit))
        head = (
            f"{best.unit.normalized[chosen[0] : chosen[1]]}です[1]。"
            if chosen
            else "資料には次のようにあります[1]。"
        )
    elif intent.kind == "yesno":
        head = "はい、資料に記載があります[1]。"
    else:
        head = "資料には次のようにあります[1]。"
    text = f"{head}\n「{quote}」（{where(document)}）"

    for item in _referenced_items(best.unit, units):
        if start <= item.start and item.end <= end:
            continue
        citations.append(source_span(document, item.start, item.end))
        text += f"\n・{item.quote.strip()}[{len(citations)}]"

    second = _second(ranked, best, (start, end))
    if second is not None:
        other = second.unit.document
        other_start, other_end = _span_for(intent, second.unit, evidence.units[other.id])
        citations.append(source_span(other, other_start, other_end))
        text += (
            f"\n関連：「{other.text[other_start:other_end].strip()}」[{len(citations)}]"
            f"（{where(other)}）"
        )
    return OfflineAnswer(text, tuple(citations), True, intent.kind, context)


def _effective(expression: DateExpression, unit: Unit, rules: Rules) -> bool:
    """「7月1日付で」「8月から」「5月15日をもって」: the date something took effect."""
    after = unit.normalized[expression.end : expression.end + 6]
    return after.startswith(tuple(rules.chat.dates.effective_markers))


def _occurrences(intent: Intent, ranked: Sequence[Scored], rules: Rules) -> OfflineAnswer | None:
    """「担当者が交代したのはいつ？」 when it happened more than once: every dated mention of
    the event in a different month, oldest first."""
    best = ranked[0].score
    dated: dict[tuple[int, int], tuple[DateExpression, Scored]] = {}
    for item in ranked:
        if item.score < best * OCCURRENCE_SHARE or not item.event:
            continue
        expression = _date_in(intent, item.unit)
        if expression is None or not _effective(expression, item.unit, rules):
            continue  # 「8月を底に…交代前の水準」: a date, but not the date of the event
        resolved = expression.resolved(item.unit.document.date)
        month = (resolved.year or 0, resolved.month)
        if month not in dated:
            dated[month] = (resolved, item)
    if len(dated) < 2:
        return None
    labels = "・".join(
        rules.chat.events[key].label for key in intent.events if rules.chat.events[key].required
    )
    citations: list[SourceSpan] = []
    lines = [f"{labels}は{len(dated)}回記録されています。"]
    for month in sorted(dated)[:MAX_OCCURRENCES]:
        expression, item = dated[month]
        unit = item.unit
        citations.append(source_span(unit.document, unit.start, unit.end))
        lines.append(
            f"・{expression.display()}：「{unit.quote.strip()}」[{len(citations)}]（{where(unit.document)}）"
        )
    return OfflineAnswer("\n".join(lines), tuple(citations), True, intent.kind, {})


def _second(ranked: Sequence[Scored], best: Scored, cited: tuple[int, int]) -> Scored | None:
    """A second passage that corroborates from another document, or adds to the first."""
    for candidate in ranked[1:6]:
        unit = candidate.unit
        other_document = unit.document.id != best.unit.document.id
        if candidate.score < best.score * (
            SECOND_OTHER_DOCUMENT if other_document else SECOND_SAME_DOCUMENT
        ):
            return None
        if not is_found(candidate):
            continue
        inside = not other_document and cited[0] <= unit.start and unit.end <= cited[1]
        if not inside:
            return candidate
    return None


# =============================================================================================
# Summary and special questions
# =============================================================================================


def answer_summary(intent: Intent, evidence: Evidence) -> OfflineAnswer | None:
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
        lines.append(f"「{citation.quote.strip()}」[{len(citations)}]（{where(document)}）")
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
        text = f"{named(document)}の{lead}は次のとおりです[1]。\n" + "\n".join(
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
        evidence, intent, f"{named(document)}には、宿題（ToDo）や決定事項の欄が見当たりません。"
    )


def answer_contract(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer | None:
    """「更新日は？」「解約予告の期限は？」「月額費用は？」 from the contract record, citing a
    document that states the same date when there is one."""
    words = rules.chat.contract
    engagement = evidence.engagement
    text = intent.normalized

    def named(terms: Sequence[str]) -> bool:
        return any(fold(term) in text for term in terms)

    day: dt.date | None = None
    lines: list[str] = []
    if named(words.notice) and engagement.notice_days is not None:
        day = engagement.renewal_date - dt.timedelta(days=engagement.notice_days)
        lines.append(
            f"解約予告の期限は{date_label(day)}です（予告期間{engagement.notice_days}日、"
            f"契約満了 {date_label(engagement.renewal_date)}）。"
        )
    elif named(words.renewal):
        day = engagement.renewal_date
        lines.append(
            f"契約の満了（更新）日は{date_label(day)}です"
            f"（契約期間 {date_label(engagement.start_date)}〜）。"
        )
    elif named(words.start):
        day = engagement.start_date
        lines.append(f"契約開始日は{date_label(day)}です。")
    if named(words.fee) and engagement.monthly_fee_jpy is not None:
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
                f"資料にも「{unit.quote.strip()}」とあります[1]（{where(unit.document)}）。"
            )
    if not citations:
        lines.append("（契約情報に登録された内容です）")
    return OfflineAnswer("\n".join(lines), tuple(citations), True, intent.kind, {})


def _asks_contract_date(intent: Intent, rules: Rules) -> bool:
    """「更新日はいつ？」「解約予告の期限は何日？」: the contract date is the subject asked about
    (not 「契約開始後、初めて受注したのはいつ？」)."""
    words = rules.chat.contract
    terms = "|".join(re.escape(fold(t)) for t in (*words.renewal, *words.notice, *words.start))
    subject = re.compile(rf"({terms})[^、。,]{{0,6}}(は|って)\s*(いつ|何日|何月|何年)")
    return intent.kind == "when" and subject.search(intent.normalized) is not None


def answer(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer:
    """Route by question class; every path ends in a cited answer or a plain 'not found'."""
    if intent.kind.startswith("kpi"):
        found = answer_kpi(intent, evidence, rules)
        if found is not None:
            return found
        # A narrower figure than the monthly series holds: look for it in the text.
        intent = replace(intent, kind="quantity" if intent.quantity else "what")
    if intent.kind == "summary":
        summary = answer_summary(intent, evidence)
        if summary is not None:
            return summary
    homework = answer_homework(intent, evidence, rules)
    if homework is not None:
        return homework
    if _asks_contract_date(intent, rules):
        # The contract record is the authority on its own dates.
        contract = answer_contract(intent, evidence, rules)
        if contract is not None:
            return contract
    extracted = answer_extractive(intent, evidence, rules)
    if extracted.found:
        return extracted
    return answer_contract(intent, evidence, rules) or extracted
