"""Draft Markdown → PDF with fpdf2, the Japanese font embedded (a subset of Noto Sans CJK).

Read with the same markdown-it parser as the page and the DOCX, so all three agree. The font
comes from the system (`fonts-noto-cjk`, installed by scripts/install_system_deps.sh); nothing
is downloaded. A letter's date and sender are right-aligned, as in the DOCX.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace
from markdown_it.token import Token

from app.draft.citations import DraftCitation, source_name, used_citations
from app.draft.markdown import parser
from app.errors import ConfigError

FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
)
JAPANESE_FACE = 0  # index of "Noto Sans CJK JP" in the collection
FONT = "noto"
SIZES = {0: 11.0, 1: 16.0, 2: 13.5, 3: 12.0, 4: 11.0}
LINE = 6.2


@lru_cache(maxsize=1)
def font_file() -> Path:
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise ConfigError(
        "PDFの日本語フォント（fonts-noto-cjk）が見つかりません。"
        "scripts/install_system_deps.sh でインストールしてください。"
    )


def _text(token: Token) -> str:
    """Inline content with line breaks kept and emphasis dropped."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
    return "".join(parts)


class _Writer:
    def __init__(self, *, letter: bool) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(20, 18, 20)
        self.pdf.set_auto_page_break(auto=True, margin=18)
        regular = font_file()
        self.pdf.add_font(FONT, "", str(regular), collection_font_number=JAPANESE_FACE)
        bold = regular.with_name(regular.name.replace("Regular", "Bold"))
        self.bold = bold.is_file() and bold != regular
        if self.bold:
            self.pdf.add_font(FONT, "B", str(bold), collection_font_number=JAPANESE_FACE)
        self.pdf.add_page()
        self.pdf.set_font(FONT, size=SIZES[0])
        self.letter = letter
        self.head: list[str] = []  # a letter's paragraphs before its title

    def paragraph(self, text: str, *, size: float = SIZES[0], align: Align = Align.L) -> None:
        self.pdf.set_font(FONT, size=size)
        self.pdf.multi_cell(0, LINE, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1.5)

    def flush_head(self) -> None:
        for index, text in enumerate(self.head):
            right = index == 0 or (index == len(self.head) - 1 and len(self.head) > 2)
            self.paragraph(text, align=Align.R if right else Align.L)
        self.head = []
        self.letter = False

    def table(self, rows: list[list[str]]) -> None:
        self.pdf.set_font(FONT, size=8.5)
        width = max(len(row) for row in rows)
        heading = FontFace(emphasis="BOLD" if self.bold else None, fill_color=(238, 241, 244))
        with self.pdf.table(
            line_height=4.8, first_row_as_headings=True, headings_style=heading
        ) as table:
            for row in rows:
                cells = table.row()
                for value in row + [""] * (width - len(row)):
                    cells.cell(value)
        self.pdf.ln(2)
        self.pdf.set_font(FONT, size=SIZES[0])

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def export_pdf(
    *, markdown: str, citations: Sequence[DraftCitation], title: str, letter: bool = False
) -> bytes:
    """A PDF of the draft, with the 出典 list when the text still has markers."""
    writer = _Writer(letter=letter)
    writer.pdf.set_title(title)
    writer.pdf.set_author("更新デスク")
    writer.pdf.set_lang("ja")
    heading = 0
    lists: list[int] = []  # item counters of open lists; 0 = bullet
    rows: list[list[str]] | None = None
    for token in parser().parse(markdown):
        kind = token.type
        if kind == "heading_open":
            heading = int(token.tag[1])
        elif kind == "heading_close":
            heading = 0
        elif kind == "bullet_list_open":
            lists.append(0)
        elif kind == "ordered_list_open":
            lists.append(1)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "table_open":
            rows = []
        elif kind == "tr_open" and rows is not None:
            rows.append([])
        elif kind == "table_close" and rows is not None:
            writer.table(rows)
            rows = None
        elif kind == "inline":
            text = _text(token)
            if rows is not None:
                rows[-1].append(text)
            elif heading:
                if writer.letter:
                    writer.flush_head()
                writer.paragraph(text, size=SIZES[min(heading - 1, 4)] + (1 if heading == 1 else 0))
            elif lists:
                depth = "　" * (len(lists) - 1)
                if lists[-1]:
                    mark = f"{lists[-1]}. "
                    lists[-1] += 1
                else:
                    mark = "・"
                writer.paragraph(f"{depth}{mark}{text}")
            elif writer.letter:
                writer.head.append(text)
            else:
                writer.paragraph(text, align=Align.R if text.strip() == "敬具" else Align.L)
    if writer.head:
        writer.flush_head()
    numbers = used_citations(markdown, citations)
    if numbers:
        writer.paragraph("出典", size=SIZES[2])
        for number in numbers:
            c = citations[number - 1]
            writer.paragraph(
                f"[{number}] 「{' '.join(c.quote.split())}」 — {source_name(c)}", size=9
            )
    return writer.output()
