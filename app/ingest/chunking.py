"""Sentence-aware chunking whose spans always point at the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.text import lines, segment, trim

SOFT_SPLIT = re.compile(r"[、，,\s]")


@dataclass(frozen=True)
class ChunkSpan:
    """A chunk: the original span [start, end) plus a repeated table header, if any."""

    start: int
    end: int
    prefix: str = ""

    def text(self, original: str) -> str:
        body = original[self.start : self.end]
        return f"{self.prefix}\n{body}" if self.prefix else body


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    new_block: bool
    table_header: tuple[int, int] | None = None


def _units(text: str) -> list[_Unit]:
    """Sentences, list items and table rows, each tagged with whether it opens a block."""
    classified = lines(text)
    units: list[_Unit] = []
    headers: dict[int, tuple[int, int]] = {}  # header row start → its unit's span (with rule)
    previous_blank = True
    last_line = -1
    for unit in segment(text):
        line = classified[unit.line]
        first_on_line = unit.line != last_line
        if first_on_line:
            gap = any(classified[i].kind == "blank" for i in range(last_line + 1, unit.line))
            previous_blank = previous_blank or gap
        last_line = unit.line
        if unit.kind == "separator":
            header = headers.get(unit.header[0]) if unit.header else None
            if header is not None and units and units[-1].start == header[0]:
                headers[header[0]] = (header[0], unit.end)  # the rule belongs to the header
                units[-1] = _Unit(header[0], unit.end, new_block=True)
            previous_blank = True
            continue
        if unit.kind == "table_header":
            headers[unit.start] = (unit.start, unit.end)
            units.append(_Unit(unit.start, unit.end, new_block=True))
            previous_blank = True  # whatever follows a table opens a new block
            continue
        if unit.kind == "table_row" and unit.header is not None:
            header = headers[unit.header[0]]
            units.append(_Unit(unit.start, unit.end, new_block=False, table_header=header))
            previous_blank = True
            continue
        new_block = first_on_line and (previous_blank or line.kind in ("heading", "item"))
        # A list item's unit starts at its marker, so a chunk reads as the list it is.
        start = line.start if first_on_line else unit.start
        units.append(_Unit(start, unit.end, new_block=new_block))
        previous_blank = False
    return units


def _hard_split(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence, preferring a comma or space near the limit."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = start + max_chars
        window = text[start + max_chars // 2 : cut]
        soft = [m.end() for m in SOFT_SPLIT.finditer(window)]
        if soft:
            cut = start + max_chars // 2 + soft[-1]
        span = trim(text, start, cut)
        if span[1] > span[0]:
            pieces.append(span)
        start = cut
    span = trim(text, start, end)
    if span[1] > span[0]:
        pieces.append(span)
    return pieces


def chunk_text(text: str, *, max_chars: int = 500, min_chars: int = 200) -> list[ChunkSpan]:
    """Pack sentences into chunks of about `min_chars`–`max_chars` characters."""
    chunks: list[ChunkSpan] = []
    current: list[_Unit] = []

    def flush() -> None:
        if not current:
            return
        start, end = current[0].start, current[-1].end
        headers = {u.table_header for u in current if u.table_header is not None}
        prefix = "\n".join(
            text[h[0] : h[1]] for h in sorted(headers) if not (start <= h[0] and h[1] <= end)
        )
        chunks.append(ChunkSpan(start, end, prefix))
        current.clear()

    def current_length(extra: _Unit) -> int:
        start = current[0].start if current else extra.start
        header = extra.table_header
        prefix = header[1] - header[0] + 1 if header and header[0] < start else 0
        return extra.end - start + prefix

    for unit in _units(text):
        if unit.end - unit.start > max_chars:
            flush()
            chunks.extend(
                ChunkSpan(s, e) for s, e in _hard_split(text, unit.start, unit.end, max_chars)
            )
            continue
        if current:
            too_long = current_length(unit) > max_chars
            soft_break = unit.new_block and current[-1].end - current[0].start >= min_chars
            if too_long or soft_break:
                flush()
        current.append(unit)
    flush()
    return chunks
