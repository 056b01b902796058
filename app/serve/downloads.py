"""File downloads: one Content-Disposition for every export (drafts, CSVs, the audit trail)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response

CSV_TYPE = "text/csv; charset=utf-8"


def attachment(
    content: bytes, *, media_type: str, filename: str, ascii_filename: str | None = None
) -> Response:
    """An attachment with an ASCII fallback name and the Japanese name (RFC 6266 / 5987)."""
    fallback = ascii_filename or filename.encode("ascii", "replace").decode()
    disposition = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def csv_download(text: str, filename: str) -> Response:
    """A CSV Excel opens as Japanese (the text carries its BOM: app.core.spreadsheet_text)."""
    return attachment(text.encode("utf-8"), media_type=CSV_TYPE, filename=filename)
