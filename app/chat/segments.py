"""Documents cut into answerable units: sentences, list items and table rows, with headings.

Every unit is an exact span of the original text, so a unit (or a run of them) can be cited
as is. Sentences are not split inside quotation marks or brackets: 「…来た。…」との苦情。 is one
sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.facts import DocumentFacts
from app.core.normalize import normalize_for_matching
from app.core.text import SELF_INTRODUCTION
from app.core.text import segment as core_segment
from app.retrieve.tokenizer import Analysis

Analyze = Callable[[str], Analysis]


# Causes listed under an event statement that join an answer to 「なぜ」 (items, at most).
MAX_CAUSE_ITEMS = 3


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


def segment(document: DocumentFacts, analyze: Analyze) -> list[Unit]:
    """Units of one document in order (core.text segments); headings are units too (weak ones)."""

    def tokenize(text: str) -> list[str]:
        return list(analyze(text).tokens)

    def names(text: str) -> frozenset[str]:
        return frozenset(analyze(text).names)

    units: list[Unit] = []
    text = document.text
    heading = ""
    heading_tokens: frozenset[str] = frozenset()
    table_header = ""
    for part in core_segment(text):
        start, end = part.start, part.end
        if part.kind == "separator":
            continue
        normalized = normalize_for_matching(text[start:end])
        if part.kind in ("table_header", "table_row"):
            if part.kind == "table_header":
                table_header = normalized
            context = f"{heading} {table_header}".strip()
            units.append(
                Unit(
                    document=document,
                    index=len(units),
                    start=start,
                    end=end,
                    line=part.line,
                    normalized=normalized,
                    tokens=frozenset(tokenize(normalized)),
                    heading=context,
                    heading_tokens=frozenset(tokenize(context)) if context else frozenset(),
                    is_table_row=True,
                )
            )
            continue
        if part.kind == "heading":
            heading = normalized
            heading_tokens = frozenset(tokenize(normalized))
            units.append(
                Unit(
                    document=document,
                    index=len(units),
                    start=start,
                    end=end,
                    line=part.line,
                    normalized=normalized,
                    tokens=heading_tokens,
                    heading="",
                    heading_tokens=frozenset(),
                    names=names(normalized),
                    is_heading=True,
                )
            )
            continue
        if end - start < 2:
            continue
        units.append(
            Unit(
                document=document,
                index=len(units),
                start=start,
                end=end,
                line=part.line,
                normalized=normalized,
                tokens=frozenset(tokenize(normalized)),
                heading=heading,
                heading_tokens=heading_tokens,
                names=names(normalized),
                is_list_item=part.kind == "item",
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


def with_reason(
    best: Unit,
    units: Sequence[Unit],
    span: tuple[int, int],
    reasons: Sequence[re.Pattern[str]],
    max_chars: int,
) -> tuple[int, int]:
    """A sentence that states what happened but not why (no ため, ので …): the neighbouring
    sentence of the same paragraph that gives the reason joins the span."""
    if any(p.search(best.normalized) for p in reasons):
        return span
    for neighbour in (best.index + 1, best.index - 1):
        if not 0 <= neighbour < len(units):
            continue
        unit = units[neighbour]
        between = unit.document.text[min(unit.end, best.end) : max(unit.start, best.start)]
        if (
            "\n\n" not in between
            and not unit.is_heading
            and any(p.search(unit.normalized) for p in reasons)
            and max(span[1], unit.end) - min(span[0], unit.start) <= max_chars
        ):
            return min(span[0], unit.start), max(span[1], unit.end)
    return span


def with_listed_causes(
    best: Unit, units: Sequence[Unit], span: tuple[int, int], max_chars: int
) -> tuple[int, int]:
    """「…落ちた件、社内で要因を確認した。」 over 「・競合：…」「・当社側：…」: the event stated, the
    causes listed right under it (the items of the list it opens, or the next items of the
    list it is in) join the span, as far as they fit. The caller uses it for an answer to
    「なぜ」 whose sentence gives no reason of its own (app/chat/offline.py)."""
    items = following_items(units, best, limit=MAX_CAUSE_ITEMS)
    end = span[1]
    for item in items:
        if item.end - span[0] > max_chars:
            break
        end = item.end
    return span[0], end


def section_end(heading: Unit, units: Sequence[Unit], max_chars: int) -> int:
    """Where the text under a heading ends: the next heading, or as much as reads as a
    quote (at least the first unit under it)."""
    end = heading.end
    for unit in units[heading.index + 1 :]:
        if unit.is_heading or (end > heading.end and unit.end - heading.start > max_chars):
            break
        end = unit.end
    return end


def section_of(best: Unit, units: Sequence[Unit], max_chars: int) -> tuple[int, int] | None:
    """The heading above `best` and everything under it, if it is short enough to quote."""
    heading = next((u for u in reversed(units[: best.index]) if u.is_heading), None)
    if heading is None:
        return None
    end = heading.end
    for unit in units[heading.index + 1 :]:
        if unit.is_heading:
            break
        end = unit.end
    if end - heading.start > max_chars:
        return None
    return heading.start, end


def senders(units: Sequence[Unit]) -> set[str]:
    """Names of who wrote a document: its self-introduction (「架空商事の山田です」) and
    its last lines (the signature)."""
    names: set[str] = set()
    for unit in units[:8]:
        match = SELF_INTRODUCTION.search(unit.normalized)
        if match:
            names |= unit.names | {match.group("name")}
    for unit in units[-2:]:
        names |= unit.names
    return names
