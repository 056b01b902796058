"""A draft version as a download: Markdown with its 出典 list, or DOCX with the same list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.draft.citations import source_list_markdown
from app.draft.docx_export import export_docx
from app.draft.models import DraftOut
from app.knowledge.drafts import DocxSpec

ExportFormat = Literal["md", "docx"]
MEDIA_TYPES: dict[ExportFormat, str] = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    ascii_filename: str  # for clients that cannot read the Japanese name (RFC 6266 fallback)
    media_type: str


def export_file(
    *, draft: DraftOut, vendor_name: str, export_format: ExportFormat, docx: DocxSpec
) -> ExportFile:
    """The file and its names; the Japanese name says what it is, for whom, which version."""
    stem = f"{draft.kind_label}_{vendor_name}_第{draft.version}版"
    ascii_stem = f"renewal-desk-{draft.kind}-{draft.id}-v{draft.version}"
    if export_format == "md":
        sources = source_list_markdown(draft.citations, draft.markdown)
        text = draft.markdown.rstrip("\n") + ("\n\n" + sources if sources else "\n")
        content = text.encode("utf-8")
    else:
        content = export_docx(
            markdown=draft.markdown,
            citations=draft.citations,
            title=f"{draft.kind_label}（{vendor_name}）",
            spec=docx,
        )
    return ExportFile(
        content=content,
        filename=f"{stem}.{export_format}",
        ascii_filename=f"{ascii_stem}.{export_format}",
        media_type=MEDIA_TYPES[export_format],
    )
