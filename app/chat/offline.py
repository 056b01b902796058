"""The offline answerer: KPI questions from the stored series, the rest extractively.

Pure domain code. Given a classified question and the engagement's evidence (documents cut
into units, KPI points, the retriever's ranking of chunks), it returns a short Japanese
answer whose every citation is an exact span of a stored document, or says plainly that the
documents do not answer the question.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.analyse.facts import DocumentFacts, EngagementFacts, KpiPoint, author_of, vendor_core_name
from app.analyse.knowledge import Knowledge
from app.analyse.kpi import KpiKnowledge
from app.analyse.models import EngagementAnalysis
from app.analyse.series import monthly_values
from app.chat.classify import Intent
from app.chat.dates import (
    DateExpression,
    date_label,
    find_dates,
    mentions_day,
    mentions_month,
    period_label,
)
from app.chat.knowledge import ChatKnowledge
from app.chat.segments import Analyze, Unit, following_items, line_units
from app.ingest.normalize import normalize_for_matching

KIND_LABELS = {"vendor_report": "月次報告", "meeting_notes": "議事録", "email": "メール"}
MAX_LINE_CHARS = 260
MAX_SECTION_CHARS = 520
SECOND_OTHER_DOCUMENT = 0.65
OCCURRENCE_SHARE = 0.6
MAX_OCCURRENCES = 4
FOUND_COVERAGE = 0.3
TITLE_CREDIT = 0.8
MIN_TOPIC_CHARS = 2
UBIQUITOUS_WEIGHT = 0.3
FOUND_WITH_EVENT = 0.15
FOUND_BY_SENDER = 0.1
SECOND_SAME_DOCUMENT = 0.9
LIST_INTRO = re.compile(r"([:：]$|以下|次の|下記)")
TREND_MONTHS = 6


@dataclass(frozen=True)
class SourceSpan:
    """A cited passage: exactly `document.text[start:end]`."""

    document_id: int
    start: int
    end: int
    quote: str
    period: str | None
    title: str
    date: dt.date


@dataclass(frozen=True)
class OfflineAnswer:
    text: str
    citations: tuple[SourceSpan, ...]
    found: bool
    kind: str
    context: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChunkHit:
    """A chunk the retriever returned for the question, best first."""

    document_id: int
    start: int
    end: int


@dataclass(frozen=True)
class Evidence:
    """Everything known about one engagement as of a date, as plain data."""

    engagement: EngagementFacts
    documents: Sequence[DocumentFacts]
    units: Mapping[int, Sequence[Unit]]
    kpis: Sequence[KpiPoint]
    chunks: Sequence[ChunkHit]
    as_of: dt.date
    titles: Mapping[int, frozenset[str]] = field(default_factory=dict)
    analysis: EngagementAnalysis | None = None

    @property
    def known_periods(self) -> list[str]:
        return sorted(
            {d.month for d in self.documents} | {d.date.strftime("%Y-%m") for d in self.documents}
        )


@dataclass(frozen=True)
class Rules:
    """The lexicons the answerer needs, compiled."""

    chat: ChatKnowledge
    kpi: KpiKnowledge
    event_patterns: Mapping[str, Sequence[re.Pattern[str]]]
    # Tokens of each event's question words: a sentence about the event counts as using them
    # (「交代」 is answered by 「後任の小林に引き継ぎます」).
    event_tokens: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The signal's own exceptions (「担当者が代わっても」 is no change).
    event_unless: Mapping[str, Sequence[re.Pattern[str]]] = field(default_factory=dict)
    injection: Sequence[re.Pattern[str]] = ()

    def event_matches(self, key: str, text: str) -> bool:
        if not any(pattern.search(text) for pattern in self.event_patterns.get(key, ())):
            return False
        return not any(pattern.search(text) for pattern in self.event_unless.get(key, ()))


def build_rules(*, chat: ChatKnowledge, knowledge: Knowledge, analyze: Analyze) -> Rules:
    """Event patterns: chat.yaml's own plus the cue patterns of the signal they name."""
    event_tokens = {
        key: frozenset(token for word in spec.question for token in analyze(word).tokens)
        for key, spec in chat.events.items()
    }
    patterns: dict[str, list[re.Pattern[str]]] = {}
    unless: dict[str, list[re.Pattern[str]]] = {}
    signals = knowledge.signals
    for key, spec in chat.events.items():
        found = list(chat.event_regexes[key])
        if spec.signal in signals.signals:
            signal = signals.signals[spec.signal]
            found.extend(cue.regex for cue in signal.cues)
            unless[key] = [re.compile(pattern) for pattern in signal.unless]
        elif spec.signal == "stagnation":
            found.extend(cue.regex for cue in signals.stagnation.cues)
        elif spec.signal == "internal_factors":
            for factor in signals.internal_factors.types.values():
                found.extend(cue.regex for cue in factor.cues)
        patterns[key] = found
    return Rules(
        chat=chat,
        kpi=knowledge.kpi,
        event_patterns=patterns,
        event_tokens=event_tokens,
        event_unless=unless,
        injection=knowledge.injection_regexes,
    )


# =============================================================================================
# Formatting
# =============================================================================================


def format_value(value: float, unit_kind: str, units: Mapping[Any, str]) -> str:
    suffix = units.get(unit_kind, "")
    if unit_kind == "percent":
        return f"{value:g}{suffix}"
    if unit_kind == "jpy":
        text = f"{value:,.0f}{suffix}"
        if value >= 10_000 and value % 10_000 == 0:
            text += f"（{value / 10_000:,.0f}万{suffix}）"
        return text
    return f"{value:,.0f}{suffix}" if float(value).is_integer() else f"{value:,g}{suffix}"


def _source(document: DocumentFacts, start: int, end: int) -> SourceSpan:
    return SourceSpan(
        document_id=document.id,
        start=start,
        end=end,
        quote=document.text[start:end],
        period=document.period,
        title=document.title,
        date=document.date,
    )


def _where(document: DocumentFacts) -> str:
    """「2026年2月18日のメール」: the source in a few words (the title is in the citation)."""
    return f"{date_label(document.date)}の{KIND_LABELS.get(document.kind, '文書')}"


def _named(document: DocumentFacts) -> str:
    return f"{KIND_LABELS.get(document.kind, '文書')}「{document.title}」（{date_label(document.date)}）"


def not_found(evidence: Evidence, intent: Intent, detail: str = "") -> OfflineAnswer:
    lead = detail or "ご質問の内容は、登録されている資料からは確認できませんでした。"
    scope = f"（{date_label(evidence.as_of)}時点の文書{len(evidence.documents)}件を確認）"
    return OfflineAnswer(
        text=f"{lead}{scope}\n推測ではお答えできません。言葉を変えて質問するか、該当する資料を登録してください。",
        citations=(),
        found=False,
        kind=intent.kind,
    )


# =============================================================================================
# KPI answers
# =============================================================================================


def _unit_around(evidence: Evidence, point: KpiPoint) -> SourceSpan | None:
    """The sentence or table row holding a KPI figure (more readable than the bare figure)."""
    document = next((d for d in evidence.documents if d.id == point.document_id), None)
    if document is None or not point.quote:
        return None
    for unit in evidence.units.get(document.id, ()):
        if unit.start <= point.start and point.end <= unit.end:
            return _source(document, unit.start, unit.end)
    return _source(document, point.start, point.end)


def _kpi_label(rules: Rules, key: str) -> str:
    return str(rules.kpi.kpis[key].label)


def _kpi_format(rules: Rules, key: str, value: float) -> str:
    return format_value(value, str(rules.kpi.kpis[key].unit), rules.chat.kpi.units)


def _series(evidence: Evidence, key: str) -> dict[str, KpiPoint]:
    return {
        period: by_key[key]
        for period, by_key in monthly_values(list(evidence.kpis)).items()
        if key in by_key and period <= evidence.as_of.strftime("%Y-%m")
    }


def answer_kpi(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer | None:
    """A KPI question from the stored series; None hands it over to extractive answering."""
    key = intent.kpi_key
    if key is None or key not in rules.kpi.kpis:
        return None
    label = _kpi_label(rules, key)
    series = _series(evidence, key)
    target = evidence.engagement.kpi_targets.get(key)
    context = {"kpi": key}

    if intent.kind == "kpi_target":
        if target is None:
            return not_found(evidence, intent, f"{label}の目標は契約情報に登録されていません。")
        text = f"{label}の月間目標は{_kpi_format(rules, key, target)}です（契約情報に登録された目標）。"
        citations: list[SourceSpan] = []
        if series:
            period, point = max(series.items())
            source = _unit_around(evidence, point)
            if source:
                citations.append(source)
            text += (
                f"\n直近の{period_label(period)}の実績は{_kpi_format(rules, key, point.value)}"
                f"（達成率{point.value / target * 100:.0f}%）です[1]。"
                if source
                else ""
            )
        return OfflineAnswer(text, tuple(citations), True, intent.kind, context)

    if not series:
        return not_found(evidence, intent, f"{label}の実績は、登録されている資料に見当たりません。")

    if intent.kind == "kpi_trend":
        periods = sorted(series)
        if len(intent.time.periods) >= 2:
            low, high = min(intent.time.periods), max(intent.time.periods)
            periods = [p for p in periods if low <= p <= high]
        periods = periods[-TREND_MONTHS:]
        if not periods:
            return not_found(evidence, intent, f"指定の期間の{label}は資料に見当たりません。")
        parts: list[str] = []
        citations = []
        for period in periods:
            source = _unit_around(evidence, series[period])
            marker = ""
            if source is not None:
                citations.append(source)
                marker = f"[{len(citations)}]"
            parts.append(
                f"{period_label(period)} {_kpi_format(rules, key, series[period].value)}{marker}"
            )
        first, last = series[periods[0]].value, series[periods[-1]].value
        direction = "増加" if last > first * 1.05 else "減少" if last < first * 0.95 else "横ばい"
        text = (
            f"{label}の推移："
            + " → ".join(parts)
            + f"。\n{period_label(periods[0])}から見て{direction}傾向です。"
        )
        if target is not None:
            text += f"（月間目標 {_kpi_format(rules, key, target)}）"
        return OfflineAnswer(text, tuple(citations), True, intent.kind, context)

    if intent.kind == "kpi_extreme":
        pick = max if intent.extreme == "highest" else min
        period = pick(series, key=lambda p: series[p].value)
        source = _unit_around(evidence, series[period])
        word = "最も高かった" if intent.extreme == "highest" else "最も低かった"
        text = (
            f"{label}が{word}のは{period_label(period)}の{_kpi_format(rules, key, series[period].value)}です"
            f"{'[1]' if source else ''}（{len(series)}か月分の記録から）。"
        )
        return OfflineAnswer(text, (source,) if source else (), True, intent.kind, context)

    # A single month's value.
    asked = intent.time.period
    relative_note = ""
    if asked is None:
        asked = max(series)
        relative_note = "直近の"
    context["period"] = asked
    found_point = series.get(asked)
    if found_point is None:
        earlier = [p for p in series if p < asked]
        detail = f"{period_label(asked)}の{label}は、登録されている資料に記載がありません。"
        if not earlier:
            return not_found(evidence, intent, detail)
        previous = max(earlier)
        source = _unit_around(evidence, series[previous])
        text = (
            f"{detail}\n記録がある直近の月は{period_label(previous)}で、"
            f"{_kpi_format(rules, key, series[previous].value)}です{'[1]' if source else ''}。"
        )
        return OfflineAnswer(text, (source,) if source else (), True, intent.kind, context)

    point = found_point
    if intent.qualifiers and not _qualifiers_in_source(intent, evidence, point):
        return None  # 「試作加工案件の受注金額」: not necessarily the month's total
    source = _unit_around(evidence, point)
    citations = [source] if source else []
    text = f"{relative_note}{period_label(asked)}度の{label}は{_kpi_format(rules, key, point.value)}です"
    text += "[1]" if source else ""
    if point.corrected:
        text += "（ユーザーによる修正値）"
    if target:
        text += (
            f"（目標 {_kpi_format(rules, key, target)}、達成率 {point.value / target * 100:.0f}%）"
        )
    text += "。"
    others = [
        p
        for p in evidence.kpis
        if p.key == key and p.period == asked and p.document_id != point.document_id and p.quote
    ]
    for other in others[:2]:
        other_source = _unit_around(evidence, other)
        if other_source is None:
            continue
        citations.append(other_source)
        document = next(d for d in evidence.documents if d.id == other.document_id)
        if abs(other.value - point.value) < 1e-9:
            text += f"\n{_named(document)}にも同じ値があります[{len(citations)}]。"
        else:
            text += (
                f"\nなお、{_named(document)}では{_kpi_format(rules, key, other.value)}"
                f"と記載されています[{len(citations)}]。"
            )
    return OfflineAnswer(text, tuple(citations), True, intent.kind, context)


def _qualifiers_in_source(intent: Intent, evidence: Evidence, point: KpiPoint) -> bool:
    """Whether the words that narrow the question down appear where the figure was stated."""
    document = next((d for d in evidence.documents if d.id == point.document_id), None)
    if document is None:
        return False
    near = [
        unit
        for unit in evidence.units.get(document.id, ())
        if unit.start <= point.end and point.start <= unit.end
    ]
    tokens: set[str] = set()
    for unit in near:
        tokens |= unit.tokens | unit.heading_tokens
    return all(term in tokens for term in intent.qualifiers)


# =============================================================================================
# Extractive answers
# =============================================================================================


@dataclass(frozen=True)
class Scored:
    unit: Unit
    score: float
    coverage: float
    event: bool


def _idf(units: Sequence[Unit]) -> dict[str, float]:
    counts: dict[str, int] = defaultdict(int)
    for unit in units:
        for token in unit.tokens:
            counts[token] += 1
    total = len(units)
    return {token: math.log(1 + total / (1 + count)) for token, count in counts.items()}


def term_weights(intent: Intent, units: Sequence[Unit], rules: Rules) -> dict[str, float]:
    """Rare words weigh more; words that frame the question (内容, 理由) count half, and
    words found in most documents (the parties' names in every address line) little."""
    idf = _idf(units)
    ceiling = math.log(1 + len(units))
    frame = rules.chat.frame_set
    documents: dict[int, set[str]] = defaultdict(set)
    for unit in units:
        documents[unit.document.id] |= unit.tokens
    count = len(documents) or 1

    def everywhere(term: str) -> bool:
        return count >= 3 and sum(term in tokens for tokens in documents.values()) / count >= 0.6

    return {
        term: idf.get(term, ceiling)
        * (0.5 if term in frame else 1.0)
        * (UBIQUITOUS_WEIGHT if everywhere(term) else 1.0)
        for term in intent.terms
    }


def document_coverage(intent: Intent, evidence: Evidence, rules: Rules) -> dict[int, float]:
    """Share of the question's weighted words that appear anywhere in each document."""
    units = [u for d in evidence.documents for u in evidence.units.get(d.id, ())]
    weights = term_weights(intent, units, rules)
    total = sum(weights.values()) or 1.0
    coverage: dict[int, float] = {}
    for document in evidence.documents:
        tokens: set[str] = set(evidence.titles.get(document.id, frozenset()))
        for unit in evidence.units.get(document.id, ()):
            tokens |= unit.tokens
        coverage[document.id] = sum(w for t, w in weights.items() if t in tokens) / total
    return coverage


def _chunk_rank(unit: Unit, chunks: Sequence[ChunkHit]) -> int | None:
    for rank, chunk in enumerate(chunks):
        if (
            chunk.document_id == unit.document.id
            and chunk.start < unit.end
            and unit.start < chunk.end
        ):
            return rank
    return None


def _candidate_documents(intent: Intent, evidence: Evidence) -> list[DocumentFacts]:
    documents = [d for d in evidence.documents if d.date <= evidence.as_of]
    if (intent.asks_document_date or intent.asks_document_sender) and intent.document_kind:
        # 「…のメールはいつ送られましたか」: only a document of that kind can be the answer.
        of_kind = [d for d in documents if d.kind == intent.document_kind]
        documents = of_kind or documents
    if intent.time.meeting_rank is not None:
        meetings = sorted(
            (d for d in documents if d.kind == "meeting_notes"), key=lambda d: (d.date, d.id)
        )
        if len(meetings) >= intent.time.meeting_rank:
            return [meetings[-intent.time.meeting_rank]]
    return documents


def rank_units(intent: Intent, evidence: Evidence, rules: Rules) -> list[Scored]:
    """Every unit of the candidate documents, scored for how well it answers the question."""
    documents = _candidate_documents(intent, evidence)
    units = [unit for d in documents for unit in evidence.units.get(d.id, ())]
    if not units or not intent.terms:
        return []
    weights = term_weights(intent, units, rules)
    total = sum(weights.values()) or 1.0
    document_tokens: dict[int, set[str]] = defaultdict(set)
    title_tokens: dict[int, frozenset[str]] = {}
    line_tokens: dict[tuple[int, int], set[str]] = defaultdict(set)
    for unit in units:
        document_tokens[unit.document.id] |= unit.tokens
        line_tokens[(unit.document.id, unit.line)] |= unit.tokens
    chat = rules.chat
    for document in documents:
        title_tokens[document.id] = evidence.titles.get(document.id, frozenset())
    document_coverage = {
        document_id: sum(w for t, w in weights.items() if t in tokens) / total
        for document_id, tokens in document_tokens.items()
    }
    event_headings = [
        heading.lower() for key in intent.events for heading in chat.events[key].headings
    ]
    senders = {d.id: _senders(evidence.units.get(d.id, ())) for d in documents}
    subject_author = _subject_author(intent, evidence.engagement)
    authors = {d.id: author_of(d, evidence.engagement.vendor_name) for d in documents}
    asked_names = set(intent.names)
    scored: list[Scored] = []
    for unit in units:
        if any(pattern.search(unit.normalized) for pattern in rules.injection):
            continue  # an instruction planted in a document is never an answer
        events = [key for key in intent.events if rules.event_matches(key, unit.normalized)]
        synonyms: set[str] = set()
        for key in events:
            synonyms |= rules.event_tokens.get(key, frozenset())
        line = line_tokens[(unit.document.id, unit.line)]
        matched = 0.0
        for term, weight in weights.items():
            if term in unit.tokens or term in synonyms:
                matched += weight
            elif term in unit.heading_tokens:
                matched += 0.6 * weight
            elif term in line:
                matched += 0.5 * weight
            elif term in title_tokens.get(unit.document.id, frozenset()):
                matched += TITLE_CREDIT * weight
        coverage = matched / total
        score = coverage + 0.15 * document_coverage.get(unit.document.id, 0.0)
        rank = _chunk_rank(unit, evidence.chunks)
        if rank is not None:
            score += 0.2 / (1 + 0.5 * rank)
        if events:
            score += 0.2
        if event_headings and any(h in unit.heading for h in event_headings):
            score += 0.15
        if intent.document_kind and unit.document.kind == intent.document_kind:
            score += 0.08
        if asked_names & senders[unit.document.id]:
            score += 0.12  # 「藤井課長が送ったメール」: written by the person named
        if subject_author is not None and authors[unit.document.id] == subject_author:
            score += 0.08
        for period in intent.time.periods:
            if unit.document.month == period:
                score += 0.12
            if mentions_month(unit.normalized, period):
                score += 0.12
        for day in intent.time.days:
            if unit.document.date == day:
                score += 0.25
            if mentions_day(unit.normalized, day):
                score += 0.2
        score += _answer_type_bonus(intent, unit, rules, asked_names)
        if any(pattern.search(unit.normalized) for pattern in chat.boilerplate_regexes):
            score -= 0.3
        if unit.is_heading:
            score -= 0.15
        if intent.kind not in ("who", "when") and chat.header_regex.search(unit.normalized):
            score -= 0.2
        if len(unit.normalized) < 8:
            score -= 0.1
        scored.append(Scored(unit, score, coverage, bool(events)))
    scored.sort(key=lambda s: (-s.score, s.unit.document.date, s.unit.index))
    return scored


_SELF_INTRODUCTION = re.compile(r"の\s*(\S{1,8}?)(です|でございます)")
_COMPANY = re.compile(r"(株式会社|有限会社|合同会社|\(株\))")
_COMPANY_QUESTION = re.compile(r"(会社|企業|どこ|社名|取引先)")


def _senders(units: Sequence[Unit]) -> set[str]:
    """Names of who wrote a document: its self-introduction (「三和パッケージの藤井です」) and
    its last lines (the signature)."""
    names: set[str] = set()
    for unit in units[:8]:
        match = _SELF_INTRODUCTION.search(unit.normalized)
        if match:
            names |= unit.names | {match.group(1)}
    for unit in units[-2:]:
        names |= unit.names
    return names


def _subject_author(intent: Intent, engagement: EngagementFacts) -> str | None:
    """「グロースアークは…断りましたか」「代行会社からの提案」: what one side itself did."""
    if intent.party is not None:
        return intent.party
    core = vendor_core_name(engagement.vendor_name)
    folded = intent.normalized
    if (
        core
        and folded.startswith(core.lower())
        and folded[len(core) : len(core) + 1] in ("は", "が")
    ):
        return "vendor"
    return None


def _answer_type_bonus(intent: Intent, unit: Unit, rules: Rules, asked_names: set[str]) -> float:
    bonus = 0.0
    if intent.kind == "when" and not intent.asks_document_date:
        dates = find_dates(unit.normalized)
        with_day = any(d.day is not None for d in dates)
        if intent.wants_day:
            bonus += 0.4 if with_day else 0.15 if dates else 0.0
        elif dates:
            bonus += 0.25
        markers = rules.chat.dates.effective_markers
        if any(unit.normalized[d.end : d.end + 4].startswith(tuple(markers)) for d in dates):
            bonus += 0.1
    if intent.kind == "who":
        if _COMPANY_QUESTION.search(intent.normalized):
            bonus += 0.15 if _COMPANY.search(unit.normalized) else 0.0
        elif unit.names - asked_names:
            bonus += 0.2
    if intent.kind == "quantity" and intent.quantity is not None:
        bonus += 0.2 if intent.quantity.regex.search(unit.normalized) else -0.15
    if intent.kind == "what" and LIST_INTRO.search(unit.normalized):
        bonus += 0.1  # 「以下をお願いします：」 introduces the answer
    if intent.reason and any(p.search(unit.normalized) for p in rules.chat.reason_regexes):
        bonus += 0.08
    return bonus


def _is_found(best: Scored) -> bool:
    return best.coverage >= FOUND_COVERAGE or (best.event and best.coverage >= FOUND_WITH_EVENT)


def _span_for(intent: Intent, best: Unit, units: Sequence[Unit]) -> tuple[int, int]:
    """Grow the answer to what reads on its own: a heading's items, a list it introduces,
    or the rest of a bullet."""
    if best.is_heading:
        items = following_items(units, best, limit=3)
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
    written_by_asked = bool(set(intent.names) & _senders(evidence.units.get(best_id, ())))
    if coverage < (FOUND_BY_SENDER if written_by_asked else FOUND_COVERAGE):
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
        _source(document, unit.start, unit.end),
        _source(document, items[0].unit.start, items[0].unit.end),
    )
    unique = tuple(dict.fromkeys(citations))
    text = f"{date_label(document.date)}です[1]。{_named(document)}の日付です。"
    if len(unique) > 1:
        text += f"\n「{unique[1].quote.strip()}」[2]"
    return OfflineAnswer(text, unique, True, intent.kind, {"document_id": str(document.id)})


def _sender_answer(intent: Intent, document: DocumentFacts, evidence: Evidence) -> OfflineAnswer:
    """Who wrote the document: its self-introduction, else its signature."""
    units = list(evidence.units.get(document.id, ()))
    introduction = [
        u for u in units[:8] if len(u.normalized) <= 40 and _SELF_INTRODUCTION.search(u.normalized)
    ]
    signature = [u for u in units[-3:] if u.names]
    chosen = introduction[:1] or signature[-1:]
    if not chosen:
        return not_found(
            evidence, intent, f"{_named(document)}の差出人は、本文から読み取れません。"
        )
    unit = chosen[0]
    text = f"差出人は「{unit.quote.strip()}」です[1]。{_named(document)}より。"
    return OfflineAnswer(
        text,
        (_source(document, unit.start, unit.end),),
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


def missing_topics(intent: Intent, evidence: Evidence, rules: Rules) -> list[str]:
    """Nouns of the question that no document mentions at all (「住所」「違約金」).

    A question whose topic word appears nowhere is not answered from loosely related
    sentences; frame words and the words of a recognised event are exempt (「後任」 is
    answered by 「…に引き継ぎます」).
    """
    vocabulary: set[str] = set()
    for document in evidence.documents:
        vocabulary |= evidence.titles.get(document.id, frozenset())
        for unit in evidence.units.get(document.id, ()):
            vocabulary |= unit.tokens
    exempt = set(rules.chat.frame_set)
    for key in intent.events:
        exempt |= rules.event_tokens.get(key, frozenset())
    return [
        noun
        for noun in intent.nouns
        if len(noun) >= MIN_TOPIC_CHARS and noun not in vocabulary and noun not in exempt
    ]


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
    if not ranked or not (_is_found(ranked[0]) or (required and ranked[0].event)):
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
    citations = [_source(document, start, end)]
    quote = document.text[start:end].strip()
    context = {"document_id": str(document.id)}
    if document.period:
        context["period"] = document.period

    if intent.kind == "when":
        expression = _date_in(intent, best.unit)
        if expression is not None:
            head = f"{expression.resolved(document.date).display()}です[1]。"
        else:
            head = f"{period_label(document.month)}度の{_named(document)}に記載があります[1]。"
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
    text = f"{head}\n「{quote}」（{_where(document)}）"

    for item in _referenced_items(best.unit, units):
        if start <= item.start and item.end <= end:
            continue
        citations.append(_source(document, item.start, item.end))
        text += f"\n・{item.quote.strip()}[{len(citations)}]"

    second = _second(ranked, best, (start, end))
    if second is not None:
        other = second.unit.document
        other_start, other_end = _span_for(intent, second.unit, evidence.units[other.id])
        citations.append(_source(other, other_start, other_end))
        text += (
            f"\n関連：「{other.text[other_start:other_end].strip()}」[{len(citations)}]"
            f"（{_where(other)}）"
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
        citations.append(_source(unit.document, unit.start, unit.end))
        lines.append(
            f"・{expression.display()}：「{unit.quote.strip()}」[{len(citations)}]（{_where(unit.document)}）"
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
        if not _is_found(candidate):
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
        citations.append(_source(document, citation.start, citation.end))
        lines.append(f"「{citation.quote.strip()}」[{len(citations)}]（{_where(document)}）")
    return OfflineAnswer("\n".join(lines), tuple(citations), True, intent.kind, {})


def answer_homework(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer | None:
    """「前回の宿題は？」: the ToDo items of the meeting the question points at."""
    if "homework" not in intent.events:
        return None
    documents = _candidate_documents(intent, evidence)
    meetings = sorted(
        (d for d in documents if d.kind == "meeting_notes"), key=lambda d: (d.date, d.id)
    )
    headings = [h.lower() for h in rules.chat.events["homework"].headings]
    for document in reversed(meetings):
        units = evidence.units.get(document.id, ())
        heading = next(
            (u for u in units if u.is_heading and any(h in u.normalized for h in headings)), None
        )
        if heading is None:
            continue
        items = following_items(units, heading, limit=8)
        if not items:
            continue
        citation = _source(document, heading.start, items[-1].end)
        text = f"{_named(document)}の宿題（ToDo）は次のとおりです[1]。\n" + "\n".join(
            f"・{item.quote.strip()}" for item in items
        )
        later = [d for d in evidence.documents if d.date > document.date]
        if later:
            text += f"\nその後の資料が{len(later)}件あります。個々の対応状況は各項目について質問してください。"
        return OfflineAnswer(
            text, (citation,), True, intent.kind, {"document_id": str(document.id)}
        )
    return None


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
    return answer_extractive(intent, evidence, rules)
