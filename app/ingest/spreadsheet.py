"""Spreadsheets (.xlsx, .csv, .tsv) as text: each sheet a `## <sheet>` heading and Markdown tables.

Rendering as Markdown keeps one row per line, so a citation points at a row and the KPI
reader's table code reads sheets the same way as a pasted table. The workbook is checked
against size limits before openpyxl (read-only mode) sees it, so a zip bomb or a sheet of a
million cells is refused rather than parsed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any
from xml.etree.ElementTree import ParseError, iterparse

from app.errors import InvalidInput, TooLarge, UnsupportedMediaType
from app.ingest.extract import ArchiveLimits, check_archive, decode_text

# An encrypted (password-protected) .xlsx, and the old .xls, are OLE compound files, not zips.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Excel writes large numbers into CSV as 1.65E+06: read back as the number it is.
SCIENTIFIC = re.compile(r"-?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+")
MERGE_CELL_TAG = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"


@dataclass(frozen=True)
class SpreadsheetLimits:
    """Bounds that keep one upload from taking the worker's memory or minutes of CPU."""

    max_sheets: int = 50
    max_cells: int = 200_000
    max_columns: int = 200
    max_unpacked_bytes: int = 64 * 1024 * 1024
    max_compression_ratio: int = 200
    max_zip_entries: int = 2_000


LIMITS = SpreadsheetLimits()


def spreadsheet_text(filename: str, data: bytes, *, limits: SpreadsheetLimits = LIMITS) -> str:
    """Every non-empty sheet of the file as Markdown; a clear Japanese error otherwise."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in {".csv", ".tsv"}:
        name = PurePath(filename).stem or "CSV"
        text = rows_to_markdown(name, _csv_rows(data, suffix=suffix, limits=limits))
    elif suffix in {".xlsx", ".xlsm"}:
        text = "\n\n".join(_workbook_sheets(data, limits=limits))
    else:
        raise UnsupportedMediaType(
            f"表計算ファイルとして読めない形式です（{suffix or '拡張子なし'}）。"
        )
    if not text.strip():
        raise InvalidInput(
            "シートにデータがありません。値の入ったシートを含むファイルをアップロードしてください。"
        )
    return text


# --- rendering -----------------------------------------------------------------------------


def rows_to_markdown(sheet_name: str, rows: list[list[object]]) -> str:
    """One sheet as `## name` and its tables; blank rows separate tables, a lone cell above a
    table (a title such as 「2月度 活動報告」) stays a line of its own."""
    blocks: list[str] = []
    for block in _blocks([[cell_text(cell) for cell in row] for row in rows]):
        blocks.append(_render_block(block))
    body = "\n\n".join(block for block in blocks if block)
    if not body:
        return ""
    return f"## {sheet_name.strip() or 'シート'}\n\n{body}"


def cell_text(value: object, number_format: str | None = None) -> str:
    """A cell as a person reads it: 1650000 (not 1.65e+06), 12.5, 12.5% for a percent cell,
    dates as ISO (a month-only format as 2026年2月)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            return f"{_number(float(value) * 100)}%"
        return _number(value)
    if isinstance(value, dt.datetime | dt.date):
        return _date_text(value, number_format)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    text = str(value).replace("\r\n", "\n").replace("\n", " ").strip()
    return text.replace("|", "\\|")


def _number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return ""
    # 12 significant digits drop the binary noise of formulas (1650000.0000000002).
    rounded = float(f"{value:.12g}")
    if rounded.is_integer():
        return str(int(rounded))
    return format(Decimal(repr(rounded)), "f")


def _date_text(value: dt.date, number_format: str | None) -> str:
    fmt = (number_format or "").lower()
    if fmt and "d" not in fmt and "m" in fmt and "h" not in fmt:
        return f"{value.year}年{value.month}月"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    return value.isoformat()


def _blocks(rows: list[list[str]]) -> Iterator[list[list[str]]]:
    block: list[list[str]] = []
    for row in rows:
        if any(row):
            block.append(row)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _render_block(rows: list[list[str]]) -> str:
    lines: list[str] = []
    # Title lines: single-cell rows above the first row with two or more values.
    while (
        rows
        and sum(1 for cell in rows[0] if cell) == 1
        and any(sum(1 for cell in row if cell) > 1 for row in rows[1:])
    ):
        lines.append(next(cell for cell in rows[0] if cell))
        rows = rows[1:]
    if rows and all(sum(1 for cell in row if cell) <= 1 for row in rows):
        lines.extend(next(cell for cell in row if cell) for row in rows)
        return "\n".join(lines)
    if rows:
        used = [
            index for index in range(max(len(row) for row in rows)) if _column_used(rows, index)
        ]
        table = [[row[index] if index < len(row) else "" for index in used] for row in rows]
        if lines:
            lines.append("")
        lines.append(_table_row(table[0]))
        lines.append("|" + "---|" * len(used))
        lines.extend(_table_row(row) for row in table[1:])
    return "\n".join(lines)


def _column_used(rows: list[list[str]], index: int) -> bool:
    return any(index < len(row) and row[index] for row in rows)


def _table_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


# --- CSV -----------------------------------------------------------------------------------


def _csv_rows(data: bytes, *, suffix: str, limits: SpreadsheetLimits) -> list[list[object]]:
    text = decode_text(data)  # the one decoder of text uploads: UTF-8, CP932, then detection
    delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(text)
    rows: list[list[object]] = []
    cells = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            cells += len(row)
            if cells > limits.max_cells or len(row) > limits.max_columns:
                raise _too_many_cells(limits)
            rows.append(
                [_number(float(cell)) if SCIENTIFIC.fullmatch(cell) else cell for cell in row]
            )
    except csv.Error as error:
        raise InvalidInput(f"CSV を読み込めませんでした（{error}）。") from error
    return rows


def _sniff_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",\t;").delimiter
    except csv.Error:
        return ","


# --- xlsx ----------------------------------------------------------------------------------


def _workbook_sheets(data: bytes, *, limits: SpreadsheetLimits) -> Iterator[str]:
    if data.startswith(OLE_MAGIC):
        raise InvalidInput(
            "パスワードで保護されたファイル、または古い Excel 形式（.xls）は読み込めません。"
            "保護を解除し、.xlsx 形式で保存し直してからアップロードしてください。"
        )
    _check_archive(data, limits=limits)
    from openpyxl import load_workbook  # local import: only uploads need openpyxl

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise InvalidInput(
            "Excel ファイル（.xlsx）を読み込めませんでした。ファイルが壊れていないか確認してください。"
        ) from error
    try:
        if len(workbook.worksheets) > limits.max_sheets:
            raise TooLarge(f"シートが多すぎます（上限 {limits.max_sheets} シート）。")
        budget = [limits.max_cells]
        rendered: list[str] = []
        for sheet in workbook.worksheets:
            if not hasattr(sheet, "iter_rows"):  # chart sheets have no cells
                continue
            rows = _sheet_rows(sheet, limits=limits, budget=budget)
            text = rows_to_markdown(str(sheet.title), rows)
            if text:
                rendered.append(text)
    except (KeyError, ValueError, ParseError, zipfile.BadZipFile) as error:
        raise InvalidInput(
            "Excel ファイル（.xlsx）を読み込めませんでした。ファイルが壊れていないか確認してください。"
        ) from error
    finally:
        workbook.close()
    return iter(rendered)


def _check_archive(data: bytes, *, limits: SpreadsheetLimits) -> None:
    """Refuse what is not a zip, or would unpack far beyond its size (a zip bomb)."""
    check_archive(
        data,
        label="Excel ファイル（.xlsx）",
        limits=ArchiveLimits(
            max_unpacked_bytes=limits.max_unpacked_bytes,
            max_compression_ratio=limits.max_compression_ratio,
            max_entries=limits.max_zip_entries,
        ),
    )


def _sheet_rows(sheet: Any, *, limits: SpreadsheetLimits, budget: list[int]) -> list[list[object]]:
    """Cell texts row by row, merged ranges filled with their top-left value and a
    multi-row header under merged cells folded into one (「1月 実績」)."""
    grid: list[list[object]] = []
    # One column past the limit is read to tell "too wide" from "formatted but empty".
    for row in sheet.iter_rows(max_col=limits.max_columns + 1):
        if len(row) > limits.max_columns and row[limits.max_columns].value is not None:
            raise TooLarge(
                f"シート「{sheet.title}」の列が多すぎます（上限 {limits.max_columns} 列）。"
            )
        row = row[: limits.max_columns]
        budget[0] -= len(row)
        if budget[0] < 0:
            raise _too_many_cells(limits)
        grid.append([cell_text(cell.value, getattr(cell, "number_format", None)) for cell in row])
    merges = list(_merged_ranges(sheet))
    for min_row, min_col, max_row, max_col in merges:
        if min_row - 1 >= len(grid):
            continue
        top_left = _at(grid, min_row - 1, min_col - 1)
        for row_index in range(min_row - 1, min(max_row, len(grid))):
            row = grid[row_index]
            row.extend([""] * (max_col - len(row)))
            for col_index in range(min_col - 1, max_col):
                row[col_index] = top_left
    return _fold_header(grid, merges)


def _at(grid: list[list[object]], row: int, col: int) -> object:
    return grid[row][col] if row < len(grid) and col < len(grid[row]) else ""


def _merged_ranges(sheet: Any) -> Iterable[tuple[int, int, int, int]]:
    """Read-only worksheets do not expose merged cells: read `<mergeCell ref>` from the sheet
    XML (openpyxl's own source handle; it comes after the cells, so this is a second pass)."""
    from openpyxl.utils.cell import range_boundaries

    get_source = getattr(sheet, "_get_source", None)
    if get_source is None:
        return []
    ranges: list[tuple[int, int, int, int]] = []
    with get_source() as source:
        for _event, element in iterparse(source):
            if element.tag == MERGE_CELL_TAG and element.get("ref"):
                min_col, min_row, max_col, max_row = range_boundaries(element.get("ref", ""))
                if None not in (min_col, min_row, max_col, max_row):
                    ranges.append((min_row, min_col, max_row, max_col))
            element.clear()
    return ranges


def _fold_header(
    grid: list[list[object]], merges: list[tuple[int, int, int, int]]
) -> list[list[object]]:
    """A header row with cells merged across columns, over a row of sub-headers, becomes one
    header row so each column names both (「2026年1月 目標」, 「2026年1月 実績」)."""
    start = next((index for index, row in enumerate(grid) if sum(1 for c in row if c) > 1), None)
    if start is None or start + 1 >= len(grid):
        return grid
    spans_columns = any(
        min_row - 1 == start and max_col > min_col and max_row - 1 == start
        for min_row, min_col, max_row, max_col in merges
    )
    below = grid[start + 1]
    if not spans_columns or not any(below) or any(_numeric(cell) for cell in below):
        return grid
    top = grid[start]
    width = max(len(top), len(below))
    folded: list[object] = []
    for index in range(width):
        parts = [str(_at(grid, start, index)), str(_at(grid, start + 1, index))]
        unique = [
            part for position, part in enumerate(parts) if part and part not in parts[:position]
        ]
        folded.append(" ".join(unique))
    return [*grid[:start], folded, *grid[start + 2 :]]


def _numeric(cell: object) -> bool:
    text = str(cell).replace(",", "").rstrip("%")
    try:
        float(text)
    except ValueError:
        return False
    return True


def _too_many_cells(limits: SpreadsheetLimits) -> TooLarge:
    return TooLarge(
        f"セルが多すぎます（上限 {limits.max_cells:,} セル）。必要な範囲だけを残して保存し直してください。"
    )
