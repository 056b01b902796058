"""Citation markers: `[n]` in a draft's Markdown is the n-th entry of its citation list.

Every entry is an exact span of a stored document (taken from the analysis or from a
meeting note's ToDo line), so a marker can always be resolved, highlighted and checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from pydantic import BaseModel

from app.analyse.models import Citation

MARKER = re.compile(r"\[(\d{1,4})\]")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
_INLINE = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "|": "｜",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "<": "＜",
        ">": "＞",
        "\\": "＼",
        "#": "＃",
    }
)


class DraftCitation(BaseModel):
    """What a marker points at: characters [start, end) of stored document `document_id`."""

    document_id: int
    start: int
    end: int
    quote: str
    period: str | None = None
    title: str = ""

    @property
    def href(self) -> str:
        return f"/documents/{self.document_id}?start={self.start}&end={self.end}#passage"


class CitationCollector:
    """Numbers citations in order of first use while a template renders."""

    def __init__(self, allows: Callable[[Citation], bool] | None = None) -> None:
        self.items: list[DraftCitation] = []
        self._numbers: dict[tuple[int, int, int], int] = {}
        self._allows = allows  # an external draft's guard: only passages the vendor sent

    def number(self, citation: Citation | DraftCitation) -> int:
        key = (citation.document_id, citation.start, citation.end)
        if key not in self._numbers:
            self.items.append(
                DraftCitation(
                    document_id=citation.document_id,
                    start=citation.start,
                    end=citation.end,
                    quote=citation.quote,
                    period=citation.period,
                    title=citation.title,
                )
            )
            self._numbers[key] = len(self.items)
        return self._numbers[key]

    def marker(self, citation: Citation | DraftCitation | None) -> str:
        if citation is None or not self.allowed(citation):
            return ""
        return f"[{self.number(citation)}]"

    def allowed(self, citation: Citation | DraftCitation) -> bool:
        if self._allows is None:
            return True
        if isinstance(citation, DraftCitation):
            citation = Citation(**citation.model_dump())
        return self._allows(citation)

    def markers(self, citations: Iterable[Citation | DraftCitation], limit: int = 2) -> str:
        kept = [c for c in citations if self.allowed(c)]
        return "".join(self.marker(c) for c in kept[:limit])


def inline(text: str) -> str:
    """Document text made safe inside a Markdown line: no structure, links or HTML from data."""
    # ASCII whitespace and line breaks collapse; a full-width space (「営業部　日高」) is kept.
    return re.sub(r"[ \t\r\n\v\f]+", " ", text.translate(_INLINE)).strip(" ")


def markers_in(markdown: str) -> list[int]:
    return [int(number) for number in MARKER.findall(markdown)]


def unknown_markers(markdown: str, count: int) -> list[int]:
    """Marker numbers with no citation entry (1-based)."""
    return sorted({n for n in markers_in(markdown) if not 1 <= n <= count})


def used_citations(markdown: str, citations: Sequence[DraftCitation]) -> list[int]:
    """1-based numbers of the citations the text still refers to, in ascending order."""
    return sorted({n for n in markers_in(markdown) if 1 <= n <= len(citations)})


def citation_problems(
    markdown: str, citations: Sequence[DraftCitation], texts: Mapping[int, str]
) -> list[str]:
    """Why a marker does not resolve to a stored passage with the same quote (Japanese)."""
    problems = [
        f"[{n}]: 出典の一覧にない番号です。" for n in unknown_markers(markdown, len(citations))
    ]
    for number in used_citations(markdown, citations):
        citation = citations[number - 1]
        text = texts.get(citation.document_id)
        if text is None:
            problems.append(f"[{number}]: 出典の文書（ID {citation.document_id}）がありません。")
        elif text[citation.start : citation.end] != citation.quote:
            problems.append(f"[{number}]: 出典の引用が文書の本文と一致しません。")
    return problems


def headings(markdown: str) -> list[str]:
    return [match.group("title") for match in HEADING.finditer(markdown)]


def missing_sections(markdown: str, required: Iterable[str]) -> list[str]:
    """Required section titles that no heading contains (numbering and minutes may surround it)."""
    present = headings(markdown)
    return [title for title in required if not any(title in heading for heading in present)]


def source_list_markdown(citations: Sequence[DraftCitation], markdown: str) -> str:
    """The 出典 section appended on export: only the citations the text still uses."""
    numbers = used_citations(markdown, citations)
    if not numbers:
        return ""
    lines = ["## 出典", ""]
    for number in numbers:
        c = citations[number - 1]
        lines.append(f"- [{number}] 「{inline(c.quote)}」 — {inline(source_name(c))}")
    return "\n".join(lines) + "\n"


def source_name(citation: DraftCitation) -> str:
    """「1月度 定例会議 議事録（2026年1月）」: how a reader finds the document, without ids,
    offsets or links (the page links each marker to its passage)."""
    if not citation.period:
        return citation.title
    year, month = citation.period.split("-")[:2]
    return f"{citation.title}（{year}年{int(month)}月）"


def without_markers(markdown: str) -> str:
    """The text as sent: `[n]` markers removed, with no space left before 。 or 、."""
    text = MARKER.sub("", markdown)
    return re.sub(r"[ \t]+\n", "\n", text)
