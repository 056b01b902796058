"""Markdown tables: KPI names down a column or across a header, values for this period."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.analyse.kpi.layout import Candidate, Layout, Line
from app.analyse.kpi.lexicon import NOT_ACTUAL_LABEL, Period, any_cue
from app.analyse.kpi.prose import line_candidates
from app.core.normalize import normalize_for_matching
from app.knowledge.kpi import Kind


@dataclass(frozen=True)
class Label:
    key: str
    money_multiplier: float


def table_candidates(layout: Layout) -> Iterator[Candidate]:
    block: list[Line] = []
    for line in [*layout.lines, Line(0, 0, "blank", 0)]:
        if line.kind == "table":
            block.append(line)
            continue
        if block and not block[0].blocked:
            yield from _one_table(layout, block)
        block = []


def _one_table(layout: Layout, rows: list[Line]) -> Iterator[Candidate]:
    cells = [_cells(layout.text, row) for row in rows]
    header: list[str] | None = None
    body_rows, body = rows, cells
    if len(cells) >= 2 and all(re.fullmatch(r":?-+:?", cell) for cell in cells[1]):
        header, body_rows, body = cells[0], rows[2:], cells[2:]
    found: list[Candidate] = []
    if any(_label(layout, row[0]) for row in body):
        found = list(_kpis_in_rows(layout, header, body_rows, body))
    elif header is not None:
        found = list(_kpis_in_columns(layout, header, body_rows, body))
    if found:
        yield from found
        return
    # A table of notes (「項目 | 内容」 minutes) states its figures in sentences inside the cells:
    # read each row like a line of prose, its first cell (「2月実績」「3月目標」) as the lead.
    for row in body_rows:
        yield from line_candidates(layout, Line(row.start, row.end, "prose", row.start))


def _cells(text: str, row: Line) -> list[str]:
    return [cell.strip() for cell in text[row.start : row.end].strip("|").split("|")]


def _kpis_in_rows(
    layout: Layout, header: list[str] | None, rows: list[Line], cells: list[list[str]]
) -> Iterator[Candidate]:
    """指標 | 目標 | 4月実績 | 前月: names down the first column, values in the actual column."""
    width = max(len(row) for row in cells)
    column_titles = header[1:] if header is not None else [""] * (width - 1)
    columns = _best_titles(layout, column_titles)
    # 「項目 | 数値 | 備考」: of several unmarked columns, the one holding figures.
    with_figures = [c for c in columns if _column_has_figures(layout, cells, c + 1)]
    column = columns[0] if len(columns) == 1 else _only(with_figures)
    if column is None:
        return
    for row, row_cells in zip(rows, cells, strict=True):
        label = _label(layout, row_cells[0])
        if label is not None and column + 1 < len(row_cells):
            yield from _cell_candidate(layout, label, row_cells[column + 1], row)


def _kpis_in_columns(
    layout: Layout, header: list[str], rows: list[Line], cells: list[list[str]]
) -> Iterator[Candidate]:
    """月 | 架電数 | アポ数: names across the header, values in the row for this period."""
    labels = [_label(layout, cell) for cell in header]
    if labels[0] is not None:  # no row titles at all: only a single row is unambiguous
        chosen = 0 if len(rows) == 1 else None
    else:
        chosen = _only(_best_titles(layout, [row[0] for row in cells]))
    if chosen is None:
        return
    for index, label in enumerate(labels):
        if label is not None and index < len(cells[chosen]):
            yield from _cell_candidate(layout, label, cells[chosen][index], rows[chosen])


def _best_titles(layout: Layout, titles: Sequence[str]) -> list[int]:
    """Indexes of the column or row titles that best name this period's actuals.

    Several indexes mean a tie: two 実績 columns, or unmarked ones (「A社 | B社」「第1週」…).
    """
    scores = [_title_score(layout, title) for title in titles]
    usable = [score for score in scores if score is not None]
    if not usable:
        return []
    return [index for index, score in enumerate(scores) if score == max(usable)]


def _only(indexes: Sequence[int]) -> int | None:
    return indexes[0] if len(indexes) == 1 else None


def _column_has_figures(layout: Layout, cells: list[list[str]], column: int) -> bool:
    for row in cells:
        label = _label(layout, row[0])
        if label is None or column >= len(row):
            continue
        if _cell_value(layout, label, row[column]) is not None:
            return True
    return False


def _title_score(layout: Layout, title: str) -> int | None:
    """2: names this month; 1: says 実績/今月; 0: says nothing; None: target, plan, other period."""
    tokens = layout.lexicon.tokens(normalize_for_matching(title))
    kinds = {token.kind for token in tokens}
    if any_cue(tokens, NOT_ACTUAL_LABEL, layout.period):
        return None
    months = [token for token in tokens if token.kind is Kind.MONTH]
    if months:
        return None if all(Period.unknown_or_other(layout.period, m) for m in months) else 2
    return 1 if kinds & {Kind.ACTUAL, Kind.CURRENT} else 0


def _label(layout: Layout, cell: str) -> Label | None:
    """The KPI a row or column title names, when it is the head noun and nothing qualifies it."""
    text = normalize_for_matching(cell)
    if any(token.kind in NOT_ACTUAL_LABEL for token in layout.lexicon.tokens(text)):
        return None  # 「アポ数（前月）」「累計アポ数」「達成率」
    outside = _without_brackets(text)
    names = [token for token in layout.lexicon.tokens(outside) if token.kind is Kind.KPI]
    if len(names) != 1 or outside[names[0].end :].strip():
        return None  # 「架電済み」: the KPI name is not the head noun
    return Label(names[0].key, layout.lexicon.money_multiplier(text))


def _without_brackets(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", "", text)
    return text


def _cell_candidate(layout: Layout, label: Label, cell: str, row: Line) -> Iterator[Candidate]:
    value = _cell_value(layout, label, cell)
    if value is not None:
        yield Candidate(label.key, value, row.start, 0, (row.start, row.end))


def _cell_value(layout: Layout, label: Label, cell: str) -> float | None:
    """The figure in a cell holding just a figure (and perhaps a bracketed note)."""
    text = normalize_for_matching(cell).strip()
    value = layout.lexicon.value_at(text, 0, len(text))
    if value is None or not layout.lexicon.fits(label.key, value, bare_allowed=True):
        return None  # 「―」, or a unit that does not fit
    if any(char.isalnum() for char in _without_brackets(text[value.end :])):
        return None  # words or a second number after the figure: not a plain cell
    if value.unit is None and layout.lexicon.units[label.key] == "jpy":
        return value.number * label.money_multiplier
    return value.number
