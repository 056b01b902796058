"""A draft version as a download: Markdown, DOCX or PDF.

An internal draft carries its 出典 list; an external one (sent to the vendor) is exported
without markers and without any source list, because a letter names the vendor's own report
in its sentences (「貴社10月度ご報告」) and owes the vendor no internal ids or offsets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.draft.citations import DraftCitation, source_list_markdown, without_markers
from app.draft.docx_export import export_docx
from app.draft.models import DraftOut
from app.draft.pdf_export import export_pdf
from app.knowledge.drafts import DocxSpec

ExportFormat = Literal["md", "docx", "pdf"]
MEDIA_TYPES: dict[ExportFormat, str] = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
LETTER_KINDS = frozenset({"proposal_request"})


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    ascii_filename: str  # for clients that cannot read the Japanese name (RFC 6266 fallback)
    media_type: str


def export_file(
    *,
    draft: DraftOut,
    vendor_name: str,
    export_format: ExportFormat,
    docx: DocxSpec,
    external: bool = False,
) -> ExportFile:
    """The file and its names; the Japanese name says what it is, for whom, which version."""
    stem = f"{draft.kind_label}_{vendor_name}_第{draft.version}版"
    ascii_stem = f"renewal-desk-{draft.kind}-{draft.id}-v{draft.version}"
    markdown = without_markers(draft.markdown) if external else draft.markdown
    citations: list[DraftCitation] = [] if external else list(draft.citations)
    title = f"{draft.kind_label}（{vendor_name}）"
    letter = draft.kind in LETTER_KINDS
    if export_format == "md":
        sources = source_list_markdown(citations, markdown)
        text = markdown.rstrip("\n") + ("\n\n" + sources if sources else "\n")
        content = text.encode("utf-8")
    elif export_format == "pdf":
        content = export_pdf(markdown=markdown, citations=citations, title=title, letter=letter)
    else:
        content = export_docx(
            markdown=markdown, citations=citations, title=title, spec=docx, letter=letter
        )
    return ExportFile(
        content=content,
        filename=f"{stem}.{export_format}",
        ascii_filename=f"{ascii_stem}.{export_format}",
        media_type=MEDIA_TYPES[export_format],
    )
