"""Answer types shared by the chat answerers, the lexicons they use, and plain formatting.

Every `SourceSpan` is exactly `document.text[start:end]` of a stored document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.analyse.kpi import KpiKnowledge
from app.analyse.models import EngagementAnalysis
from app.chat.classify import Intent
from app.chat.dates import date_label
from app.chat.kana import Readings
from app.chat.segments import Analyze, Unit
from app.chat.wording import Wording, build_wording
from app.core.facts import DocumentFacts, EngagementFacts, KpiPoint
from app.core.vocabulary import Vocabulary
from app.knowledge import Knowledge
from app.knowledge.chat import ChatKnowledge


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
    # Cosine of each unit to the question, keyed (document id, unit start); empty while the
    # sentence vectors are not ready (app/chat/dense.py).
    similarity: Mapping[tuple[int, int], float] = field(default_factory=dict)

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
    vocabulary: Vocabulary
    event_patterns: Mapping[str, Sequence[re.Pattern[str]]]
    # Tokens of each event's question words: a sentence about the event counts as using them
    # (「交代」 is answered by 「後任の森田に引き継ぎます」).
    event_tokens: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The signal's own exceptions (「担当者が代わっても」 is no change).
    event_unless: Mapping[str, Sequence[re.Pattern[str]]] = field(default_factory=dict)
    # The knowledge's one list of instruction-like patterns (`Knowledge.injection_regexes`).
    injection: Sequence[re.Pattern[str]] = ()
    # The tokenizer the questions were read with: a name in a question (「ノボリテック側の…」)
    # is recognised by its tokens, which need not be words of their own (上る + テック).
    analyze: Analyze | None = None
    # Other people's wording (knowledge/chat_wording.yaml, app/chat/wording.py).
    wording: Wording = field(default_factory=Wording)

    def tokens_of(self, text: str) -> frozenset[str]:
        return frozenset(self.analyze(text).tokens) if self.analyze is not None else frozenset()

    def event_matches(self, key: str, text: str) -> bool:
        if not any(pattern.search(text) for pattern in self.event_patterns.get(key, ())):
            return False
        return not any(pattern.search(text) for pattern in self.event_unless.get(key, ()))


def build_rules(
    *,
    chat: ChatKnowledge,
    knowledge: Knowledge,
    analyze: Analyze,
    readings: Readings | None = None,
) -> Rules:
    """Event patterns: chat.yaml's own plus the cue patterns of the signal they name; with
    the tokenizer's readings, kana-typed questions are read in written words."""
    event_tokens = {
        key: frozenset(token for word in spec.question for token in analyze(word).tokens)
        for key, spec in chat.events.items()
    }
    patterns: dict[str, list[re.Pattern[str]]] = {}
    unless: dict[str, list[re.Pattern[str]]] = {}
    signals = knowledge.signals
    for key, spec in chat.events.items():
        found = list(chat.event_regexes[key])
        unless[key] = [re.compile(pattern) for pattern in spec.unless]
        if spec.signal in signals.signals:
            signal = signals.signals[spec.signal]
            found.extend(cue.regex for cue in signal.cues)
            unless[key] += [re.compile(pattern) for pattern in signal.unless]
        elif spec.signal == "stagnation":
            found.extend(cue.regex for cue in signals.stagnation.cues)
        elif spec.signal == "internal_factors":
            for factor in signals.internal_factors.types.values():
                found.extend(cue.regex for cue in factor.cues)
        patterns[key] = found
    return Rules(
        chat=chat,
        kpi=knowledge.kpi,
        vocabulary=knowledge.vocabulary,
        event_patterns=patterns,
        event_tokens=event_tokens,
        event_unless=unless,
        injection=knowledge.injection_regexes,
        analyze=analyze,
        wording=build_wording(
            knowledge.chat_wording,
            lambda word: frozenset(analyze(word).tokens),
            readings,
            _written_vocabulary(knowledge, chat),
        ),
    )


def _written_vocabulary(knowledge: Knowledge, chat: ChatKnowledge) -> list[str]:
    """The words a kana-typed question may mean beyond the documents' own: the KPI names and
    the contract's fields (「かいやくよこく」 → 解約予告 across the portfolio)."""
    words = [w for spec in knowledge.kpi.kpis.values() for w in (spec.label, *spec.synonyms)]
    contract = chat.contract
    return [*words, *contract.fee, *contract.renewal, *contract.notice, *contract.start]


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


def source_span(document: DocumentFacts, start: int, end: int) -> SourceSpan:
    return SourceSpan(
        document_id=document.id,
        start=start,
        end=end,
        quote=document.text[start:end],
        period=document.period,
        title=document.title,
        date=document.date,
    )


def where(document: DocumentFacts, vocabulary: Vocabulary) -> str:
    """「2026年2月18日のメール」: the source in a few words (the title is in the citation)."""
    return f"{date_label(document.date)}の{vocabulary.document_kind_label(document.kind)}"


def named(document: DocumentFacts, vocabulary: Vocabulary) -> str:
    """「メール「件名」（2026年2月18日）」: the document by kind, title and date."""
    kind = vocabulary.document_kind_label(document.kind)
    return f"{kind}「{document.title}」（{date_label(document.date)}）"


def not_found(evidence: Evidence, intent: Intent, detail: str = "") -> OfflineAnswer:
    lead = detail or "ご質問の内容についての記載は、登録されている資料には見当たりませんでした。"
    scope = f"（{date_label(evidence.as_of)}時点の文書{len(evidence.documents)}件を確認）"
    return OfflineAnswer(
        text=f"{lead}{scope}\n推測ではお答えできません。言葉を変えて質問するか、該当する資料を登録してください。",
        citations=(),
        found=False,
        kind=intent.kind,
    )
