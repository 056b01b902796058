"""Question classes: a KPI value or trend, an event's date, who, how many, what, yes/no, summary.

Pure: the question text, the lexicons and the analysis date in, an `Intent` out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from app.analyse.kpi import Kind, KpiKnowledge, Token
from app.analyse.kpi.lexicon import compiled
from app.chat.clauses import premise_terms, purpose_tokens
from app.chat.dates import TimeScope, question_scope
from app.chat.segments import Analyze
from app.core.normalize import normalize_for_matching
from app.knowledge.chat import ChatKnowledge, QuantitySpec, fold

IntentKind = Literal[
    "kpi_value",
    "kpi_trend",
    "kpi_extreme",
    "kpi_target",
    "when",
    "who",
    "quantity",
    "what",
    "yesno",
    "summary",
    "assessment",
]
Aspect = Literal["decision", "risks", "checks", "conditions"]
DocumentKind = Literal["email", "meeting_notes", "vendor_report"]
Extreme = Literal["highest", "lowest"]

_TOPIC_ONLY = re.compile(
    r"(は|って|について|とは|の件|教えて(ください|下さい)?|知りたい)[\s?？!！。]*$"
)

_INDEFINITE = re.compile(r"何(日|回|度|件|人|社|か月|ヶ月|カ月|年)か(?=[後前にもはのを、])")


@dataclass(frozen=True)
class Intent:
    """What a question asks for, and about what."""

    question: str
    normalized: str
    kind: IntentKind
    time: TimeScope
    terms: tuple[str, ...]
    kpi_key: str | None = None
    kpi_keys: tuple[str, ...] = ()
    quantity: QuantitySpec | None = None
    extreme: Extreme | None = None
    achievement: bool = False
    events: tuple[str, ...] = ()
    document_kind: DocumentKind | None = None
    asks_document_date: bool = False
    asks_document_sender: bool = False  # 「お詫びのメールを送ったのは誰？」
    reason: bool = False
    qualifiers: tuple[str, ...] = field(default=())
    names: tuple[str, ...] = ()
    nouns: tuple[str, ...] = ()  # the terms that are nouns: a topic the documents must mention
    wants_day: bool = False
    contrast: bool = False
    party: Literal["vendor", "client"] | None = None  # 「代行会社から…」: whose doing it is
    aspect: Aspect | None = None  # a question about the renewal itself (kind "assessment")
    premise: tuple[str, ...] = ()  # terms of the context clause (「…の後、」), not the ask


@dataclass(frozen=True)
class _Hit:
    term: str
    start: int
    end: int
    role: str
    spec: QuantitySpec | None = None


def _scan(text: str, table: Sequence[tuple[str, str, QuantitySpec | None]]) -> list[_Hit]:
    """Left to right, the longest listed term at each position, without overlaps."""
    ordered = sorted(table, key=lambda entry: -len(entry[0]))
    hits: list[_Hit] = []
    position = 0
    while position < len(text):
        for term, role, spec in ordered:
            if term and text.startswith(term, position):
                hits.append(_Hit(term, position, position + len(term), role, spec))
                position += len(term)
                break
        else:
            position += 1
    return hits


def _contains(text: str, terms: Sequence[str]) -> bool:
    return any(fold(term) in text for term in terms)


def _first_kind(text: str, knowledge: ChatKnowledge) -> DocumentKind | None:
    kinds = knowledge.document_kinds
    best: tuple[int, DocumentKind] | None = None
    for kind, terms in (
        ("email", kinds.email),
        ("meeting_notes", kinds.meeting_notes),
        ("vendor_report", kinds.vendor_report),
    ):
        for term in terms:
            position = text.find(fold(term))
            if position >= 0 and (best is None or position < best[0]):
                best = (position, kind)  # type: ignore[assignment]
    return best[1] if best else None


def classify(
    question: str,
    *,
    knowledge: ChatKnowledge,
    kpi_knowledge: KpiKnowledge,
    analyze: Analyze,
    as_of: dt.date,
    known_periods: Sequence[str] = (),
) -> Intent:
    """Classify a question as asked on `as_of` (months resolve to the latest such month)."""

    def tokenize(text: str) -> list[str]:
        return list(analyze(text).tokens)

    normalized = normalize_for_matching(question.strip())
    scope = question_scope(
        normalized, words=knowledge.dates, as_of=as_of, known_periods=known_periods
    )

    table: list[tuple[str, str, QuantitySpec | None]] = []
    for role, terms in knowledge.class_terms.items():
        table.extend((term, role, None) for term in terms)
    table.extend((term, "quantity", spec) for term, spec in knowledge.quantity_terms)
    # 「何日か後に電話する」: an indefinite 何…か is part of the question's topic, not its ask.
    hits = _scan(_INDEFINITE.sub(lambda m: "・" * len(m.group(0)), normalized), table)
    roles = [hit.role for hit in hits]
    if knowledge.who_ending is not None and knowledge.who_ending.search(normalized):
        roles.append("who")  # 「…を掲げた役員は？」: a person, whatever else it names

    lexicon_tokens = compiled(kpi_knowledge).tokens(normalized)
    kpi_tokens = [token for token in lexicon_tokens if token.kind is Kind.KPI]
    kpi_keys = tuple(dict.fromkeys(token.key for token in kpi_tokens))
    quantity_hit = next((hit for hit in hits if hit.role == "quantity"), None)
    kpi_words = knowledge.kpi
    trend = _contains(normalized, kpi_words.trend)
    extreme: Extreme | None = (
        "highest"
        if _contains(normalized, kpi_words.highest)
        else "lowest"
        if _contains(normalized, kpi_words.lowest)
        else None
    )
    achievement = _contains(normalized, kpi_words.achievement)
    asks_target = _contains(normalized, kpi_words.target) and not achievement

    events = tuple(
        key
        for key, spec in knowledge.events.items()
        if any(fold(word) in normalized for word in spec.question)
    )
    document_kind = _first_kind(normalized, knowledge)
    reason = _contains(normalized, knowledge.reason.question)

    analysis = analyze(normalized)
    stop = set(knowledge.stopword_set)
    if _contains(normalized, knowledge.sent_verbs):
        # 「…送られましたか」: the verb frames the question, the document is the topic.
        stop |= {t for verb in knowledge.sent_verbs for t in analyze(verb).tokens}
    for hit in hits:  # 「どの程度の期間」「何日付」 ask; they are not the topic
        stop |= set(analyze(hit.term).tokens) - knowledge.frame_set
    party = _party(normalized, knowledge)
    dates = knowledge.dates
    framing = (
        *knowledge.parties.vendor,
        *knowledge.parties.client,
        *dates.latest,
        *dates.relative_months,
        *dates.previous_meeting,
        *knowledge.follow_up,
        *knowledge.classes.summary,
    )
    for word in framing:  # who, when and how much of it: not what it is about
        if fold(word) in normalized:
            stop |= set(analyze(word).tokens)
    asked = {hit.term for hit in hits} - knowledge.frame_set
    stop |= purpose_tokens(normalized, knowledge, analyze)
    terms = tuple(
        dict.fromkeys(
            t for t in analysis.tokens if t not in stop and t not in asked and not t.isdigit()
        )
    )

    kpi_term_tokens: set[str] = set()
    for token in kpi_tokens:
        kpi_term_tokens.update(tokenize(normalized[token.start : token.end]))
    for token in lexicon_tokens:
        if token.kind in (Kind.TARGET, Kind.ACTUAL, Kind.CURRENT, Kind.PREVIOUS):
            kpi_term_tokens.update(tokenize(normalized[token.start : token.end]))
    event_tokens: set[str] = set()
    for key in events:
        for word in knowledge.events[key].question:
            if fold(word) in normalized:
                event_tokens.update(tokenize(word))
    # Words that narrow a KPI down are nouns (「新規開拓分」「試作加工案件」); a verb is the
    # asker's way of saying it (「アポ何件取れてる？」「何件獲得できた？」).
    nouns = set(analysis.nouns)
    qualifiers = tuple(
        t for t in terms if t not in kpi_term_tokens and t not in event_tokens and t in nouns
    )

    kpi_key = _bound_kpi(kpi_tokens, quantity_hit)
    kind = _kind(
        roles=roles,
        quantity_hit=quantity_hit,
        kpi_key=kpi_key,
        kpi_units=compiled(kpi_knowledge).units,
        trend=trend,
        extreme=extreme,
        asks_target=asks_target,
        qualifiers=qualifiers,
        summary=_contains(normalized, knowledge.summary_terms),
        topic_only=_TOPIC_ONLY.search(normalized) is not None,
        reason=reason,
        open_ask=_contains(normalized, knowledge.open_ask_terms),
    )
    aspect = _aspect(normalized, knowledge)
    if aspect in ("conditions", "decision") and (
        quantity_hit is not None or {"when", "who"} & set(roles)
    ):
        # 「来期の条件について、見積金額は提示されていますか」 asks a figure, not a judgment.
        aspect = None
    if aspect is not None:
        kind = "assessment"
    about_a_sent_document = document_kind is not None and _contains(
        normalized, knowledge.sent_verbs
    )
    asks_document_date = kind == "when" and about_a_sent_document
    premise = premise_terms(normalized, terms, knowledge, analyze)
    return Intent(
        question=question.strip(),
        normalized=normalized,
        kind=kind,
        time=scope,
        terms=terms,
        kpi_key=kpi_key if kind.startswith("kpi") else None,
        kpi_keys=kpi_keys,
        quantity=quantity_hit.spec if quantity_hit else None,
        extreme=extreme,
        achievement=achievement,
        events=events,
        document_kind=document_kind,
        asks_document_date=asks_document_date,
        asks_document_sender=kind == "who" and about_a_sent_document,
        reason=reason,
        qualifiers=qualifiers,
        names=analysis.names,
        nouns=tuple(t for t in terms if t in set(analysis.nouns)),
        contrast=_contains(normalized, knowledge.contrast),
        party=party,
        wants_day=any(hit.role == "when" and hit.term in knowledge.day_terms for hit in hits),
        aspect=aspect,
        premise=premise,
    )


def _aspect(text: str, knowledge: ChatKnowledge) -> Aspect | None:
    """What a question about the renewal itself asks: what to check, the risks, the
    conditions, or whether to renew (the first that fits, most specific first)."""
    words = knowledge.assessment
    if _contains(text, words.checks):
        return "checks"
    if _contains(text, words.risks):
        return "risks"
    if _contains(text, words.conditions) and _contains(text, words.renewal):
        return "conditions"
    if _contains(text, words.decision) or any(r.search(text) for r in words.decision_regexes):
        return "decision"
    return None


def _party(text: str, knowledge: ChatKnowledge) -> Literal["vendor", "client"] | None:
    """The side the question is about, when it names one by role (代行会社, 当社)."""
    positions: list[tuple[int, Literal["vendor", "client"]]] = []
    for side, words in (("vendor", knowledge.parties.vendor), ("client", knowledge.parties.client)):
        for word in words:
            position = text.find(fold(word))
            if position >= 0:
                positions.append((position, side))  # type: ignore[arg-type]
    return min(positions)[1] if positions else None


def _bound_kpi(tokens: Sequence[Token], quantity_hit: _Hit | None) -> str | None:
    """The KPI the number is asked about: the last one named before the quantity word."""
    if not tokens:
        return None
    if quantity_hit is not None:
        before = [token for token in tokens if token.end <= quantity_hit.start]
        if before:
            return before[-1].key
    return tokens[-1].key


def _kind(
    *,
    roles: Sequence[str],
    quantity_hit: _Hit | None,
    kpi_key: str | None,
    kpi_units: Mapping[str, str],
    trend: bool,
    extreme: Extreme | None,
    asks_target: bool,
    qualifiers: Sequence[str],
    summary: bool,
    topic_only: bool = False,
    reason: bool = False,
    open_ask: bool = False,
) -> IntentKind:
    asks = set(roles)
    if summary and kpi_key is None and len(qualifiers) <= 2 and not ({"when", "who"} & asks):
        return "summary"  # 「これまでの経緯をまとめて」: the whole history, not one reason
    if reason and quantity_hit is None and not ({"when", "who"} & asks):
        # 「10月以降アポが減ってるのは…頑張りが足りないからでは？」 asks why, not the trend.
        return "what"
    if kpi_key is not None and not ({"when", "who"} & asks):
        if extreme is not None:
            # 「…達成率で比べて、いちばん低いのは」: the extreme, not the trend
            return "kpi_extreme"
        if trend and quantity_hit is None:
            return "kpi_trend"
        if asks_target:
            return "kpi_target"
        if quantity_hit is not None and quantity_hit.spec is not None:
            if kpi_units[kpi_key] in quantity_hit.spec.kpi_units:
                return "kpi_value"
        elif ("what" not in asks or not qualifiers) and not reason:
            # 「先月の商談化率は？」「10月のアポ数はどうでしたか」: nothing but a KPI and a month
            # (「なんで商談化率が上がったの？」 asks why, not the value).
            return "kpi_value"
    if summary and len(qualifiers) <= 2:
        return "summary"
    ordered: tuple[IntentKind, ...] = ("when", "quantity", "who", "what")
    for role in ordered:
        if role in asks:
            return role
    # 「接続率は？」「スクリプトについて」 name a topic and ask what it is; a yes/no question
    # ends in a predicate (「ありましたか」「変わった？」) and asks for nothing (「…を示して」).
    return "what" if topic_only or reason or open_ask else "yesno"


def apply_context(intent: Intent, previous: dict[str, Any], *, knowledge: ChatKnowledge) -> Intent:
    """Fill in what a follow-up leaves out from the previous answer's context.

    「11月は？」 after a KPI answer asks the same KPI for another month; 「その月の商談数は？」
    asks about the month of the previous answer.
    """
    if not previous:
        return intent
    previous_kpi = previous.get("kpi")
    previous_period = previous.get("period")
    if (
        previous_kpi
        and intent.kpi_key is None
        and not intent.kpi_keys
        and not intent.qualifiers
        and not intent.events
    ):
        if intent.time.periods:
            return replace(intent, kind="kpi_value", kpi_key=str(previous_kpi))
        if _contains(intent.normalized, knowledge.kpi.trend):
            return replace(intent, kind="kpi_trend", kpi_key=str(previous_kpi))
    follow_up = _contains(intent.normalized, knowledge.follow_up)
    if follow_up and not intent.time.periods and previous_period:
        return replace(intent, time=replace(intent.time, periods=(str(previous_period),)))
    return intent
