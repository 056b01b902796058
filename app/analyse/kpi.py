"""KPI extraction: the actual figures a document states for its own reporting period.

Pure domain code: text and knowledge in, `KpiMention`s out. The vocabulary (KPI names, units,
cue words) lives in knowledge/kpi.yaml so users can tune it without touching this file; the code
only knows the shapes Japanese reports take: Markdown tables, bullets and prose clauses.

Matching runs on NFKC-normalised text (full-width digits and punctuation become ASCII) and every
span is mapped back, so a mention always quotes the original characters.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from app.errors import InvalidInput
from app.ingest.normalize import NormalizedText, normalize, normalize_for_matching

# =============================================================================================
# Knowledge file
# =============================================================================================

Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Terms = Annotated[list[Term], Field(min_length=1)]
UnitKind = Literal["count", "percent", "jpy"]
KpiKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KpiSpec(_Strict):
    label: Term
    unit: UnitKind
    synonyms: Terms


class UnitSpec(_Strict):
    count: Terms
    percent: Terms
    jpy: Annotated[dict[Term, Annotated[float, Field(gt=0)]], Field(min_length=1)]
    jpy_prefixes: Terms


class CueSpec(_Strict):
    target: Terms
    plan: Terms
    previous: Terms
    previous_year: Terms
    subcount: Terms
    period_scope: Terms
    breakdown: Terms
    other_metrics: Terms
    comparisons: Terms
    actual: Terms
    current: Terms
    section_only: Terms
    after_value: Terms


class GrammarSpec(_Strict):
    particles: Terms
    verb_links: Terms
    item_links: Terms
    arrows: Terms
    change_words: Terms
    non_figure_suffixes: Terms
    approximators: Terms
    enumeration_joiners: Terms
    clause_links: Terms
    part_markers: Terms
    subset_modifiers: Terms
    lead_line_words: Terms
    heading_markers: Terms
    bullet_markers: Terms
    numbered_heading_max_chars: int = Field(gt=0)


class KpiKnowledge(_Strict):
    """knowledge/kpi.yaml: KPI names and units, plus the cue words the extraction rules use."""

    version: int
    kpis: Annotated[dict[KpiKey, KpiSpec], Field(min_length=1)]
    units: UnitSpec
    cues: CueSpec
    grammar: GrammarSpec

    @model_validator(mode="after")
    def _terms_are_unambiguous(self) -> KpiKnowledge:
        """A word in two lexicon lists would make its meaning depend on list order."""
        seen: dict[str, str] = {}
        for field, term in self._lexicon_terms():
            key = normalize_for_matching(term)
            if seen.get(key, field) != field:
                raise ValueError(
                    f"{field} の語 {term!r} は {seen[key]} にもあります（語はひとつの一覧にだけ置けます）"
                )
            seen[key] = field
        return self

    def _lexicon_terms(self) -> Iterator[tuple[str, str]]:
        for key, spec in self.kpis.items():
            for synonym in spec.synonyms:
                yield f"kpis.{key}.synonyms", synonym
        for kind in CUE_KINDS:
            for term in self.cue_terms(kind):
                yield f"cues.{kind.value}", term

    def cue_terms(self, kind: Kind) -> list[str]:
        terms: list[str] = getattr(self.cues, kind.value)
        return terms

    @cached_property
    def lexicon(self) -> Lexicon:
        """Compiled once per loaded file; the file itself stays plain data."""
        return Lexicon(self)


class KpiKnowledgeError(InvalidInput):
    """knowledge/kpi.yaml is missing or broken; the message names the file and the field."""

    code = "knowledge_error"


def load_kpi_knowledge(path: Path) -> KpiKnowledge:
    """Read and validate the KPI knowledge file, failing with a message a user can act on."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise KpiKnowledgeError(f"KPI知識ファイルがありません: {path}") from error
    except yaml.YAMLError as error:
        raise KpiKnowledgeError(
            f"{path}: YAML として読めません（{_yaml_problem(error)}）"
        ) from error
    if not isinstance(data, dict):
        raise KpiKnowledgeError(f"{path}: 先頭はマッピング（key: value）である必要があります")
    try:
        return KpiKnowledge.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if not field:  # a check across fields: its message names them
            raise KpiKnowledgeError(f"{path}: {message}") from error
        raise KpiKnowledgeError(f"{path}: 項目 {field} が不正です（{message}）") from error


def _yaml_problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        return f"{error.problem_mark.line + 1}行目: {error.problem}"
    return str(error)


# =============================================================================================
# Result
# =============================================================================================


@dataclass(frozen=True)
class KpiMention:
    """One actual KPI figure and its evidence: `quote == text[start:end]` of the original."""

    key: str
    value: float
    start: int
    end: int
    quote: str


# =============================================================================================
# Lexicon: knowledge terms compiled into one longest-match tokenizer, plus number parsing
# =============================================================================================


class Kind(Enum):
    KPI = "kpi"
    TARGET = "target"
    PLAN = "plan"
    PREVIOUS = "previous"
    PREVIOUS_YEAR = "previous_year"
    SUBCOUNT = "subcount"
    PERIOD_SCOPE = "period_scope"
    BREAKDOWN = "breakdown"
    OTHER_METRIC = "other_metrics"
    # Neutral: 「目標を上回る」 names a target but states no figure of it.
    COMPARISON = "comparisons"
    ACTUAL = "actual"
    CURRENT = "current"
    SECTION = "section_only"
    MONTH = "month"


CUE_KINDS = [kind for kind in Kind if kind not in (Kind.KPI, Kind.MONTH)]
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
# "1,080", "52.0", "1320"; the look-behind stops a match from starting inside a longer number.
_NUMBER = r"(?<![\d.,])(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
# The 億 part of a compound amount: 「2億6,100万円」 is 261,000,000 yen. Number grammar, not
# vocabulary, so it stays in code; the units themselves are in kpi.yaml.
_OKU = r"(?<![\d.,])(?P<oku>\d{1,4})億\s*"
_OKU_VALUE = 100_000_000
# Punctuation is the language's structure, not tunable vocabulary, so it stays in code.
_SENTENCE_END = "。!?"
_CLAUSE_SEPARATORS = "、,;"
_BARE_NUMBER_FOLLOWERS = " \t)(、。,|→"  # not "/": 「10/15」 is a date


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


def _normalized(terms: Iterable[str]) -> list[str]:
    """Longest first, so that the first alternative matching at a position is the longest."""
    return sorted({normalize_for_matching(term) for term in terms}, key=len, reverse=True)


def _alternation(terms: Iterable[str]) -> str:
    return "|".join(re.escape(term) for term in _normalized(terms))


class Lexicon:
    """The knowledge file compiled into regexes; built once per `KpiKnowledge`."""

    def __init__(self, knowledge: KpiKnowledge) -> None:
        self.knowledge = knowledge
        grammar = knowledge.grammar
        self.units: dict[str, UnitKind] = {key: spec.unit for key, spec in knowledge.kpis.items()}
        self._meaning = self._term_meanings(knowledge)
        self._terms = re.compile(_alternation(self._meaning))
        self._unit_kinds = self._unit_table(knowledge.units)
        self.value_pattern = re.compile(
            rf"(?:(?:{_alternation(grammar.approximators)})\s*)?"
            rf"(?P<prefix>(?:{_alternation(knowledge.units.jpy_prefixes)})\s*)?"
            rf"(?:{_OKU})?{_NUMBER}\s*(?P<unit>{_alternation(self._unit_kinds)})?"
        )
        # Between a name and its figure: spaces, a colon, a bracketed note, a particle, a link.
        self.gap_pattern = re.compile(
            rf"(?:\s+|[:=】」』\]]|\([^()]*\)|(?:{_alternation(grammar.verb_links)})"
            rf"|(?:{_alternation(grammar.particles)})、?)*"
        )
        self.link_pattern = re.compile(
            rf"\s*(?P<link>{_alternation([*grammar.item_links, *grammar.arrows])})\s*"
        )
        self.arrows = frozenset(_normalized(grammar.arrows))
        self.not_a_level = tuple(_normalized([*grammar.change_words, *grammar.non_figure_suffixes]))
        self.after_value = tuple(_normalized(knowledge.cues.after_value))
        self.clause_links = tuple(_normalized(grammar.clause_links))
        self.enumeration_joiners = tuple(_normalized(grammar.enumeration_joiners))
        self.lead_line_words = tuple(_normalized(grammar.lead_line_words))
        self.part_markers = tuple(_normalized(grammar.part_markers))
        self.subset_modifiers = tuple(_normalized(grammar.subset_modifiers))
        self.heading_markers = tuple(_normalized(grammar.heading_markers))
        self.bullet_markers = tuple(_normalized(grammar.bullet_markers))

    @staticmethod
    def _term_meanings(knowledge: KpiKnowledge) -> dict[str, tuple[Kind, str]]:
        meaning: dict[str, tuple[Kind, str]] = {}
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
        table.update({normalize_for_matching(unit): ("percent", 1.0) for unit in units.percent})
        table.update({normalize_for_matching(u): ("jpy", m) for u, m in units.jpy.items()})
        return table

    def tokens(self, text: str, start: int = 0, end: int | None = None) -> list[Token]:
        """Knowledge terms and month names in text[start:end], in order."""
        stop = len(text) if end is None else end
        found: list[Token] = []
        for match in self._terms.finditer(text, start, stop):
            kind, key = self._meaning[match.group()]
            found.append(Token(kind, match.start(), match.end(), key))
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
        after = match.end("number")
        if after < end and text[after] not in _BARE_NUMBER_FOLLOWERS:
            return None  # 「10月」「3倍」: a number, but not a figure
        return Value(match.start(), after, number, None)

    def fits(self, key: str, value: Value, *, bare_allowed: bool) -> bool:
        """Counts take count units, rates a percent sign, revenue yen; bare numbers if allowed."""
        if value.unit is None:
            return bare_allowed
        return value.unit == self.units[key]

    def money_multiplier(self, label: str) -> float:
        """「受注金額（万円）」: a unit note in a table label scales the bare numbers below it."""
        for unit, (kind, multiplier) in self._unit_kinds.items():
            if kind == "jpy" and f"({unit})" in label:
                return multiplier
        return 1.0


@dataclass(frozen=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, period: str | None) -> Period | None:
        if period is None or not period.strip():
            return None
        match = re.fullmatch(r"(\d{4})-(\d{2})", period.strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise InvalidInput(f"期間は YYYY-MM 形式で指定してください: {period!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def conflicts(self, token: Token) -> bool:
        """A month name pointing at another period than this one."""
        if token.month != self.month:
            return True
        return token.year is not None and token.year != self.year

    @staticmethod
    def unknown_or_other(period: Period | None, month: Token) -> bool:
        """Without a period a month name cannot be attributed, so it counts as another month."""
        return period is None or period.conflicts(month)

    def names_previous_month_as_own(self, cue: Token, tokens: Sequence[Token]) -> bool:
        """「先月（10月）」 in the October minutes written in November: 先月 is this period."""
        if cue.kind is not Kind.PREVIOUS:
            return False
        right_after = (t for t in tokens if t.kind is Kind.MONTH and 0 <= t.start - cue.end <= 2)
        return any(not self.conflicts(month) for month in right_after)


# =============================================================================================
# Layout: lines, headings and the sections they open
# =============================================================================================

LineKind = Literal["blank", "table", "heading", "subheading", "lead", "bullet", "prose"]
_NUMBERED = re.compile(r"^(?:\d{1,2}[.)](?!\d)|\(\d{1,2}\)|[①-⑳])\s*")


@dataclass(frozen=True)
class Line:
    start: int  # normalised offsets of the line without its indentation
    end: int
    kind: LineKind
    content_start: int  # after a bullet marker or number
    indent: int = 0
    blocked: bool = False  # in a section about targets, plans, breakdowns or another month


@dataclass(frozen=True)
class _Lead:
    indent: int  # the lines it covers are indented deeper; -1 covers the whole list below
    blocked: bool


class Layout:
    """The normalised text as lines, each knowing its kind and whether its section holds actuals."""

    def __init__(self, text: str, lexicon: Lexicon, period: Period | None) -> None:
        self.text = text
        self.lexicon = lexicon
        self.period = period
        lines = [self._classify(start, end) for start, end in _line_spans(text)]
        self.lines = self._with_sections(self._promote_leads(lines))

    def _classify(self, line_start: int, end: int) -> Line:
        start = line_start
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        content = self.text[start:end]
        indent = start - line_start
        if not content:
            return Line(start, end, "blank", start, indent)
        if content.startswith("|"):
            return Line(start, end, "table", start, indent)
        has_figure = self._has_figure(start, end)
        numbered = _NUMBERED.match(content)
        if numbered:
            # 「1. 9月度実績」 heads what follows; 「1. 架電数：1,200件」 is a list item.
            rest = content[numbered.end() :]
            short = len(rest) <= self.lexicon.knowledge.grammar.numbered_heading_max_chars
            heads = short and not has_figure and "。" not in rest
            kind: LineKind = "subheading" if heads else "bullet"
            return Line(start, end, kind, start + numbered.end(), indent)
        if content.startswith(self.lexicon.heading_markers) and not has_figure:
            return Line(start, end, "heading", start, indent)
        marker = next((m for m in self.lexicon.bullet_markers if content.startswith(m)), None)
        if marker is not None:
            rest = content[len(marker) :]
            return Line(start, end, "bullet", end - len(rest.lstrip()), indent)
        return Line(start, end, "prose", start, indent)

    def _has_figure(self, start: int, end: int) -> bool:
        for match in re.finditer(r"\d", self.text[start:end]):
            value = self.lexicon.value_at(self.text, start + match.start(), end)
            if value is not None and value.unit is not None:
                return True
        return False

    def _promote_leads(self, lines: list[Line]) -> list[Line]:
        """Lines that head the list right under them, like a heading would.

        「前月の実績は以下のとおりです：」 above a list or table, and a bullet with no figure
        above deeper bullets (「- 11月の目標」 then 「  - アポ数：30件」).
        """
        promoted = list(lines)
        for index, (line, following) in enumerate(pairwise(lines)):
            content = self.text[line.start : line.end]
            introduces = content.endswith(":") or any(
                word in content for word in self.lexicon.lead_line_words
            )
            if line.kind == "prose" and following.kind in ("bullet", "table") and introduces:
                promoted[index] = Line(line.start, line.end, "lead", line.start, -1)
            nests = following.kind == "bullet" and following.indent > line.indent
            if line.kind == "bullet" and nests and not self._has_figure(line.start, line.end):
                promoted[index] = Line(line.start, line.end, "lead", line.start, line.indent)
        return promoted

    def _with_sections(self, lines: list[Line]) -> list[Line]:
        """Mark each line blocked when a heading or lead above it rules out actuals.

        A marker heading opens a section, a numbered heading a sub-section in it; a lead covers
        only the list or table under it.
        """
        top_blocked = sub_blocked = False
        leads: list[_Lead] = []
        result: list[Line] = []
        for line in lines:
            if line.kind == "heading":
                top_blocked, sub_blocked = self._heading_blocks(line), False
            elif line.kind == "subheading":
                sub_blocked = self._heading_blocks(line)
            if line.kind not in ("bullet", "table", "lead"):
                leads = []
            while leads and line.indent <= leads[-1].indent:
                leads.pop()
            if line.kind == "lead":
                leads.append(_Lead(line.indent, self._heading_blocks(line)))
            blocked = top_blocked or sub_blocked or any(lead.blocked for lead in leads)
            result.append(
                Line(line.start, line.end, line.kind, line.content_start, line.indent, blocked)
            )
        return result

    def _heading_blocks(self, line: Line) -> bool:
        """A heading about targets, plans, breakdowns or another month holds no actuals."""
        tokens = self.lexicon.tokens(self.text, line.start, line.end)
        kinds = {token.kind for token in tokens}
        if _any_cue(tokens, NOT_ACTUAL - {Kind.TARGET, Kind.PLAN}, self.period):
            return True
        says_actual = bool(kinds & {Kind.ACTUAL, Kind.CURRENT})
        if kinds & {Kind.TARGET, Kind.PLAN, Kind.SECTION} and not says_actual:
            return True  # 「■ 10月の計画」 blocks, 「## 目標と実績」 does not
        months = [token for token in tokens if token.kind is Kind.MONTH]
        return bool(months) and all(Period.unknown_or_other(self.period, m) for m in months)


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for index, char in enumerate(text):
        if char == "\n":
            yield start, index
            start = index + 1
    yield start, len(text)


# =============================================================================================
# Extraction and selection
# =============================================================================================


@dataclass(frozen=True)
class Candidate:
    """A figure judged to be an actual. Rank 1: phrased like a subset, used only as a fallback."""

    key: str
    value: float
    position: int
    rank: int
    span: tuple[int, int]  # normalised evidence span


def extract_kpis(text: str, *, period: str | None, knowledge: KpiKnowledge) -> list[KpiMention]:
    """The actual value of each KPI the document states for its own period, at most one each.

    Targets, plans, earlier or other months, weekly and cumulative figures, sub-counts and
    ratios are skipped. With `period` None a figure tied to a named month cannot be attributed
    to the document, so only figures stated without a month are kept.
    """
    normalized = normalize(text)
    layout = Layout(normalized.text, knowledge.lexicon, Period.parse(period))
    candidates = [*_table_candidates(layout), *_inline_candidates(layout)]
    chosen = [c for c in (_best(candidates, key) for key in knowledge.kpis) if c is not None]
    return [_mention(c, text, normalized) for c in sorted(chosen, key=lambda c: c.position)]


def _best(candidates: Sequence[Candidate], key: str) -> Candidate | None:
    """The first plain statement; failing that, a subset-like phrasing if it is the only one."""
    own = sorted((c for c in candidates if c.key == key), key=lambda c: (c.rank, c.position))
    if not own:
        return None
    if own[0].rank == 0 or len({c.value for c in own}) == 1:
        return own[0]
    return None  # only parts (「製造業のアポ12件、IT業のアポ8件」): no figure for the whole


def _mention(candidate: Candidate, text: str, normalized: NormalizedText) -> KpiMention:
    start, end = normalized.to_original(*candidate.span)
    return KpiMention(candidate.key, candidate.value, start, end, text[start:end])


# =============================================================================================
# Markdown tables
# =============================================================================================


@dataclass(frozen=True)
class Label:
    key: str
    money_multiplier: float


def _table_candidates(layout: Layout) -> Iterator[Candidate]:
    block: list[Line] = []
    for line in [*layout.lines, Line(0, 0, "blank", 0)]:
        if line.kind == "table":
            block.append(line)
            continue
        if block and not block[0].blocked:
            yield from _one_table(layout, block)
        block = []


def _one_table(layout: Layout, rows: list[Line]) -> Iterator[Candidate]:
    cells = [_cells(layout.text, row) for row in rows]
    header: list[str] | None = None
    body_rows, body = rows, cells
    if len(cells) >= 2 and all(re.fullmatch(r":?-+:?", cell) for cell in cells[1]):
        header, body_rows, body = cells[0], rows[2:], cells[2:]
    found: list[Candidate] = []
    if any(_label(layout, row[0]) for row in body):
        found = list(_kpis_in_rows(layout, header, body_rows, body))
    elif header is not None:
        found = list(_kpis_in_columns(layout, header, body_rows, body))
    if found:
        yield from found
        return
    # A table of notes (「項目 | 内容」 minutes) states its figures in sentences inside the cells:
    # read each row like a line of prose, its first cell (「2月実績」「3月目標」) as the lead.
    for row in body_rows:
        yield from _line_candidates(layout, Line(row.start, row.end, "prose", row.start))


def _cells(text: str, row: Line) -> list[str]:
    return [cell.strip() for cell in text[row.start : row.end].strip("|").split("|")]


def _kpis_in_rows(
    layout: Layout, header: list[str] | None, rows: list[Line], cells: list[list[str]]
) -> Iterator[Candidate]:
    """指標 | 目標 | 4月実績 | 前月: names down the first column, values in the actual column."""
    width = max(len(row) for row in cells)
    column_titles = header[1:] if header is not None else [""] * (width - 1)
    columns = _best_titles(layout, column_titles)
    # 「項目 | 数値 | 備考」: of several unmarked columns, the one holding figures.
    with_figures = [c for c in columns if _column_has_figures(layout, cells, c + 1)]
    column = columns[0] if len(columns) == 1 else _only(with_figures)
    if column is None:
        return
    for row, row_cells in zip(rows, cells, strict=True):
        label = _label(layout, row_cells[0])
        if label is not None and column + 1 < len(row_cells):
            yield from _cell_candidate(layout, label, row_cells[column + 1], row)


def _kpis_in_columns(
    layout: Layout, header: list[str], rows: list[Line], cells: list[list[str]]
) -> Iterator[Candidate]:
    """月 | 架電数 | アポ数: names across the header, values in the row for this period."""
    labels = [_label(layout, cell) for cell in header]
    if labels[0] is not None:  # no row titles at all: only a single row is unambiguous
        chosen = 0 if len(rows) == 1 else None
    else:
        chosen = _only(_best_titles(layout, [row[0] for row in cells]))
    if chosen is None:
        return
    for index, label in enumerate(labels):
        if label is not None and index < len(cells[chosen]):
            yield from _cell_candidate(layout, label, cells[chosen][index], rows[chosen])


def _best_titles(layout: Layout, titles: Sequence[str]) -> list[int]:
    """Indexes of the column or row titles that best name this period's actuals.

    Several indexes mean a tie: two 実績 columns, or unmarked ones (「A社 | B社」「第1週」…).
    """
    scores = [_title_score(layout, title) for title in titles]
    usable = [score for score in scores if score is not None]
    if not usable:
        return []
    return [index for index, score in enumerate(scores) if score == max(usable)]


def _only(indexes: Sequence[int]) -> int | None:
    return indexes[0] if len(indexes) == 1 else None


def _column_has_figures(layout: Layout, cells: list[list[str]], column: int) -> bool:
    for row in cells:
        label = _label(layout, row[0])
        if label is None or column >= len(row):
            continue
        if _cell_value(layout, label, row[column]) is not None:
            return True
    return False


def _title_score(layout: Layout, title: str) -> int | None:
    """2: names this month; 1: says 実績/今月; 0: says nothing; None: target, plan, other period."""
    tokens = layout.lexicon.tokens(normalize_for_matching(title))
    kinds = {token.kind for token in tokens}
    if _any_cue(tokens, NOT_ACTUAL_LABEL, layout.period):
        return None
    months = [token for token in tokens if token.kind is Kind.MONTH]
    if months:
        return None if all(Period.unknown_or_other(layout.period, m) for m in months) else 2
    return 1 if kinds & {Kind.ACTUAL, Kind.CURRENT} else 0


def _label(layout: Layout, cell: str) -> Label | None:
    """The KPI a row or column title names, when it is the head noun and nothing qualifies it."""
    text = normalize_for_matching(cell)
    if any(token.kind in NOT_ACTUAL_LABEL for token in layout.lexicon.tokens(text)):
        return None  # 「アポ数（前月）」「累計アポ数」「達成率」
    outside = _without_brackets(text)
    names = [token for token in layout.lexicon.tokens(outside) if token.kind is Kind.KPI]
    if len(names) != 1 or outside[names[0].end :].strip():
        return None  # 「架電済み」: the KPI name is not the head noun
    return Label(names[0].key, layout.lexicon.money_multiplier(text))


def _without_brackets(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", "", text)
    return text


def _cell_candidate(layout: Layout, label: Label, cell: str, row: Line) -> Iterator[Candidate]:
    value = _cell_value(layout, label, cell)
    if value is not None:
        yield Candidate(label.key, value, row.start, 0, (row.start, row.end))


def _cell_value(layout: Layout, label: Label, cell: str) -> float | None:
    """The figure in a cell holding just a figure (and perhaps a bracketed note)."""
    text = normalize_for_matching(cell).strip()
    value = layout.lexicon.value_at(text, 0, len(text))
    if value is None or not layout.lexicon.fits(label.key, value, bare_allowed=True):
        return None  # 「―」, or a unit that does not fit
    if any(char.isalnum() for char in _without_brackets(text[value.end :])):
        return None  # words or a second number after the figure: not a plain cell
    if value.unit is None and layout.lexicon.units[label.key] == "jpy":
        return value.number * label.money_multiplier
    return value.number


# =============================================================================================
# Bullets and prose: phrases
# =============================================================================================


@dataclass(frozen=True)
class Sentence:
    """A sentence and its bracket structure, which the clause rules read context from."""

    start: int
    end: int
    groups: tuple[tuple[int, int], ...]  # (open, close + 1) of each bracketed note
    separators: tuple[int, ...]  # clause separators outside brackets
    depths: tuple[int, ...]  # per character, how many brackets are open around it

    def in_note(self, position: int) -> bool:
        return self.depths[position - self.start] > 0


@dataclass(frozen=True)
class Item:
    """One figure after a KPI name, with the words that say which figure it is."""

    value: Value
    qualifiers: tuple[Token, ...]
    after_arrow: bool
    is_change: bool


@dataclass(frozen=True)
class Phrase:
    """A KPI name tied to a figure, before judging whether the figure is an actual."""

    key: str
    value: Value
    anchor: int  # start of the phrase: the name, or the number in 「1件受注」
    label_end: int  # end of the name and its notes, where the figures begin
    end: int  # end of the last figure
    reversed: bool


def _sentences(text: str, line: Line) -> Iterator[Sentence]:
    start = line.content_start
    for index in range(line.content_start, line.end + 1):
        if index == line.end or text[index] in _SENTENCE_END:
            if index > start:
                yield _sentence(text, start, index)
            start = index + 1


def _sentence(text: str, start: int, end: int) -> Sentence:
    groups: list[tuple[int, int]] = []
    separators: list[int] = []
    depths: list[int] = []
    opened: list[int] = []
    for index in range(start, end):
        char = text[index]
        depths.append(len(opened))
        if char == "(":
            opened.append(index)
        elif char == ")" and opened:
            groups.append((opened.pop(), index + 1))
        elif char in _CLAUSE_SEPARATORS and not opened and not _thousands_comma(text, index):
            separators.append(index)
    return Sentence(start, end, tuple(groups), tuple(separators), tuple(depths))


def _thousands_comma(text: str, index: int) -> bool:
    """The comma in 1,320 separates thousands, not clauses."""
    before = index > 0 and text[index - 1].isdigit()
    after = index + 1 < len(text) and text[index + 1].isdigit()
    return text[index] == "," and before and after


def _phrases(layout: Layout, sentence: Sentence, tokens: list[Token]) -> Iterator[Phrase]:
    """Name then figures (「アポ獲得数：３１件」), or a count then a name (「1件受注」)."""
    lexicon, text = layout.lexicon, layout.text
    at = {token.start: token for token in tokens}
    used: set[int] = set()
    for name in (token for token in tokens if token.kind is Kind.KPI):
        gap = lexicon.gap_pattern.match(text, name.end, sentence.end)
        label_end = gap.end() if gap else name.end
        labelled = any(mark in text[name.end : label_end] for mark in ":=")
        items = _items(layout, sentence, at, name.key, label_end, labelled=labelled)
        used.update(item.value.start for item in items)
        chosen = _choose(layout, items)
        if chosen is not None:
            end = items[-1].value.end
            yield Phrase(name.key, chosen, name.start, label_end, end, reversed=False)
    counted = (t for t in tokens if t.kind is Kind.KPI and lexicon.units[t.key] == "count")
    for name in counted:
        value = _count_before(layout, sentence, name)
        if value is not None and value.start not in used:
            yield Phrase(name.key, value, value.start, value.start, name.end, reversed=True)


def _items(
    layout: Layout,
    sentence: Sentence,
    at: dict[int, Token],
    key: str,
    position: int,
    *,
    labelled: bool,
) -> list[Item]:
    """The figures following a name: 「27件」, 「目標30件に対し27件」, 「22件→25件」."""
    lexicon, text = layout.lexicon, layout.text
    items: list[Item] = []
    after_arrow = False
    while True:
        qualifiers: list[Token] = []
        while position in at and at[position].kind in QUALIFIERS:
            qualifiers.append(at[position])
            gap = lexicon.gap_pattern.match(text, at[position].end, sentence.end)
            position = gap.end() if gap else at[position].end
        value = lexicon.value_at(text, position, sentence.end)
        # A bare number counts after a colon or when it ends the sentence (「- 架電数 1200」).
        ends = value is not None and not text[value.end : sentence.end].strip()
        if value is None or not lexicon.fits(key, value, bare_allowed=labelled or ends):
            return items
        is_change = text.startswith(lexicon.not_a_level, value.end)
        items.append(Item(value, tuple(qualifiers), after_arrow, is_change))
        link = lexicon.link_pattern.match(text, value.end, sentence.end)
        if link is None:
            return items
        after_arrow = link.group("link") in lexicon.arrows
        position = link.end()


def _choose(layout: Layout, items: list[Item]) -> Value | None:
    """The marked actual, else the figure after an arrow, else the first unmarked figure."""
    verdicts = [(item, _verdict(layout, item)) for item in items if not item.is_change]
    marked = [item for item, verdict in verdicts if verdict > 0]
    plain = [item for item, verdict in verdicts if verdict == 0]
    if marked:
        return marked[0].value
    arrowed = [item for item in plain if item.after_arrow]
    if arrowed:
        return arrowed[-1].value
    return plain[0].value if plain else None


def _verdict(layout: Layout, item: Item) -> int:
    """+1: marked as this period's actual; 0: unmarked; -1: a target, plan or other period."""
    kinds = {token.kind for token in item.qualifiers}
    months = [token for token in item.qualifiers if token.kind is Kind.MONTH]
    if kinds & NOT_ACTUAL_LABEL:
        return -1
    if months:
        return -1 if Period.unknown_or_other(layout.period, months[-1]) else 1
    return 1 if kinds & {Kind.ACTUAL, Kind.CURRENT} else 0


def _count_before(layout: Layout, sentence: Sentence, name: Token) -> Value | None:
    """The count right before a name, as in 「1件受注」 or 「20件のアポ」."""
    end = name.start - 1 if layout.text[name.start - 1 : name.start] == "の" else name.start
    for start in range(max(sentence.start, end - 20), end):
        value = layout.lexicon.value_at(layout.text, start, end)
        if value is not None and value.end == end and value.unit == "count":
            return value
    return None


# =============================================================================================
# Bullets and prose: is the phrase an actual?
# =============================================================================================


def _inline_candidates(layout: Layout) -> Iterator[Candidate]:
    for line in layout.lines:
        if line.kind in ("bullet", "prose") and not line.blocked:
            yield from _line_candidates(layout, line)


def _line_candidates(layout: Layout, line: Line) -> Iterator[Candidate]:
    for sentence in _sentences(layout.text, line):
        reading = Reading(layout, sentence)
        for phrase in reading.phrases:
            if reading.is_actual(phrase):
                yield reading.candidate(line, phrase)


# An enumeration hands its lead on to its items (「※前月は、アポ14件、商談6件」). Real leads
# are short, so context is read at most this many clauses or characters back: long or
# unpunctuated texts stay linear.
_MAX_LEAD_CLAUSES = 12
_MAX_LEAD_CHARS = 200


class Reading:
    """One sentence read for KPI phrases, with the clause structure the judgements need."""

    def __init__(self, layout: Layout, sentence: Sentence) -> None:
        self.layout = layout
        self.text = layout.text
        self.sentence = sentence
        self.tokens = layout.lexicon.tokens(layout.text, sentence.start, sentence.end)
        self._token_starts = [token.start for token in self.tokens]
        self.phrases = list(_phrases(layout, sentence, self.tokens))
        self._clause_starts = [sentence.start, *(s + 1 for s in sentence.separators)]
        self._groups_by_close = sorted(sentence.groups, key=lambda group: group[1])
        self._group_closes = [close for _, close in self._groups_by_close]
        self._opens_by_close = {close: open_ for open_, close in sentence.groups}
        self._lead_starts = self._leads()

    # --- clauses ---------------------------------------------------------------------------

    def clause_start(self, position: int) -> int:
        return self._clause_starts[bisect_left(self.sentence.separators, position)]

    def clause_end(self, position: int) -> int:
        index = bisect_left(self.sentence.separators, position)
        separators = self.sentence.separators
        return separators[index] if index < len(separators) else self.sentence.end

    def _leads(self) -> list[int]:
        """Per clause, where the words that qualify its phrases begin.

        Normally the clause's own start; but a clause that only lists figures
        (「※前月は、アポ数14件、商談数6件」) or sets a topic (「10月は、」) hands its lead on.
        """
        figure_ends = {phrase.end for phrase in self.phrases}
        links = self.layout.lexicon.clause_links
        lead_clause = [0]  # per clause, the index of the clause its lead starts in
        for index in range(1, len(self._clause_starts)):
            previous = self._clause_starts[index - 1]
            end = self._trim_trailing_notes(previous, self.sentence.separators[index - 1])
            joined = next(
                (
                    end - len(j)
                    for j in self.layout.lexicon.enumeration_joiners
                    if self.text.endswith(j, previous, end)
                ),
                end,
            )
            lists_figures = end in figure_ends or joined in figure_ends
            sets_topic = self.text[previous:end].endswith(links)
            near = index - lead_clause[-1] < _MAX_LEAD_CLAUSES
            lead_clause.append(lead_clause[-1] if (lists_figures or sets_topic) and near else index)
        return [self._clause_starts[clause] for clause in lead_clause]

    def lead_start(self, position: int) -> int:
        lead = self._lead_starts[bisect_left(self.sentence.separators, position)]
        return max(lead, position - _MAX_LEAD_CHARS)

    def _trim_trailing_notes(self, start: int, end: int) -> int:
        """End of a clause once trailing spaces and bracketed notes are dropped."""
        while end > start:
            if self.text[end - 1].isspace():
                end -= 1
            elif end in self._opens_by_close and self._opens_by_close[end] >= start:
                end = self._opens_by_close[end]
            else:
                break
        return end

    def tokens_between(self, start: int, end: int) -> list[Token]:
        low = bisect_left(self._token_starts, start)
        high = bisect_left(self._token_starts, end)
        return [token for token in self.tokens[low:high] if token.end <= end]

    def outside_closed_notes(self, tokens: list[Token], anchor: int) -> list[Token]:
        """Drop tokens in notes closed before the phrase: 「前月（12月）は」's 12月 says nothing
        about what follows."""
        if not tokens:
            return tokens
        low = bisect_left(self._group_closes, tokens[0].start + 1)
        high = bisect_left(self._group_closes, anchor + 1)
        notes = self._groups_by_close[low:high]
        return [t for t in tokens if not any(o <= t.start < c for o, c in notes)]

    # --- judgements ------------------------------------------------------------------------

    def is_actual(self, phrase: Phrase) -> bool:
        """No cue in the phrase's own label, in the words before it, or in the words after it."""
        label = self.tokens_between(phrase.anchor, phrase.label_end)
        if any(t.kind in NOT_ACTUAL_LABEL for t in label):
            return False  # 「アポ数（前月比）：…」「架電数（1日平均）：…」
        if self._followed_by_plan(phrase):
            return False
        window = self.tokens_between(self.lead_start(phrase.anchor), phrase.anchor)
        lead = self.outside_closed_notes(window, phrase.anchor)
        cues = [t for t in lead if t.kind is not Kind.SUBCOUNT]
        if _any_cue(cues, NOT_ACTUAL, self.layout.period, around=window):
            return False
        subcounts = [t.start for t in lead if t.kind is Kind.SUBCOUNT]
        if any(self._part_of_same_kpi(phrase, p, look_back=True) for p in subcounts):
            return False
        if self._part_marker_before(phrase) and self._part_of_same_kpi(phrase, phrase.anchor):
            return False
        months = [t for t in [*lead, *label] if t.kind is Kind.MONTH]
        return not (months and Period.unknown_or_other(self.layout.period, months[-1]))

    def _followed_by_plan(self, phrase: Phrase) -> bool:
        """「月1,200件を予定」「20件を目標に」: words after the figure make it a plan or target."""
        end = min(self.clause_end(phrase.end), phrase.end + _MAX_LEAD_CHARS)
        note = self.text.find("(", phrase.end, end)
        end = end if note < 0 else note  # a note after the figure is about the figure's context
        for token in self.tokens_between(phrase.end, end):
            if token.kind is Kind.PLAN or (token.kind is Kind.TARGET and token.start == phrase.end):
                return True  # 「…件となる見込み」「20件目標」
        following = self.text[phrase.end : end]
        return any(cue in following for cue in self.layout.lexicon.after_value)

    def _before(self, phrase: Phrase) -> str:
        """The clause's words right before the phrase, trailing spaces dropped."""
        start = max(self.clause_start(phrase.anchor), phrase.anchor - _MAX_LEAD_CHARS)
        return self.text[start : phrase.anchor].rstrip()

    def _part_marker_before(self, phrase: Phrase) -> bool:
        """「製造業から17件のアポ」「リストからも受注2件」: the figure is a part of a whole."""
        return self._before(phrase).endswith(self.layout.lexicon.part_markers)

    def _part_of_same_kpi(self, phrase: Phrase, marker: int, *, look_back: bool = False) -> bool:
        """A part of the same KPI is not its figure; a part of another KPI is.

        「アポ23件（うちAアポ10件）」 is a part of the 23; 「アポ23件のうち、商談化は2件」 and
        「アポ25件から商談12件」 state the opportunities figure itself.
        """
        bound = min(marker, phrase.anchor)
        for index in range(bisect_left(self._token_starts, bound) - 1, -1, -1):
            token = self.tokens[index]
            if token.kind is Kind.KPI and token.end <= bound:
                return token.key == phrase.key
        if not look_back:
            return True
        # 「…訪問できたのは38件でした。このうち有効商談数は16件」: うち points at a whole in the
        # sentence before; a part of another KPI there is this KPI's own figure.
        earlier = self.layout.lexicon.tokens(
            self.text, max(0, self.sentence.start - _MAX_LEAD_CHARS), self.sentence.start
        )
        kpis = [token for token in earlier if token.kind is Kind.KPI]
        return kpis[-1].key == phrase.key if kpis else True

    def is_subset_phrasing(self, phrase: Phrase) -> bool:
        """「展示会経由のアポ」「Aアポ」「（…11件中3件）」「1件受注」: perhaps a part, not the whole."""
        if phrase.reversed:
            return True
        if self.sentence.in_note(phrase.anchor):
            return True
        before = self._before(phrase)
        if before[-1:].isascii() and before[-1:].isalpha():
            return True
        modifier = next(
            (m for m in self.layout.lexicon.subset_modifiers if before.endswith(m)), None
        )
        if modifier is None:
            return False
        # 「10月の」「今月の」 name the period, not a subset.
        modifier_start = self.text.rindex(modifier, 0, phrase.anchor)
        period_words = (Kind.MONTH, Kind.CURRENT)
        return not any(t.end == modifier_start and t.kind in period_words for t in self.tokens)

    # --- result ----------------------------------------------------------------------------

    def candidate(self, line: Line, phrase: Phrase) -> Candidate:
        rank = 1 if self.is_subset_phrasing(phrase) else 0
        if line.kind == "bullet":
            span = _stripped(self.text, self.sentence.start, self.sentence.end)
        else:
            start = self.clause_start(phrase.anchor)
            span = _stripped(self.text, start, self.clause_end(phrase.end))
        return Candidate(phrase.key, phrase.value.number, phrase.anchor, rank, span)


def _any_cue(
    tokens: Sequence[Token],
    kinds: frozenset[Kind],
    period: Period | None,
    *,
    around: Sequence[Token] | None = None,
) -> bool:
    """Whether a cue of these kinds is present, forgiving 「先月（10月）」 for period 10.

    `around` holds the tokens to look for that month in, when `tokens` leaves notes out.
    """
    context = tokens if around is None else around
    return any(
        token.kind in kinds
        and not (period is not None and period.names_previous_month_as_own(token, context))
        for token in tokens
    )


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
