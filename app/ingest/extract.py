"""Turn an uploaded file into text: .txt/.md (UTF-8 or Shift_JIS/CP932), .docx, .pdf, and
spreadsheets (.xlsx/.csv, rendered as Markdown tables by `app.ingest.spreadsheet`)."""

from __future__ import annotations

import io
import multiprocessing
import unicodedata
import zipfile
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, TypeVar

from charset_normalizer import from_bytes
from pebble import ProcessExpired, concurrent

from app.errors import InvalidInput, TooLarge, UnsupportedMediaType

T = TypeVar("T")

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".csv", ".tsv"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | SPREADSHEET_SUFFIXES | {".docx", ".pdf"}
ACCEPTED_LABEL = ".txt / .md / .docx / .pdf / .xlsx / .csv"
JAPANESE_FALLBACKS = {"utf_16", "euc_jp", "iso2022_jp", "shift_jis_2004", "euc_jis_2004"}


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what a .docx/.xlsx (a zip) may unpack to, read from its directory before any
    member is inflated: a 230 KB file of 69 MB of XML took 90 s and 1.8 GB to parse."""

    max_unpacked_bytes: int = 64 * 1024 * 1024
    max_compression_ratio: int = 100
    max_entries: int = 2_000
    # Small members may compress very well (an empty sheet, a style list): ratio not checked.
    ratio_floor_bytes: int = 1024 * 1024


ARCHIVE_LIMITS = ArchiveLimits()


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


def extract_text_isolated(*, filename: str, data: bytes, max_bytes: int, timeout_s: float) -> str:
    """`extract_text` in a separate process, killed after `timeout_s`: a parser stuck in C
    code or blowing up memory takes neither the server's event loop nor its RAM with it."""
    return run_isolated(
        extract_text,
        timeout_s=timeout_s,
        what="ファイルの読み込み",
        filename=filename,
        data=data,
        max_bytes=max_bytes,
    )


def run_isolated(function: Callable[..., T], *, timeout_s: float, what: str, **kwargs: Any) -> T:
    """Run a module-level function in a fresh worker process with a hard time limit.

    Workers fork from a single-threaded forkserver (never from the server, whose threads
    may hold locks), which has the parsers imported already, so each call starts quickly.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["app.ingest.extract", "app.ingest.spreadsheet"])
    run = concurrent.process(timeout=timeout_s, daemon=True, mp_context=context)(function)
    future = run(**kwargs)
    try:
        result: T = future.result()
    except FutureTimeout as error:
        raise TooLarge(
            f"{what}が{timeout_s:g}秒以内に終わらなかったため中止しました。何も保存されていません。"
            "ファイルを分けるか、テキストを貼り付けてください。"
        ) from error
    except ProcessExpired as error:  # killed by the OS, typically for memory
        raise TooLarge(
            f"{what}の途中で処理が停止しました（ファイルが大きすぎる可能性があります）。"
            "何も保存されていません。"
        ) from error
    return result


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
    # A stray NUL alone is not binary: the text rule (ingest's clean_text) names it instead.
    return controls > max(3, len(text) // 100)


def check_archive(data: bytes, *, label: str, limits: ArchiveLimits = ARCHIVE_LIMITS) -> None:
    """Refuse what is not a zip, or would unpack far beyond its size (a zip bomb).

    The sizes come from the zip directory; `zipfile` never inflates a member past its declared
    size (it stops there and fails the CRC check), so a lying directory cannot get past this.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise InvalidInput(
            f"{label}として読み込めませんでした。ファイルが壊れていないか確認してください。"
        ) from error
    if len(entries) > limits.max_entries:
        raise TooLarge(
            f"{label}の中身が多すぎます（{len(entries):,}個。上限は{limits.max_entries:,}個です）。"
            "不要なシートや画像を削除してからアップロードしてください。"
        )
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise InvalidInput(
            "パスワードで保護されたファイルは読み込めません。保護を解除してからアップロードしてください。"
        )
    unpacked = sum(entry.file_size for entry in entries)
    suspicious = any(
        entry.file_size > limits.ratio_floor_bytes
        and entry.file_size > limits.max_compression_ratio * max(1, entry.compress_size)
        for entry in entries
    )
    if unpacked > limits.max_unpacked_bytes or suspicious:
        raise TooLarge(
            f"{label}の展開後のサイズが大きすぎます（{unpacked / (1024 * 1024):,.0f} MB。"
            f"上限は{limits.max_unpacked_bytes // (1024 * 1024)} MB、圧縮率は{limits.max_compression_ratio}倍までです）。"
            "必要な部分だけを残して保存し直してください。"
        )


def _docx_text(data: bytes) -> str:
    import docx  # local import: python-docx is only needed for uploads

    check_archive(data, label="Word ファイル（.docx）")

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
    # Some PDF writers' text layers carry NULs between glyphs: extraction noise, not text.
    text = text.replace("\x00", "")
    if not text.strip():
        raise InvalidInput(
            "PDF にテキストがありません（スキャン画像の PDF には対応していません）。"
        )
    return text
