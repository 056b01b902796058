"""Knowledge terms compiled into one longest-match tokenizer, plus number and period parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kanjize import kanji2number

from app.analyse.kpi.terms import alternation, normalized, trie_pattern
from app.core.cache import BoundedCache
from app.core.normalize import normalize_for_matching
from app.knowledge.kpi import CUE_KINDS, Kind, KpiKnowledge, UnitKind, UnitSpec

if TYPE_CHECKING:
    from app.analyse.kpi.labels import Label
    from app.analyse.kpi.periods import Period

# Words that make a figure something other than this period's actual.
NOT_ACTUAL = frozenset(
    {
        Kind.TARGET,
        Kind.PLAN,
        Kind.PREVIOUS,
        Kind.PREVIOUS_YEAR,
        Kind.SUBCOUNT,
        Kind.PERIOD_SCOPE,
        Kind.BREAKDOWN,
    }
)
# In a label or a note on it, ratios disqualify too (「アポ数（前月比）」「達成率」).
NOT_ACTUAL_LABEL = NOT_ACTUAL | {Kind.OTHER_METRIC}
# Words that may stand right before a figure and say which figure it is (「目標30件」「実績27件」).
QUALIFIERS = NOT_ACTUAL_LABEL | {Kind.ACTUAL, Kind.CURRENT, Kind.MONTH}

# "2025年10月", "10月度", "10月分"; not "3か月" (a duration) nor "10月5日" (a date).
_MONTH = re.compile(
    r"(?<![\d.])(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?:度|分)?(?!\s*\d{1,2}日)"
)
# 「2026/04」「2026.4」 as a column or row title (not a date 「2026/04/15」).
_NUMERIC_MONTH = re.compile(r"(?<![\d/.])(?P<year>20\d{2})[/.](?P<month>\d{1,2})(?![\d/.])")
# English column headers: 「Jan」「February」「Feb-26」「Mar 2026」 (the text is lower-cased).
_MONTH_NAMES = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_ENGLISH_MONTHS = tuple(_MONTH_NAMES.split("|"))
_ENGLISH_MONTH = re.compile(
    rf"(?<![a-z])(?P<name>(?:{_MONTH_NAMES})[a-z]*)\.?"
    r"(?:[- ']?(?P<year>20\d{2}|\d{2})(?!\d))?(?![a-z])"
)
_CACHED_TOKEN_CHARS = 200
_TOKEN_CACHE_SIZE = 20_000
_TITLE_CACHE_SIZE = 20_000
# "1,080", "52.0", "1320"; the look-behinds stop a match from starting inside a longer number
# (but leader dots may touch it: 「架電数……2,234件」).
_NUMBER = r"(?<![\d,])(?<!\d\.)(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
# Kanji numerals (三件, 十二件, 千二百件), read with kanjize; only with a unit after them, and
# not the tail of 「数十件」「何百件」 (an estimate, not a figure).
_KANJI_DIGITS = "〇一二三四五六七八九十百千万億"
_KANJI_NUMBER = rf"(?<![{_KANJI_DIGITS}数何幾])(?P<kanji>[{_KANJI_DIGITS}]+)"
# The 億 part of a compound amount: 「2億6,100万円」 is 261,000,000 yen. Number grammar, not
# vocabulary, so it stays in code; the units themselves are in kpi.yaml.
_OKU = r"(?<![\d.,])(?P<oku>\d{1,4})億\s*"
_OKU_VALUE = 100_000_000
# Leader dots between a name and its figure (「受注 ........ 5件」), after NFKC.
_LEADER_DOTS = r"(?:\.{2,}|・{2,}|:{2,})"
# Pointers that stand for a colon between a name and its figure (「架電 ▶ 1,888」).
LABEL_POINTERS = "▶►▸"
# Before the noun stem of a cleft (「商談として成立したのは」「受注に結びついたのは」): case
# particles, and a stem of kanji or katakana only, so 「のうち商談化したのは」 is not one.
_CLEFT_PARTICLES = "(?:として|に|を|が)?"
_CLEFT_STEM = r"[\u4e00-\u9fff\u30a0-\u30ff]{1,6}"
# Punctuation is the language's structure, not tunable vocabulary, so it stays in code.
_BARE_NUMBER_FOLLOWERS = " \t)(、。,|→"  # not "/": 「10/15」 is a date


def _slash_then_label(text: str, at: int, end: int) -> bool:
    """「架電 1,610/接続 230/アポ 23」: a slash between a figure and the next label separates
    them; before a digit (「10/15」 a date, 「23/30」 a ratio) it does not."""
    return (
        text[at] == "/" and at + 1 < end and not text[at + 1].isdigit() and text[at + 1] not in "/ "
    )


@dataclass(frozen=True)
class Token:
    kind: Kind
    start: int
    end: int
    key: str = ""  # canonical KPI key, for Kind.KPI
    year: int | None = None  # for Kind.MONTH
    month: int = 0


@dataclass(frozen=True)
class Value:
    start: int
    end: int
    number: float
    unit: UnitKind | None  # None: a bare number
    approximate: bool = False  # 「約85万円」「およそ1,200件」


class Lexicon:
    """The knowledge file compiled into regexes; built once per `KpiKnowledge`."""

    def __init__(self, knowledge: KpiKnowledge) -> None:
        self.knowledge = knowledge
        grammar = knowledge.grammar
        self.units: dict[str, UnitKind] = {key: spec.unit for key, spec in knowledge.kpis.items()}
        self._meaning = self._term_meanings(knowledge)
        self._terms = re.compile(trie_pattern(normalized(self._meaning)))
        self._unit_kinds = self._unit_table(knowledge.units)
        self._approximate = frozenset(normalized(grammar.approximate))
        self.unit_words = tuple(normalized(self._unit_kinds))
        units = alternation(self._unit_kinds)
        self.value_pattern = re.compile(
            rf"(?:(?P<approx>{alternation([*grammar.approximators, *grammar.approximate])})\s*)?"
            rf"(?P<prefix>(?:{alternation(knowledge.units.jpy_prefixes)})\s*)?"
            rf"(?:(?:{_OKU})?{_NUMBER}|{_KANJI_NUMBER}(?=\s*(?:{units})))"
            rf"\s*(?P<unit>{units})?"
        )
        # Between a name and its figure: spaces, a colon, a bracketed note, a particle, a link.
        # A cleft 「商談として成立したのは6件」: a verb link after a short noun stem.
        links = [
            *grammar.verb_links,
            *(v[:-1] + "が" for v in grammar.verb_links if v.endswith("のは")),
        ]
        verb_links = rf"(?:{_CLEFT_PARTICLES}{_CLEFT_STEM})?(?:{alternation(links)})"
        self.gap_pattern = re.compile(
            rf"(?:\s+|[:=】」』\]{LABEL_POINTERS}]|\([^()]*\)|{_LEADER_DOTS}|{verb_links}"
            rf"|(?:{alternation(grammar.particles)})、?)*"
        )
        # 「計画18件に対し、実績16件」: a link may be followed by a comma.
        self.link_pattern = re.compile(
            rf"\s*(?P<link>{alternation([*grammar.item_links, *grammar.arrows])})\s*(?:[、,]\s*)?"
        )
        self.arrows = frozenset(normalized(grammar.arrows))
        self.not_a_level = tuple(normalized([*grammar.change_words, *grammar.non_figure_suffixes]))
        self.after_value = tuple(normalized(knowledge.cues.after_value))
        self.clause_links = tuple(normalized(grammar.clause_links))
        self.enumeration_joiners = tuple(normalized(grammar.enumeration_joiners))
        self.lead_line_words = tuple(normalized(grammar.lead_line_words))
        self.part_markers = tuple(normalized(grammar.part_markers))
        self.subset_modifiers = tuple(normalized(grammar.subset_modifiers))
        self.heading_markers = tuple(normalized(grammar.heading_markers))
        self.bullet_markers = tuple(normalized(grammar.bullet_markers))
        self.heading_neutral = frozenset(normalized(grammar.heading_neutral))
        self.stage_words, self.measure_words = self._stages(knowledge)
        self._stage_of_key = self._stages_by_key(knowledge)
        jpy_units = alternation(u for u, (kind, _) in self._unit_kinds.items() if kind == "jpy")
        self._unit_note = re.compile(
            rf"(?:{alternation(grammar.unit_notes) or '(?!)'})\s*[:=]?\s*(?P<unit>{jpy_units})"
            rf"|\((?P<bracketed>{jpy_units})\)|\[(?P<squared>{jpy_units})\]"
        )
        self.unit_note_words = tuple(normalized(grammar.unit_notes))
        measures = alternation(self.measure_words) or "(?!)"
        self.restatement_pattern = re.compile(
            rf"(?:{alternation(grammar.restatements) or '(?!)'})"
            rf"|(?P<measure>{measures})(?:{alternation(grammar.measure_links) or '(?!)'}"
            r"|(?P<spaced>\s+))"
            rf"|(?P<total>{alternation(grammar.total_rows) or '(?!)'})"
        )
        self.corrected_after_pattern = re.compile(alternation(grammar.corrected_after) or "(?!)")
        self._token_cache: dict[str, list[Token]] = {}
        # Table titles repeat across tables and documents (「架電数」「実績」「10月」): each is
        # read once per lexicon; a 1-tuple tells a cached None from a miss.
        self.label_cache: BoundedCache[str, tuple[Label | None]] = BoundedCache(_TITLE_CACHE_SIZE)
        self.title_cache: BoundedCache[tuple[str, Period | None], tuple[int | None]] = BoundedCache(
            _TITLE_CACHE_SIZE
        )
        self.total_words = frozenset(normalized(grammar.total_rows))
        self.total_suffixes = tuple(normalized(grammar.total_suffixes))
        self.subtotal_words = tuple(normalized(grammar.subtotal_words))

    @staticmethod
    def _term_meanings(knowledge: KpiKnowledge) -> dict[str, tuple[Kind, str]]:
        meaning: dict[str, tuple[Kind, str]] = {}
        for term, composed_key in knowledge.composed_labels().items():
            found = (Kind.KPI, composed_key) if composed_key else (Kind.OTHER_METRIC, "")
            meaning[normalize_for_matching(term)] = found
        for key, spec in knowledge.kpis.items():
            for synonym in spec.synonyms:
                meaning[normalize_for_matching(synonym)] = (Kind.KPI, key)
        for kind in CUE_KINDS:
            for term in knowledge.cue_terms(kind):
                meaning[normalize_for_matching(term)] = (kind, "")
        return meaning

    @staticmethod
    def _unit_table(units: UnitSpec) -> dict[str, tuple[UnitKind, float]]:
        table: dict[str, tuple[UnitKind, float]] = {}
        table.update({normalize_for_matching(unit): ("count", 1.0) for unit in units.count})
        for multiplier_word, multiplier in units.count_multipliers.items():
            table.update(
                {
                    normalize_for_matching(multiplier_word + u): ("count", multiplier)
                    for u in units.count
                }
            )
        table.update({normalize_for_matching(unit): ("percent", 1.0) for unit in units.percent})
        table.update({normalize_for_matching(u): ("jpy", m) for u, m in units.jpy.items()})
        return table

    def tokens(self, text: str, start: int = 0, end: int | None = None) -> list[Token]:
        """Knowledge terms and month names in text[start:end], in order."""
        if start == 0 and end is None and len(text) <= _CACHED_TOKEN_CHARS:
            # Cells and labels repeat (every row's 「架電数」, every header): read each once.
            cached = self._token_cache.get(text)
            if cached is None:
                if len(self._token_cache) >= _TOKEN_CACHE_SIZE:
                    self._token_cache.clear()
                cached = self._token_cache[text] = self._tokens(text, 0, len(text))
            return list(cached)
        return self._tokens(text, start, len(text) if end is None else end)

    def _tokens(self, text: str, start: int, stop: int) -> list[Token]:
        found: list[Token] = []
        for match in self._terms.finditer(text, start, stop):
            kind, key = self._meaning[match.group()]
            found.append(Token(kind, match.start(), match.end(), key))
        for match in _ENGLISH_MONTH.finditer(text, start, stop):
            month = _ENGLISH_MONTHS.index(match.group("name")[:3]) + 1
            year_text = match.group("year")
            year = None if year_text is None else int(year_text) % 100 + 2000
            found.append(Token(Kind.MONTH, match.start(), match.end(), year=year, month=month))
        for match in _NUMERIC_MONTH.finditer(text, start, stop):
            month = int(match.group("month"))
            if 1 <= month <= 12:
                year = int(match.group("year"))
                found.append(Token(Kind.MONTH, match.start(), match.end(), year=year, month=month))
        for match in _MONTH.finditer(text, start, stop):
            month = int(match.group("month"))
            if 1 <= month <= 12:
                year = int(match.group("year")) if match.group("year") else None
                found.append(Token(Kind.MONTH, match.start(), match.end(), year=year, month=month))
        return sorted(found, key=lambda token: token.start)

    def value_at(self, text: str, position: int, end: int) -> Value | None:
        """The figure (number and unit, if any) starting exactly at `position`."""
        if 0 < position <= len(text) and text[position - 1] == "億":
            return None  # the 万円 part of 「2億6,100万円」 is not a figure of its own
        match = self.value_pattern.match(text, position, end)
        if match is None:
            return None
        value = self._value(match, text, end)
        if value is not None and match.group("approx") in self._approximate:
            return Value(value.start, value.end, value.number, value.unit, approximate=True)
        return value

    def _value(self, match: re.Match[str], text: str, end: int) -> Value | None:
        if match.group("kanji") is not None:
            try:
                number = float(kanji2number(match.group("kanji")))
            except (ValueError, KeyError, IndexError):
                return None  # not a well-formed numeral (「一二」)
        else:
            number = float(match.group("number").replace(",", ""))
        unit_text = match.group("unit")
        if match.group("oku") is not None:
            # 「2億6,100万円」「1億2000万」: only a yen amount below 1億 can follow the 億 part.
            if unit_text is None:
                return None
            kind, multiplier = self._unit_kinds[unit_text]
            if kind != "jpy" or multiplier >= _OKU_VALUE:
                return None
            total = int(match.group("oku")) * _OKU_VALUE + number * multiplier
            return Value(match.start(), match.end(), total, kind)
        if unit_text is not None:
            kind, multiplier = self._unit_kinds[unit_text]
            return Value(match.start(), match.end(), number * multiplier, kind)
        if match.group("prefix"):
            return Value(match.start(), match.end("number"), number, "jpy")
        if match.group("kanji") is not None:
            return None  # a kanji numeral is a figure only with its unit
        after = match.end("number")
        if (
            after < end
            and text[after] not in _BARE_NUMBER_FOLLOWERS
            and not _slash_then_label(text, after, end)
        ):
            return None  # 「10月」「3倍」: a number, but not a figure
        return Value(match.start(), after, number, None)

    def fits(self, key: str, value: Value, *, bare_allowed: bool) -> bool:
        """Counts take count units, rates a percent sign, revenue yen; bare numbers if allowed."""
        if value.unit is None:
            return bare_allowed
        return value.unit == self.units[key]

    def money_multiplier(self, label: str) -> float:
        """「受注金額（万円）」「（単位：千円）」「金額[千円]」: the yen unit a label or a note
        gives the bare numbers it covers; 1 when it names none."""
        match = self._unit_note.search(label)
        if match is None:
            return 1.0
        unit = match.group("unit") or match.group("bracketed") or match.group("squared")
        return self._unit_kinds[unit][1]

    def unit_multiplier(self, unit: str) -> float | None:
        """A cell of a 単位 column (「万円」「件」「%」): its yen multiplier, None if not yen."""
        found = self._unit_kinds.get(normalize_for_matching(unit).strip())
        return found[1] if found is not None and found[0] == "jpy" else None

    def sibling(self, key: str, measure: str) -> str | None:
        """Another measure of the key's stage: deals' amount is revenue; None if it has none."""
        found = self._stage_of_key.get(key, {}).get(measure)
        return found if found != key else None

    @staticmethod
    def _stages_by_key(knowledge: KpiKnowledge) -> dict[str, dict[str, str]]:
        """Each KPI's stage as measure → KPI (the first stage that measures it)."""
        found: dict[str, dict[str, str]] = {}
        for stage in knowledge.labels.stages.values() if knowledge.labels else []:
            measures = {str(m): key for m, key in stage.measures.items()}
            for key in measures.values():
                found.setdefault(key, measures)
        return found

    @staticmethod
    def _stages(knowledge: KpiKnowledge) -> tuple[dict[str, dict[str, str | None]], dict[str, str]]:
        """Each stage word's measures (「成約」: count → deals, amount → revenue), and each
        measure suffix's kind (「金額」 → amount)."""
        if knowledge.labels is None:
            return {}, {}
        measures = knowledge.labels.measures
        stage_words: dict[str, dict[str, str | None]] = {}
        for stage in knowledge.labels.stages.values():
            keys = {str(measure): stage.measures.get(measure) for measure in measures}
            for word in stage.words:
                stage_words[normalize_for_matching(word)] = dict(keys)
        measure_words = {
            normalize_for_matching(suffix): str(measure)
            for measure, suffixes in measures.items()
            for suffix in suffixes
        }
        return stage_words, measure_words


def compiled(knowledge: KpiKnowledge) -> Lexicon:
    """The lexicon of one loaded kpi.yaml, compiled on first use and kept with it."""
    lexicon = knowledge._compiled
    if not isinstance(lexicon, Lexicon):
        lexicon = Lexicon(knowledge)
        knowledge._compiled = lexicon
    return lexicon
