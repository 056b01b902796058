"""The normalised text as classified lines, each knowing whether its section holds actuals."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from app.analyse.kpi.lexicon import NOT_ACTUAL, Lexicon, Token
from app.analyse.kpi.periods import Period, any_cue
from app.core.text import NUMBER_MARKER, line_spans
from app.core.text import lines as text_lines
from app.knowledge.kpi import Kind

# Headings about parts (担当者別) or other time scopes (週次, 下期): no actuals in their prose,
# but a table under them may still have the month's total or a column per month.
_SCOPES = frozenset({Kind.BREAKDOWN, Kind.PERIOD_SCOPE})

# Where a number can begin (not inside 1,320 or 52.0): the only places a figure can start.
_NUMBER_START = re.compile(r"(?<![\d,])(?<!\d\.)\d")
# A chat log's time stamp (「[10:02] 大森: …」「10:02 大森: …」) opens a message, not a heading.
_TIME_STAMP = re.compile(r"\[?\d{1,2}:\d{2}(?::\d{2})?\]?\s+")

LineKind = Literal["blank", "table", "heading", "subheading", "lead", "bullet", "prose"]


@dataclass(frozen=True)
class Line:
    start: int  # normalised offsets of the line without its indentation
    end: int
    kind: LineKind
    content_start: int  # after a bullet marker or number
    indent: int = 0
    blocked: bool = False  # in a section about targets, plans, breakdowns or an unknown month
    period: Period | None = None  # in a section about another (earlier) month: that month
    # Blocked only by a breakdown or time scope (「## 担当者別」「## 週次」): a table there still
    # gives the month's figures in its total or month rows and columns.
    scoped: bool = False


@dataclass(frozen=True)
class _Lead:
    indent: int  # the lines it covers are indented deeper; -1 covers the whole list below
    blocked: bool
    period: Period | None = None
    scoped: bool = False


@dataclass(frozen=True)
class _Section:
    """What a heading says about the figures under it."""

    blocked: bool = False
    period: Period | None = None  # 「## 9月実績」 in the October report: September's figures
    scoped: bool = False  # 「## 担当者別」「## 週次」: parts or other time scopes, perhaps a total


class Layout:
    """The normalised text as lines, each knowing its kind and whether its section holds actuals."""

    def __init__(self, text: str, lexicon: Lexicon, period: Period | None) -> None:
        self.text = text
        self.lexicon = lexicon
        self.period = period
        # The knowledge terms of the whole text, read in one pass; sentences, headings and the
        # look-backs take their slice (tokens_in) instead of reading the text again.
        self.tokens = lexicon.tokens(text)
        self._token_starts = [token.start for token in self.tokens]
        # Table rows as the one segmenter sees them (pipes with or without the outer ones,
        # tabs, cells aligned with spaces); everything else is classified here.
        tabled = {
            line.start
            for line in text_lines(text, aligned=True)
            if line.kind in ("table_header", "table_row", "separator")
        }
        lines = [self._classify(start, end, tabled) for start, end in line_spans(text)]
        self.lines = self._with_sections(self._promote_leads(lines))

    def tokens_in(self, start: int, end: int) -> list[Token]:
        """The text's tokens that lie within text[start:end]."""
        low = bisect_left(self._token_starts, start)
        high = bisect_left(self._token_starts, end)
        return [token for token in self.tokens[low:high] if token.end <= end]

    def _classify(self, line_start: int, end: int, tabled: set[int]) -> Line:
        start = line_start
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        content = self.text[start:end]
        indent = start - line_start
        if not content:
            return Line(start, end, "blank", start, indent)
        if start in tabled:
            return Line(start, end, "table", start, indent)
        has_figure = self._has_figure(start, end)
        numbered = NUMBER_MARKER.match(content)
        if numbered:
            # 「1. 9月度実績」 heads what follows; 「1. 架電数：1,200件」 is a list item.
            rest = content[numbered.end() :]
            short = len(rest) <= self.lexicon.knowledge.grammar.numbered_heading_max_chars
            heads = short and not has_figure and "。" not in rest
            kind: LineKind = "subheading" if heads else "bullet"
            return Line(start, end, kind, start + numbered.end(), indent)
        stamp = _TIME_STAMP.match(content)
        if stamp:
            return Line(start, end, "bullet", start + stamp.end(), indent)
        if content.startswith(self.lexicon.heading_markers) and not has_figure:
            return Line(start, end, "heading", start, indent)
        marker = next((m for m in self.lexicon.bullet_markers if content.startswith(m)), None)
        if marker is not None:
            rest = content[len(marker) :]
            return Line(start, end, "bullet", end - len(rest.lstrip()), indent)
        return Line(start, end, "prose", start, indent)

    def _has_figure(self, start: int, end: int) -> bool:
        for match in _NUMBER_START.finditer(self.text, start, end):
            value = self.lexicon.value_at(self.text, match.start(), end)
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
        top = sub = _Section()
        leads: list[_Lead] = []
        result: list[Line] = []
        for line in lines:
            if line.kind == "heading":
                top, sub = self._section(line), _Section()
            elif line.kind == "subheading":
                sub = self._section(line)
            if line.kind not in ("bullet", "table", "lead"):
                leads = []
            while leads and line.indent <= leads[-1].indent:
                leads.pop()
            if line.kind == "lead":
                lead = self._section(line)
                leads.append(_Lead(line.indent, lead.blocked, lead.period, lead.scoped))
            blocked = top.blocked or sub.blocked or any(lead.blocked for lead in leads)
            scoped = top.scoped or sub.scoped or any(lead.scoped for lead in leads)
            scoped = scoped and not blocked
            periods = [top.period, sub.period, *(lead.period for lead in leads)]
            period = next((p for p in reversed(periods) if p is not None), None)
            if not blocked and not scoped and period is None:
                result.append(line)  # most lines: nothing above them changes what they hold
                continue
            result.append(
                Line(
                    line.start,
                    line.end,
                    line.kind,
                    line.content_start,
                    line.indent,
                    blocked or scoped,
                    period,
                    scoped,
                )
            )
        return result

    def _section(self, line: Line) -> _Section:
        """A heading about targets, plans, breakdowns or an unknown month holds no actuals;
        one about a single earlier month holds that month's."""
        tokens = self.tokens_in(line.start, line.end)
        if line.kind in ("heading", "subheading"):
            neutral = self.lexicon.heading_neutral
            tokens = [t for t in tokens if self.text[t.start : t.end] not in neutral]
        kinds = {token.kind for token in tokens}
        if any_cue(tokens, NOT_ACTUAL - {Kind.TARGET, Kind.PLAN} - _SCOPES, self.period):
            return _Section(blocked=True)
        says_actual = bool(kinds & {Kind.ACTUAL, Kind.CURRENT})
        if kinds & {Kind.TARGET, Kind.PLAN, Kind.SECTION} and not says_actual:
            return _Section(blocked=True)  # 「■ 10月の計画」 blocks, 「## 目標と実績」 does not
        scoped = bool(kinds & _SCOPES)
        months = [token for token in tokens if token.kind is Kind.MONTH]
        if not months or not all(Period.unknown_or_other(self.period, m) for m in months):
            return _Section(scoped=scoped)
        resolved = {self.period.resolve(m) for m in months} if self.period else {None}
        if len(resolved) == 1 and None not in resolved:
            return _Section(period=resolved.pop(), scoped=scoped)
        return _Section(blocked=True)


# What the table and prose readers find in a layout; extract_kpis picks among them.
@dataclass(frozen=True)
class Candidate:
    """A figure judged to be an actual. Rank 1: phrased like a subset, used only as a fallback."""

    key: str
    value: float
    position: int
    rank: int
    span: tuple[int, int]  # normalised evidence span
    period: Period | None = None  # None: the document's own period
    approximate: bool = False
