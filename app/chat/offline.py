"""The offline answerer: KPI questions from the stored series, the rest extractively.

Pure domain code. Given a classified question and the engagement's evidence (documents cut
into units, KPI points, the retriever's ranking of chunks), it returns a short Japanese
answer whose every citation is an exact span of a stored document, or says plainly that the
documents do not answer the question.
"""

from __future__ import annotations

import re
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
from app.chat.assessment import answer_assessment
from app.chat.candidates import extractive_candidates, named_section_first
from app.chat.classify import Intent
from app.chat.dates import (
    DateExpression,
    find_dates,
    period_label,
)
from app.chat.document_answers import document_answer
from app.chat.kpi_answers import answer_kpi, glued_phrase
from app.chat.people import answer_contact, answer_full_name
from app.chat.ranking import (
    LIST_INTRO,
    Scored,
    asks_company,
    is_found,
    names_words,
    naming,
)
from app.chat.segments import (
    Unit,
    following_items,
    line_units,
    section_end,
    section_of,
    with_listed_causes,
    with_reason,
)
from app.chat.special_answers import (
    answer_contract,
    answer_homework,
    answer_summary,
    asks_contract_date,
)
from app.core.normalize import normalize_for_matching
from app.knowledge.chat import Thresholds

MAX_LINE_CHARS = 260
MAX_SECTION_CHARS = 520
SECOND_OTHER_DOCUMENT = 0.65
OCCURRENCE_SHARE = 0.6
MAX_OCCURRENCES = 4
SECOND_SAME_DOCUMENT = 0.9


def _span_for(intent: Intent, best: Unit, units: Sequence[Unit]) -> tuple[int, int]:
    """Grow the answer to what reads on its own: a heading's items, a list it introduces,
    or the rest of a bullet."""
    if best.is_heading:
        items = following_items(units, best, limit=5)
        if items:
            return best.start, items[-1].end
        # 「■ 市場レポート」 over a paragraph: the heading and what it heads.
        return best.start, section_end(best, units, MAX_SECTION_CHARS)
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


def _person_in(intent: Intent, unit: Unit) -> str | None:
    """The person a who-answer names: the first name in the sentence the question does
    not itself name (「野口より、…訪問済み」→ 野口)."""
    if asks_company(intent) or intent.names:
        return None
    found = sorted(
        (unit.normalized.find(name.lower()), name)
        for name in unit.names - set(intent.names)
        if unit.normalized.find(name.lower()) >= 0
    )
    return found[0][1] if found else None


def _role_only(intent: Intent, unit: Unit, rules: Rules) -> str | None:
    """「丸山鉄工の総務部長の名前は？」 and the sentence says only 「総務部長から電話があり」:
    the person is written by role, no name beyond the question's own; the role both use,
    longest first."""
    if asks_company(intent) or unit.names - set(intent.names):
        return None
    endings = rules.chat.classes.who_endings
    roles = sorted(
        (normalize_for_matching(w) for w in endings if len(w) > 1), key=len, reverse=True
    )
    role = next((r for r in roles if r in intent.normalized and r in unit.normalized), None)
    if role is None:
        return None
    # 「部長」 as the sentence writes it: with the words before it (「総務部長」).
    written = re.search(rf"[一-鿿ァ-ヺー]{{0,4}}{re.escape(role)}", unit.normalized)
    return written.group() if written else role


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


def answer_extractive(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer:
    found_candidates = extractive_candidates(intent, evidence, rules)
    if found_candidates.missing:
        words = "」「".join(found_candidates.missing)
        return not_found(
            evidence,
            intent,
            f"「{words}」についての記述は、登録されている資料に見当たりません。",
        )
    intent, ranked = found_candidates.intent, found_candidates.ranked
    required = found_candidates.required
    asks_document = intent.asks_document_date or intent.asks_document_sender
    if not ranked and (not required or asks_document):
        return not_found(evidence, intent)
    if asks_document or intent.asks_document_sender:
        return document_answer(intent, ranked, evidence, rules)
    if not ranked or not (
        is_found(ranked[0], rules.chat.thresholds) or (required and ranked[0].event)
    ):
        detail = ""
        if required:
            labels = "・".join(rules.chat.events[key].label for key in required)
            detail = f"{labels}についての記述は、登録されている資料に見当たりません。"
        return not_found(evidence, intent, detail)
    ranked = naming(intent, ranked, rules.chat.thresholds)
    if intent.kind == "what":
        ranked = named_section_first(intent, ranked)
    if intent.kind == "when" and required:
        repeated = _occurrences(intent, ranked, rules)
        if repeated is not None:
            return repeated
    best = ranked[0]
    document = best.unit.document
    units = evidence.units[document.id]
    start, end = _span_for(intent, best.unit, units)
    if intent.reason:
        # 「なぜ…？」: the neighbouring sentence that gives the reason joins the answer, or
        # else the causes listed under the event it states.
        stated = (start, end)
        start, end = with_reason(
            best.unit, units, stated, rules.chat.reason_regexes, MAX_LINE_CHARS
        )
        if (start, end) == stated and not any(
            p.search(best.unit.normalized) for p in rules.chat.reason_connectives
        ):
            start, end = with_listed_causes(best.unit, units, stated, MAX_SECTION_CHARS)
    if (
        intent.kind == "what"
        and best.unit.heading
        and (intent.contrast or names_words(best.unit.heading_tokens, intent))
    ):
        section = section_of(best.unit, units, MAX_SECTION_CHARS)
        if section is not None:
            # 「認識はどう食い違っていたか」: both sides; 「どんな提案があった？」 under
            # 【ご提案】, 「どう対応する？」 under 【対応】: the section the question names.
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
            head = f"{period_label(document.month)}度の{named(document, rules.vocabulary)}に記載があります[1]。"
    elif intent.kind == "quantity" and intent.quantity is not None:
        matches = [
            (m.start(), m.end()) for m in intent.quantity.regex.finditer(best.unit.normalized)
        ]
        chosen = _nearest(matches, _term_positions(intent, best.unit))
        glued = glued_phrase(intent)
        at = best.unit.normalized.find(glued) if glued is not None else -1
        if at >= 0:
            # 「Aアポは何件」 in 「アポ23件（Aアポ9件）」: the figure after the phrase.
            after = [m for m in matches if m[0] >= at + len(glued or "")]
            chosen = after[0] if after else chosen
        if chosen is None and not intent.time.periods:
            # 「単価はいくら？」 and the best sentence states no price: not in the documents.
            return not_found(
                evidence, intent, "お尋ねの数値は、登録されている資料に見当たりません。"
            )
        head = (
            f"{best.unit.normalized[chosen[0] : chosen[1]]}です[1]。"
            if chosen
            else "資料には次のようにあります[1]。"
        )
    elif intent.kind == "who" and (person := _person_in(intent, best.unit)) is not None:
        head = f"{person}さんです[1]。"
    elif intent.kind == "who" and (role := _role_only(intent, best.unit, rules)) is not None:
        head = f"お名前は資料に記載がありません。「{role}」とだけ書かれています[1]。"
    elif intent.kind == "yesno":
        head = "はい、資料に記載があります[1]。"
    else:
        head = "資料には次のようにあります[1]。"
    text = f"{head}\n「{quote}」（{where(document, rules.vocabulary)}）"

    for item in _referenced_items(best.unit, units):
        if start <= item.start and item.end <= end:
            continue
        citations.append(source_span(document, item.start, item.end))
        text += f"\n・{item.quote.strip()}[{len(citations)}]"

    second = _second(ranked, best, (start, end), rules.chat.thresholds)
    if second is not None:
        other = second.unit.document
        other_start, other_end = _span_for(intent, second.unit, evidence.units[other.id])
        citations.append(source_span(other, other_start, other_end))
        text += (
            f"\n関連：「{other.text[other_start:other_end].strip()}」[{len(citations)}]"
            f"（{where(other, rules.vocabulary)}）"
        )
    return OfflineAnswer(text, tuple(citations), True, intent.kind, context)


def _effective(expression: DateExpression, unit: Unit, rules: Rules) -> bool:
    """「7月1日付で」「8月から」「3月31日をもって」: the date something took effect."""
    after = unit.normalized[expression.end : expression.end + 6]
    return after.startswith(tuple(rules.chat.dates.effective_markers))


def _occurrences(intent: Intent, ranked: Sequence[Scored], rules: Rules) -> OfflineAnswer | None:
    """「担当の交代はいつ？」 when it happened more than once: every dated mention of
    the event in a different month, oldest first."""
    best = ranked[0].score
    dated: dict[tuple[int, int], tuple[DateExpression, Scored]] = {}
    for item in ranked:
        if item.score < best * OCCURRENCE_SHARE or not item.event:
            continue
        expression = _date_in(intent, item.unit)
        if expression is None or not _effective(expression, item.unit, rules):
            continue  # 「10月を底に…前任の頃の件数」: a date, but not the date of the event
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
            f"・{expression.display()}：「{unit.quote.strip()}」[{len(citations)}]（{where(unit.document, rules.vocabulary)}）"
        )
    return OfflineAnswer("\n".join(lines), tuple(citations), True, intent.kind, {})


def _second(
    ranked: Sequence[Scored], best: Scored, cited: tuple[int, int], thresholds: Thresholds
) -> Scored | None:
    """A second passage that corroborates from another document, or adds to the first."""
    for candidate in ranked[1:6]:
        unit = candidate.unit
        other_document = unit.document.id != best.unit.document.id
        if candidate.score < best.score * (
            SECOND_OTHER_DOCUMENT if other_document else SECOND_SAME_DOCUMENT
        ):
            return None
        if not is_found(candidate, thresholds):
            continue
        inside = not other_document and cited[0] <= unit.start and unit.end <= cited[1]
        if not inside:
            return candidate
    return None


def answer(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer:
    """Route by question class; every path ends in a cited answer or a plain 'not found'."""
    if intent.kind.startswith("kpi"):
        found = answer_kpi(intent, evidence, rules)
        if found is not None:
            return found
        # A narrower figure than the monthly series holds: look for it in the text.
        intent = replace(intent, kind="quantity" if intent.quantity else "what")
    if intent.kind == "assessment":
        # The documents' best passage (if any) follows the analysis's judgment.
        passage = answer_extractive(replace(intent, kind="what"), evidence, rules)
        judged = answer_assessment(intent, evidence, rules, passage)
        if judged is not None:
            return judged
        intent = replace(intent, kind="what")
    if intent.kind == "summary":
        summary = answer_summary(intent, evidence, rules)
        if summary is not None:
            return summary
    full_name = answer_full_name(intent, evidence, rules)
    if full_name is not None:
        return full_name
    contact = answer_contact(intent, evidence, rules)
    if contact is not None:
        return contact
    homework = answer_homework(intent, evidence, rules)
    if homework is not None:
        return homework
    if asks_contract_date(intent, rules):
        # The contract record is the authority on its own dates.
        contract = answer_contract(intent, evidence, rules)
        if contract is not None:
            return contract
    extracted = answer_extractive(intent, evidence, rules)
    if extracted.found:
        return extracted
    return answer_contract(intent, evidence, rules) or extracted
