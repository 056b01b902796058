"""Documents cut into answerable units: sentences, list items and table rows, with headings.

Every unit is an exact span of the original text, so a unit (or a run of them) can be cited
as is. Sentences are not split inside quotation marks or brackets: 「…来た。…」との苦情。 is one
sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.analyse.facts import DocumentFacts
from app.chat.analyzer import Analysis
from app.ingest.normalize import normalize_for_matching

Tokenize = Callable[[str], list[str]]
Analyze = Callable[[str], Analysis]

_OPENERS = "「『（(【［[“"
_CLOSERS = "」』）)】］]”"
_ENDERS = "。！？!?"
_TABLE_ROW = re.compile(r"^\s*\|")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*・●◆◇■□▪]\s*|\(?\d{1,2}[.)．）]\s*|[①-⑳]\s*)")
_HEADING_MARK = re.compile(r"^\s*(#{1,6}\s|[■◆●◇□【]|\d{1,2}[.)．]\s*\S)")
_MAX_HEADING_CHARS = 40
_ADDRESS_SUFFIXES = ("様", "さん", "殿", "御中", "各位")
_COMPANY_PREFIXES = ("株式会社", "有限会社", "合同会社")


@dataclass(frozen=True)
class Unit:
    """One sentence, list item or table row of a document."""

    document: DocumentFacts
    index: int
    start: int
    end: int
    line: int  # index of the line it is on; units of one bullet share it
    normalized: str
    tokens: frozenset[str]
    heading: str  # normalised text of the section heading above, '' if none
    heading_tokens: frozenset[str]
    names: frozenset[str] = frozenset()
    is_heading: bool = False
    is_table_row: bool = False
    is_list_item: bool = False

    @property
    def quote(self) -> str:
        return self.document.text[self.start : self.end]


def _sentences(line: str) -> list[tuple[int, int]]:
    """Split one line at sentence ends outside brackets; offsets into the line."""
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    index = 0
    while index < len(line):
        char = line[index]
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
        elif char in _ENDERS and depth == 0:
            end = index + 1
            while end < len(line) and (line[end] in _ENDERS or line[end] in _CLOSERS):
                end += 1
            spans.append((start, end))
            start = index = end
            continue
        index += 1
    if start < len(line):
        spans.append((start, len(line)))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_heading(line: str) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_HEADING_CHARS or stripped[-1] in _ENDERS:
        return False
    if _HEADING_MARK.match(stripped):
        return True
    # A short line on its own that ends without punctuation: 「決定事項」「ToDo」; not an
    # address or a signature line (「早川様」「株式会社コネクトワン」).
    if stripped.endswith(_ADDRESS_SUFFIXES) or stripped.startswith(_COMPANY_PREFIXES):
        return False
    return len(stripped) <= 12 and not _BULLET.match(stripped) and "：" not in stripped[:-1]


def segment(document: DocumentFacts, analyze: Analyze) -> list[Unit]:
    """Units of one document in order; headings are units too (weak ones)."""

    def tokenize(text: str) -> list[str]:
        return list(analyze(text).tokens)

    def names(text: str) -> frozenset[str]:
        return frozenset(analyze(text).names)

    units: list[Unit] = []
    text = document.text
    heading = ""
    heading_tokens: frozenset[str] = frozenset()
    table_header = ""
    position = 0
    for line_number, raw_line in enumerate(text.splitlines(keepends=True)):
        line = raw_line.rstrip("\r\n")
        line_start = position
        position += len(raw_line)
        if not line.strip():
            table_header = ""
            continue
        if _TABLE_SEPARATOR.match(line):
            continue
        if _TABLE_ROW.match(line):
            start, end = _trim(text, line_start, line_start + len(line))
            normalized = normalize_for_matching(text[start:end])
            if not table_header:
                table_header = normalized
            context = f"{heading} {table_header}".strip()
            units.append(
                Unit(
                    document=document,
                    index=len(units),
                    start=start,
                    end=end,
                    line=line_number,
                    normalized=normalized,
                    tokens=frozenset(tokenize(normalized)),
                    heading=context,
                    heading_tokens=frozenset(tokenize(context)) if context else frozenset(),
                    is_table_row=True,
                )
            )
            continue
        table_header = ""
        if _is_heading(line):
            start, end = _trim(text, line_start, line_start + len(line))
            normalized = normalize_for_matching(text[start:end])
            heading = normalized
            heading_tokens = frozenset(tokenize(normalized))
            units.append(
                Unit(
                    document=document,
                    index=len(units),
                    start=start,
                    end=end,
                    line=line_number,
                    normalized=normalized,
                    tokens=heading_tokens,
                    heading="",
                    heading_tokens=frozenset(),
                    names=names(normalized),
                    is_heading=True,
                )
            )
            continue
        bullet = _BULLET.match(line)
        body_offset = bullet.end() if bullet else 0
        for sentence_start, sentence_end in _sentences(line[body_offset:]):
            start, end = _trim(
                text,
                line_start + body_offset + sentence_start,
                line_start + body_offset + sentence_end,
            )
            if end - start < 2:
                continue
            normalized = normalize_for_matching(text[start:end])
            units.append(
                Unit(
                    document=document,
                    index=len(units),
                    start=start,
                    end=end,
                    line=line_number,
                    normalized=normalized,
                    tokens=frozenset(tokenize(normalized)),
                    heading=heading,
                    heading_tokens=heading_tokens,
                    names=names(normalized),
                    is_list_item=bullet is not None,
                )
            )
    return units


def line_units(units: Sequence[Unit], unit: Unit) -> list[Unit]:
    """All units on the same line as `unit` (a bullet with several sentences)."""
    return [
        other
        for other in units
        if other.document.id == unit.document.id and other.line == unit.line
    ]


def following_items(units: Sequence[Unit], unit: Unit, *, limit: int) -> list[Unit]:
    """The list items right after `unit` in its document (what 「以下」 or a heading introduces)."""
    found: list[Unit] = []
    last_line = unit.line
    for other in units[unit.index + 1 :]:
        if other.document.id != unit.document.id or other.is_heading:
            break
        if not (other.is_list_item or other.is_table_row):
            break
        if other.line != last_line:
            if len({u.line for u in found}) >= limit:
                break
            last_line = other.line
        found.append(other)
    return found
