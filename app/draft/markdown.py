"""Draft Markdown → HTML for the page and the live preview, with markers linked to passages.

markdown-it-py (CommonMark + tables) with raw HTML disabled: a draft carries document text,
and document text must never become markup or script in the browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt

from app.draft.citations import MARKER, DraftCitation, without_markers

_TAG = re.compile(r"(<[^>]+>)")


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """CommonMark with tables; shared by the HTML, DOCX and PDF renderings. A single line
    break is kept (`breaks`): a letter's 「株式会社〇〇」 and 「藤田様」 are two lines."""
    options = {"html": False, "linkify": False, "typographer": False, "breaks": True}
    return MarkdownIt("commonmark", options).enable(["table", "strikethrough"])


def _link(number: int, citations: Sequence[DraftCitation]) -> str:
    if not 1 <= number <= len(citations):
        return f'<sup class="cite missing" title="出典の一覧にない番号です">[{number}]</sup>'
    citation = citations[number - 1]
    title = html.escape(f"「{citation.quote[:120]}」{citation.title}", quote=True)
    return (
        f'<sup class="cite"><a href="{html.escape(citation.href, quote=True)}" '
        f'title="{title}" data-citation="{number}">[{number}]</a></sup>'
    )


def render_html(
    markdown: str, citations: Sequence[DraftCitation], *, external: bool = False
) -> str:
    """HTML of the draft; `[n]` becomes a superscript link to the highlighted passage. An
    external draft reads as the letter the vendor gets: no markers in its text (its passages
    are listed beside it, as a note that is not part of the letter)."""
    rendered: str = parser().render(without_markers(markdown) if external else markdown)
    if external:
        return rendered
    parts = _TAG.split(rendered)
    inside_code = False
    for index, part in enumerate(parts):
        if part.startswith("<"):
            name = part.strip("</> ").split(" ")[0].lower()
            if name in ("code", "pre"):
                inside_code = not part.startswith("</")
            continue
        if not inside_code:
            parts[index] = MARKER.sub(lambda m: _link(int(m.group(1)), citations), part)
    return "".join(parts)
