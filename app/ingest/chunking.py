"""Sentence-aware chunking whose spans always point at the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTENCE = re.compile(r"[^。！？!?]*[。！？!?]+[」』）)\]]*|[^。！？!?]+")
TABLE_ROW = re.compile(r"^\s*\|")
TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
BLOCK_START = re.compile(r"^\s*(#{1,6}\s|[■◆●◇□【]|\d+[.)．]\s|[-*・]\s)")
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


def _lines(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    position = 0
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        spans.append((position, position + len(content)))
        position += len(line)
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _units(text: str) -> list[_Unit]:
    """Sentences, list items and table rows, each tagged with whether it opens a block."""
    units: list[_Unit] = []
    lines = _lines(text)
    previous_blank = True
    index = 0
    while index < len(lines):
        start, end = lines[index]
        line = text[start:end]
        if not line.strip():
            previous_blank = True
            index += 1
            continue
        if TABLE_ROW.match(line):
            header_end = end
            if index + 1 < len(lines) and TABLE_SEPARATOR.match(text[slice(*lines[index + 1])]):
                header_end = lines[index + 1][1]
                index += 1
            header = (start, header_end)
            units.append(_Unit(start, header_end, new_block=True, table_header=None))
            index += 1
            while index < len(lines) and TABLE_ROW.match(text[slice(*lines[index])]):
                row_start, row_end = lines[index]
                units.append(_Unit(row_start, row_end, new_block=False, table_header=header))
                index += 1
            previous_blank = True  # whatever follows a table opens a new block
            continue
        new_block = previous_blank or bool(BLOCK_START.match(line))
        for match in SENTENCE.finditer(line):
            span = _trimmed(text, start + match.start(), start + match.end())
            if span:
                units.append(_Unit(span[0], span[1], new_block=new_block))
                new_block = False
        previous_blank = False
        index += 1
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
        span = _trimmed(text, start, cut)
        if span:
            pieces.append(span)
        start = cut
    span = _trimmed(text, start, end)
    if span:
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
