"""knowledge/chat.yaml as validated data: question cues, date words, events, suggestions."""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from app.core.normalize import normalize_for_matching
from app.core.vocabulary import SIGNAL_SOURCES
from app.knowledge.files import validate_file

CHAT_KNOWLEDGE_FILE = "chat.yaml"
# Other people's wording (app/chat/wording.py builds its token maps from this file).
WORDING_FILE = "chat_wording.yaml"

Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Terms = Annotated[list[Term], Field(min_length=1)]
UnitKind = Literal["count", "percent", "jpy"]


def _pattern(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"正規表現として不正です: {value!r}（{error}）") from error
    return value


@lru_cache(maxsize=8192)
def fold(term: str) -> str:
    """A lexicon word as it is matched (NFKC, lower-case ASCII); words repeat on every
    question, so each is folded once."""
    return normalize_for_matching(term)


def _folded(terms: list[str]) -> tuple[str, ...]:
    """Terms as they are matched: NFKC, lower-case ASCII, longest first."""
    return tuple(sorted({normalize_for_matching(t) for t in terms}, key=lambda t: (-len(t), t)))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Classes(_Strict):
    when: Terms
    when_day: Terms
    who: Terms
    what: Terms
    summary: Terms
    # A question that ends in one of these and は (「…の役員は？」) asks for a person.
    who_endings: Terms = []
    # Asks for content, never a yes or no: a request (「…をご教示ください」) or an alternative
    # (「…それとも…？」).
    open_asks: Terms = []


class ReasonSpec(_Strict):
    question: Terms
    patterns: Terms
    # Of `patterns`, the ones that only name a cause (「要因を確認した」) without giving it.
    cause_nouns: Terms = []

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        return [_pattern(v) for v in values]


class QuantitySpec(_Strict):
    words: Terms
    kpi_units: list[UnitKind]
    pattern: Term

    @field_validator("pattern")
    @classmethod
    def _check(cls, value: str) -> str:
        return _pattern(value)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


class KpiWords(_Strict):
    trend: Terms
    highest: Terms
    lowest: Terms
    target: Terms
    achievement: Terms
    # 「稼働初月の…」: the first month of the series.
    first_month: Terms
    units: dict[UnitKind, Term]

    @field_validator("units")
    @classmethod
    def _every_unit(cls, value: dict[str, str]) -> dict[str, str]:
        missing = {"count", "percent", "jpy"} - set(value)
        if missing:
            raise ValueError(f"単位がありません: {sorted(missing)}")
        return value


class DateWords(_Strict):
    relative_months: Annotated[
        dict[Term, Annotated[int, Field(ge=-24, le=24)]], Field(min_length=1)
    ]
    latest: Terms
    previous_meeting: Annotated[dict[Term, Annotated[int, Field(ge=1, le=12)]], Field(min_length=1)]
    effective_markers: Terms


class Parties(_Strict):
    vendor: Terms
    client: Terms


class DocumentKinds(_Strict):
    email: Terms
    meeting_notes: Terms
    vendor_report: Terms


class EventSpec(_Strict):
    label: Term
    question: Terms
    patterns: list[Term] = []
    # Sentences that mention the event without it happening (「遅れなし」).
    unless: list[Term] = []
    headings: list[Term] = []
    signal: str | None = None
    # True: only a sentence matching the event can answer a question about it.
    required: bool = False

    @field_validator("patterns", "unless")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        return [_pattern(v) for v in values]

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str | None) -> str | None:
        if value is not None and value not in SIGNAL_SOURCES:
            raise ValueError(f"{value!r} は signals.yaml のキーではありません（{SIGNAL_SOURCES}）")
        return value


class ContractWords(_Strict):
    fee: Terms
    renewal: Terms
    notice: Terms
    start: Terms
    soonest: Terms
    expiry: Terms = []
    # Across engagements, a contract field ranked by how the question orders it:
    # 「日付が最も早い」 (earliest, past or not), 「最も遅い」「最近開始した」 (latest),
    # 「一番安い」 / 「一番高い」 (fee).
    earliest: Terms
    latest: Terms
    cheapest: Terms
    dearest: Terms
    # 「契約期間がいちばん短いのは？」: the contract's term (start → renewal date), ranked.
    term: Terms = []
    shortest: Terms = []
    longest: Terms = []


class AssessmentWords(_Strict):
    """Questions about the renewal itself, answered from the stored analysis: whether to
    renew, the risks, what to check or ask at the review, the conditions."""

    decision: Terms
    risks: Terms
    checks: Terms
    conditions: Terms
    # 「条件」 alone is also a document question (「どのような条件を求めましたか」): a
    # conditions question is about the renewal only when one of these is in it as well.
    renewal: Terms
    # Whether to renew asked with the verb itself in question form (「結局更新するん？」
    # 「更新しますか」): regexes over the folded question, beside the phrases of `decision`.
    decision_patterns: list[str] = []

    @cached_property
    def decision_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(pattern) for pattern in self.decision_patterns)


class PeopleWords(_Strict):
    """「誰」 questions about a side's contact: the role words, and the words that ask for
    whoever took over (the later name of a change)."""

    roles: Terms
    successor: Terms
    first: Terms
    previous: Terms
    # 「…のフルネームは？」「下の名前は？」: the given name, written only in signatures.
    full_name: Terms = []


class PortfolioWords(_Strict):
    """Cross-engagement rankings beyond one KPI: overall results and cost performance."""

    results: Terms
    cost: Terms
    # Of the cost words, those naming performance (good = cheap) rather than a unit cost.
    performance: Terms
    # 「「更新しない」方向になりそうなのは？」: the engagements whose stored analysis reached a
    # decision (DecisionKind → the words that name it; the first named wins, in file order).
    decisions: dict[str, Terms] = {}


class Thresholds(_Strict):
    """When the best sentence answers: the share of the question's weighted words it covers
    (less when it is about the event asked); calibrated on the tune questions."""

    found_coverage: float = Field(ge=0, le=1)
    found_with_event: float = Field(ge=0, le=1)
    # A question with a word no document uses: the rest of it must be covered this well.
    without_missing: float = Field(ge=0, le=1)
    # …or this well, when the missing words weigh at most `missing_share` of the question.
    without_minor_missing: float = Field(default=1.0, ge=0, le=1)
    missing_share: float = Field(default=0.0, ge=0, le=1)
    # Sentence-level dense similarity (app/chat/dense.py): weight of the unit's similarity
    # relative to the engagement's (0 at the median, 1 at the best) in the fused score, and
    # the cosine at which a unit answers with less word coverage (`dense_min_coverage`).
    dense_weight: float = Field(default=0.0, ge=0, le=2)
    dense_found: float = Field(default=1.0, ge=0, le=1)
    dense_min_coverage: float = Field(default=0.0, ge=0, le=1)
    # Where the rescaling starts: the share of the engagement's units that get no credit.
    dense_from_quantile: float = Field(default=0.5, ge=0, lt=1)


class Suggestions(_Strict):
    always: list[Term] = []
    personnel_change: list[Term] = []
    expectation_gap: list[Term] = []
    stagnation: list[Term] = []
    internal_factors: list[Term] = []
    proactivity: list[Term] = []
    communication: list[Term] = []
    dependency: list[Term] = []
    meeting: list[Term] = []
    portfolio: list[Term] = []


class ChatKnowledge(_Strict):
    """The whole file; compiled views are cached properties, the fields stay plain data."""

    version: int
    classes: Classes
    reason: ReasonSpec
    quantities: Annotated[list[QuantitySpec], Field(min_length=1)]
    kpi: KpiWords
    frame_words: Terms
    stopwords: Terms
    dates: DateWords
    document_kinds: DocumentKinds
    sent_verbs: Terms
    follow_up: Terms
    parties: Parties
    boilerplate: Terms
    header_fields: Terms
    contrast: Terms
    premise: Terms = []
    purpose: Terms = []
    preamble: Terms = []
    aside: Terms = []
    events: Annotated[dict[Term, EventSpec], Field(min_length=1)]
    contract: ContractWords
    assessment: AssessmentWords
    people: PeopleWords
    portfolio: PortfolioWords
    thresholds: Thresholds
    suggestions: Suggestions

    @cached_property
    def class_terms(self) -> dict[str, tuple[str, ...]]:
        return {name: _folded(getattr(self.classes, name)) for name in ("when", "who", "what")}

    @cached_property
    def who_ending(self) -> re.Pattern[str] | None:
        words = sorted(_folded(self.classes.who_endings), key=len, reverse=True)
        if not words:
            return None
        return re.compile(f"({'|'.join(map(re.escape, words))})(は|って)[\\s?？]*$")

    @cached_property
    def day_terms(self) -> frozenset[str]:
        return frozenset(normalize_for_matching(t) for t in self.classes.when_day)

    @cached_property
    def summary_terms(self) -> tuple[str, ...]:
        return _folded(self.classes.summary)

    @cached_property
    def open_ask_terms(self) -> tuple[str, ...]:
        return _folded(self.classes.open_asks)

    @cached_property
    def quantity_terms(self) -> list[tuple[str, QuantitySpec]]:
        """Every quantity word with its spec, longest first (何日間 before 何日)."""
        pairs = [(normalize_for_matching(w), spec) for spec in self.quantities for w in spec.words]
        return sorted(pairs, key=lambda pair: -len(pair[0]))

    @cached_property
    def frame_set(self) -> frozenset[str]:
        return frozenset(normalize_for_matching(w) for w in self.frame_words)

    @cached_property
    def stopword_set(self) -> frozenset[str]:
        return frozenset(normalize_for_matching(w) for w in self.stopwords)

    @cached_property
    def event_regexes(self) -> dict[str, list[re.Pattern[str]]]:
        return {
            key: [re.compile(pattern) for pattern in spec.patterns]
            for key, spec in self.events.items()
        }

    @field_validator("boilerplate")
    @classmethod
    def _boilerplate_patterns(cls, values: list[str]) -> list[str]:
        return [_pattern(v) for v in values]

    @cached_property
    def boilerplate_regexes(self) -> list[re.Pattern[str]]:
        return [re.compile(pattern) for pattern in self.boilerplate]

    @cached_property
    def header_regex(self) -> re.Pattern[str]:
        fields = "|".join(re.escape(normalize_for_matching(f)) for f in self.header_fields)
        return re.compile(rf"^({fields})\s*[:：]")

    @cached_property
    def reason_regexes(self) -> list[re.Pattern[str]]:
        return [re.compile(pattern) for pattern in self.reason.patterns]

    @cached_property
    def reason_connectives(self) -> list[re.Pattern[str]]:
        """The reason patterns that give a cause (ため, ので …), not only name one."""
        nouns = set(self.reason.cause_nouns)
        return [re.compile(p) for p in self.reason.patterns if p not in nouns]


def load_chat_knowledge(path: Path) -> ChatKnowledge:
    """Read and validate knowledge/chat.yaml; errors name the file and the field."""
    return validate_file(ChatKnowledge, path)


class SynonymSection(_Strict):
    credit: float = Field(gt=0.0, le=1.0)
    groups: list[list[str]] = Field(default_factory=list)


class JudgmentSection(_Strict):
    subjects: list[str] = Field(min_length=1)
    modality: list[str] = Field(min_length=1)
    factual: list[str] = Field(default_factory=list)


class WordingFile(_Strict):
    version: int
    synonyms: SynonymSection
    judgment: JudgmentSection
    # The asker's loanword or spoken spelling → the word the documents would write.
    plain_words: dict[str, str] = Field(default_factory=dict)
    # A counter typed in kana after a digit (「6がつ」) → its kanji, for kana-typed questions.
    kana_counters: dict[str, str] = Field(default_factory=dict)


def load_wording_file(path: Path) -> WordingFile | None:
    """chat_wording.yaml validated, or None when the knowledge folder has none."""
    return validate_file(WordingFile, path) if path.is_file() else None
