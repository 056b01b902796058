"""Turn an uploaded file into text: .txt/.md (UTF-8 or Shift_JIS/CP932), .docx, .pdf, and
spreadsheets (.xlsx/.csv, rendered as Markdown tables by `app.ingest.spreadsheet`)."""

from __future__ import annotations

import io
import unicodedata
from pathlib import PurePath

from charset_normalizer import from_bytes

from app.errors import InvalidInput, TooLarge, UnsupportedMediaType

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".csv", ".tsv"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | SPREADSHEET_SUFFIXES | {".docx", ".pdf"}
ACCEPTED_LABEL = ".txt / .md / .docx / .pdf / .xlsx / .csv"
JAPANESE_FALLBACKS = {"utf_16", "euc_jp", "iso2022_jp", "shift_jis_2004", "euc_jis_2004"}


def extract_text(*, filename: str, data: bytes, max_bytes: int) -> str:
    """Decode by file type; every failure is a user-facing Japanese error."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedMediaType(
            f"対応していないファイル形式です（{suffix or '拡張子なし'}）。"
            f"{ACCEPTED_LABEL} をアップロードしてください。"
        )
    if len(data) > max_bytes:
        raise TooLarge(f"ファイルが大きすぎます（上限 {max_bytes // (1024 * 1024)} MB）。")
    if not data:
        raise InvalidInput("ファイルが空です。")
    if suffix in TEXT_SUFFIXES:
        return decode_text(data)
    if suffix in SPREADSHEET_SUFFIXES:
        from app.ingest.spreadsheet import (
            spreadsheet_text,
        )  # spreadsheet reads text via decode_text

        return spreadsheet_text(filename, data)
    if suffix == ".docx":
        return _docx_text(data)
    return _pdf_text(data)


def decode_text(data: bytes) -> str:
    """UTF-8 first (the common case), then CP932 (a superset of Shift_JIS), then other
    Japanese encodings by detection; binary data is refused rather than stored as noise."""
    text: str | None = None
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        best = from_bytes(data).best()
        if best is not None and best.encoding in JAPANESE_FALLBACKS:
            text = str(best)
    if text is None or _looks_binary(text):
        raise InvalidInput(
            "ファイルの文字コードを判別できませんでした。UTF-8 または Shift_JIS で保存し直してください。"
        )
    return text


def _looks_binary(text: str) -> bool:
    controls = sum(
        1 for char in text if unicodedata.category(char) == "Cc" and char not in "\r\n\t"
    )
    return "\x00" in text or controls > max(3, len(text) // 100)


def _docx_text(data: bytes) -> str:
    import docx  # local import: python-docx is only needed for uploads

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many types for a corrupt file
        raise InvalidInput("Word ファイル（.docx）を読み込めませんでした。") from error
    blocks: list[str] = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        if not rows:
            continue
        blocks.append("| " + " | ".join(rows[0]) + " |")
        blocks.append("|" + "---|" * len(rows[0]))
        blocks.extend("| " + " | ".join(row) + " |" for row in rows[1:])
    return "\n".join(blocks)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as error:
        raise InvalidInput("PDF を読み込めませんでした。") from error
    # PDF text layers often carry Kangxi radicals (⽅ for 方); NFKC maps them back.
    text = "\n".join(unicodedata.normalize("NFKC", page) for page in pages)
    if not text.strip():
        raise InvalidInput(
            "PDF にテキストがありません（スキャン画像の PDF には対応していません）。"
        )
    return text
