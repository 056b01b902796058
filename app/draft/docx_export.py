"""Draft Markdown → DOCX with python-docx: Japanese fonts, tables, and a source list.

Markdown is read with the same markdown-it parser as the HTML preview, so both renderings
agree. Markers stay as superscript `[n]`; the 出典 list at the end resolves each one (Word
footnotes are not reachable through python-docx's API, a numbered list is).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from markdown_it.token import Token

from app.draft.citations import MARKER, DraftCitation, source_name, used_citations
from app.draft.markdown import parser
from app.knowledge.drafts import DocxSpec

STYLED = (
    "Normal",
    "Title",
    "Heading 1",
    "Heading 2",
    "Heading 3",
    "Heading 4",
    "List Bullet",
    "List Bullet 2",
    "List Bullet 3",
    "List Number",
    "List Number 2",
    "Table Grid",
    "Quote",
)


def _set_run_fonts(r_pr: Any, spec: DocxSpec) -> None:
    """Explicit fonts (theme attributes removed, or Word would keep the theme's Latin font)."""
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if fonts.get(qn(attribute)) is not None:
            del fonts.attrib[qn(attribute)]
    fonts.set(qn("w:ascii"), spec.font_latin)
    fonts.set(qn("w:hAnsi"), spec.font_latin)
    fonts.set(qn("w:eastAsia"), spec.font_east_asian)
    fonts.set(qn("w:cs"), spec.font_latin)
    language = r_pr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        r_pr.append(language)
    language.set(qn("w:eastAsia"), "ja-JP")


def _style_fonts(document: Any, spec: DocxSpec) -> None:
    styles = document.styles
    normal = styles["Normal"]
    normal.font.size = Pt(spec.font_size_pt)
    for name in STYLED:
        try:
            style = styles[name]
        except KeyError:
            continue
        style.font.name = spec.font_latin
        _set_run_fonts(style.element.get_or_add_rPr(), spec)
        if name.startswith("Heading") or name == "Title":
            style.font.color.rgb = RGBColor(0x1F, 0x29, 0x33)


def _add_text(paragraph: Any, text: str, *, bold: bool, italic: bool, strike: bool) -> None:
    position = 0
    for match in MARKER.finditer(text):
        if match.start() > position:
            run = paragraph.add_run(text[position : match.start()])
            run.bold, run.italic, run.font.strike = bold, italic, strike
        marker = paragraph.add_run(match.group(0))
        marker.font.superscript = True
        position = match.end()
    if position < len(text):
        run = paragraph.add_run(text[position:])
        run.bold, run.italic, run.font.strike = bold, italic, strike


def _add_inline(paragraph: Any, token: Token) -> None:
    bold = italic = strike = False
    for child in token.children or []:
        kind = child.type
        if kind == "strong_open":
            bold = True
        elif kind == "strong_close":
            bold = False
        elif kind == "em_open":
            italic = True
        elif kind == "em_close":
            italic = False
        elif kind == "s_open":
            strike = True
        elif kind == "s_close":
            strike = False
        elif kind in ("text", "code_inline", "html_inline"):
            _add_text(paragraph, child.content, bold=bold, italic=italic, strike=strike)
        elif kind in ("softbreak", "hardbreak"):
            paragraph.add_run().add_break()
        elif kind == "image":
            _add_text(paragraph, child.content, bold=bold, italic=italic, strike=strike)


def _list_style(document: Any, ordered: bool, depth: int) -> str:
    base = "List Number" if ordered else "List Bullet"
    name = base if depth <= 1 else f"{base} {min(depth, 3 if not ordered else 2)}"
    try:
        document.styles[name]
    except KeyError:
        return base
    return name


def _table(document: Any, rows: list[list[Token]], header_rows: int) -> None:
    width = max(len(row) for row in rows)
    table = document.add_table(rows=len(rows), cols=width)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row_index, row in enumerate(rows):
        for column, token in enumerate(row):
            cell = table.cell(row_index, column)
            paragraph = cell.paragraphs[0]
            _add_inline(paragraph, token)
            if row_index < header_rows:
                for run in paragraph.runs:
                    run.bold = True
    document.add_paragraph()


def _write_markdown(document: Any, tokens: Sequence[Token], *, letter: bool = False) -> None:
    """Body paragraphs; in a `letter`, the date (first paragraph) and the sender (last before
    the title) are right-aligned, as Japanese business letters set them."""
    before_title = letter
    head: list[Any] = []
    lists: list[bool] = []  # True = ordered, one entry per open list
    quote_depth = 0
    table_rows: list[list[Token]] | None = None
    header_rows = 0
    in_head = False
    heading_level = 0
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_level = int(token.tag[1])
        elif kind == "heading_close":
            heading_level = 0
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append(kind == "ordered_list_open")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind == "table_open":
            table_rows, header_rows = [], 0
        elif kind == "thead_open":
            in_head = True
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open" and table_rows is not None:
            table_rows.append([])
            header_rows += 1 if in_head else 0
        elif kind == "table_close" and table_rows is not None:
            if table_rows:
                _table(document, table_rows, header_rows)
            table_rows = None
        elif kind == "hr":
            document.add_paragraph("―" * 20)
        elif kind in ("fence", "code_block"):
            document.add_paragraph(token.content.rstrip("\n"))
        elif kind == "inline":
            if table_rows is not None:
                table_rows[-1].append(token)
            elif heading_level:
                if before_title and head:
                    head[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    if len(head) > 2:
                        head[-1].alignment = WD_ALIGN_PARAGRAPH.RIGHT
                before_title = False
                # "#" is the document title; "##" the first heading level, and so on.
                level = 0 if heading_level == 1 else min(heading_level - 1, 4)
                _add_inline(document.add_heading(level=level), token)
            elif lists:
                style = _list_style(document, lists[-1], len(lists))
                _add_inline(document.add_paragraph(style=style), token)
            elif quote_depth:
                _add_inline(document.add_paragraph(style="Quote"), token)
            else:
                paragraph = document.add_paragraph()
                _add_inline(paragraph, token)
                if before_title:
                    head.append(paragraph)
            if kind == "inline" and token.content.strip() == "敬具" and letter:
                document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _source_list(document: Any, markdown: str, citations: Sequence[DraftCitation]) -> None:
    numbers = used_citations(markdown, citations)
    if not numbers:
        return
    document.add_heading("出典", level=1)
    for number in numbers:
        citation = citations[number - 1]
        paragraph = document.add_paragraph()
        label = paragraph.add_run(f"[{number}] ")
        label.bold = True
        paragraph.add_run(f"「{' '.join(citation.quote.split())}」")
        detail = paragraph.add_run(f" — {source_name(citation)}")
        detail.font.size = Pt(9)


def export_docx(
    *,
    markdown: str,
    citations: Sequence[DraftCitation],
    title: str,
    spec: DocxSpec,
    letter: bool = False,
) -> bytes:
    """A .docx of the draft: body from the Markdown, then the sources its markers point at
    (an external draft is passed without markers and citations, so it gets no 出典)."""
    document = Document()
    _style_fonts(document, spec)
    document.core_properties.title = title
    document.core_properties.author = "更新デスク"
    document.core_properties.language = "ja-JP"
    _write_markdown(document, parser().parse(markdown), letter=letter)
    _source_list(document, markdown, citations)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
