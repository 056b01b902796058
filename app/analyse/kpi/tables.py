"""Markdown tables: KPI names down a column or across a header, values for this period."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from app.analyse.kpi.labels import Label, column_measure, table_label, without_brackets
from app.analyse.kpi.layout import Candidate, Layout, Line
from app.analyse.kpi.lexicon import NOT_ACTUAL_LABEL
from app.analyse.kpi.periods import Period, any_cue
from app.analyse.kpi.prose import line_candidates
from app.core.normalize import normalize_for_matching
from app.core.text import cell_spans
from app.knowledge.kpi import Kind


@dataclass(frozen=True)
class Frame:
    """What the lines around a table say about all of it."""

    # Under a breakdown or time-scope heading (「## 担当者別」): only total or month titles count.
    totals_only: bool = False
    money_multiplier: float = 1.0  # 「（単位：千円）」 above the table
    unit_column: int | None = None  # a 「単位」 column: each row's unit


def table_candidates(layout: Layout) -> Iterator[Candidate]:
    block: list[Line] = []
    lines = [*layout.lines, Line(0, 0, "blank", 0)]
    for index, line in enumerate(lines):
        if line.kind == "table":
            block.append(line)
            continue
        if block and (not block[0].blocked or block[0].scoped):
            note = _unit_note_above(layout, lines, index - len(block))
            frame = Frame(totals_only=block[0].scoped, money_multiplier=note)
            yield from _one_table(layout, block, frame)
        block = []


# How many lines above a table may hold its unit note (「単位：千円」 under the title).
_UNIT_NOTE_LINES = 3


def _unit_note_above(layout: Layout, lines: Sequence[Line], first: int) -> float:
    """The yen unit a note right above the table gives its bare amounts; 1 when none."""
    seen = 0
    for line in reversed(lines[max(0, first - 2 * _UNIT_NOTE_LINES) : first]):
        if line.kind == "blank":
            continue
        if line.kind == "table" or seen == _UNIT_NOTE_LINES:
            break
        multiplier = layout.lexicon.money_multiplier(layout.text[line.start : line.end])
        if multiplier != 1.0:
            return multiplier
        if line.kind in ("heading", "subheading"):
            break
        seen += 1
    return 1.0


@dataclass(frozen=True)
class Cell:
    text: str  # normalised and trimmed
    start: int
    end: int


def _one_table(layout: Layout, rows: list[Line], frame: Frame) -> Iterator[Candidate]:
    cells = [cells_of(layout.text, row) for row in rows]
    kept = [
        (row, row_cells)
        for row, row_cells in zip(rows, cells, strict=True)
        if row_cells and not is_rule(row_cells)  # 「| 」 cut off at the end: no cells
    ]
    header: list[Cell] | None = None
    if len(kept) >= 2 and _is_header(layout, [c.text for c in kept[0][1]]):
        header, kept = kept[0][1], kept[1:]
        if len(kept) >= 2 and _continues_header(layout, header, kept[0][1]):
            header, kept = _merged_header(header, kept[0][1]), kept[1:]
    body_rows = [row for row, _ in kept]
    body = [row_cells for _, row_cells in kept]
    if not body:
        return
    if header is not None:
        width = max(len(row) for row in body)
        if len(header) == width - 1:  # an aligned header over an empty corner cell
            header = [Cell("", header[0].start, header[0].start), *header]
        units = [i for i, c in enumerate(header) if c.text in layout.lexicon.unit_note_words]
        if units:
            frame = replace(frame, unit_column=units[0])
    found: list[Candidate] = []
    if any(table_label(layout.lexicon, row[0].text) for row in body):
        found = list(_kpis_in_rows(layout, frame, header, body))
    elif header is not None:
        found = list(_kpis_in_columns(layout, frame, header, body_rows, body))
    if found or frame.totals_only:
        yield from found
        return
    # A table of notes (「項目 | 内容」 minutes) states its figures in sentences inside the cells:
    # read each row like a line of prose, its first cell (「2月実績」「3月目標」) as the lead.
    for row in body_rows:
        yield from line_candidates(layout, Line(row.start, row.end, "prose", row.start))


def _continues_header(layout: Layout, header: list[Cell], row: list[Cell]) -> bool:
    """A second title row under merged title cells (「| | 商談 | | 受注 | |」 over
    「| 月 | 計画 | 実績 | 計画 | 実績 |」)."""
    merged = any(not cell.text for cell in header[1:]) and any(cell.text for cell in header[1:])
    return merged and len(row) == len(header) and _is_header(layout, [c.text for c in row])


def _merged_header(top: list[Cell], bottom: list[Cell]) -> list[Cell]:
    """Each column titled by its merged cell above and its own title: 「商談 実績」."""
    merged: list[Cell] = []
    above = ""
    for index, (upper, lower) in enumerate(zip(top, bottom, strict=True)):
        above = upper.text or (above if index > 0 else "")
        merged.append(Cell(f"{above} {lower.text}".strip(), lower.start, lower.end))
    return merged


def _row_title(row: list[Cell], labels: list[Label | None]) -> str:
    """The row's title: its cells before the first KPI column (「総計 |」, 「A | 野口 |」)."""
    first = next((index for index, label in enumerate(labels) if label is not None), 1)
    return " ".join(cell.text for cell in row[:first] if cell.text)


def is_rule(cells: list[Cell]) -> bool:
    return bool(cells) and all(re.fullmatch(r":?[-=_~]{2,}:?", cell.text) for cell in cells)


def is_total(layout: Layout, title: str) -> bool:
    """「合計」「総計」「チーム計」: the month's total under per-person, per-week or per-list rows."""
    text = title.strip()
    if not text or text.endswith(layout.lexicon.subtotal_words):
        return False
    return text in layout.lexicon.total_words or text.endswith(layout.lexicon.total_suffixes)


def _prefer_total(layout: Layout, titles: Sequence[str], indexes: list[int]) -> list[int]:
    """Of tied titles, a total one (the last, 総計 below the 小計s)."""
    totals = [index for index in indexes if is_total(layout, titles[index])]
    return totals[-1:] if totals else indexes


def _is_header(layout: Layout, titles: list[str]) -> bool:
    """A first row whose cells after the first hold no figure names the columns."""
    for title in titles[1:]:
        value = layout.lexicon.value_at(title, 0, len(title))
        if value is not None and not title[value.end :].strip("()%件 "):
            return False
    return True


def cells_of(text: str, row: Line) -> list[Cell]:
    return [
        Cell(normalize_for_matching(text[start:end]), start, end)
        for start, end in cell_spans(text, row.start, row.end)
    ]


@dataclass(frozen=True)
class Title:
    """What a column or row title says: how well it names an actual, and for which month."""

    score: int  # 2: names a month; 1: says 実績/今月; 0: says nothing
    period: Period | None = None  # an earlier month; None: the document's own


def _kpis_in_rows(
    layout: Layout, frame: Frame, header: list[Cell] | None, cells: list[list[Cell]]
) -> Iterator[Candidate]:
    """指標 | 目標 | 4月実績 | 前月: names down the first column, values in the actual column;
    with months as columns (指標 | 8月 | 9月 | 10月), a value for each month. A column titled
    by a measure alone (「金額(円)」「率」) gives that measure of the row's stage (成約 → 受注金額)."""
    width = max(len(row) for row in cells)
    titles = [c.text for c in header[1:]] if header is not None else [""] * (width - 1)
    measures = {i: m for i, t in enumerate(titles) if (m := _own_measure(layout, t)) is not None}
    if frame.unit_column is not None:
        measures[frame.unit_column - 1] = "unit"
    columns = _columns(layout, frame, cells, titles, set(measures))
    for row_cells in cells:
        label = table_label(layout.lexicon, row_cells[0].text)
        if label is None:
            continue
        multiplier = _row_multiplier(layout, frame, label, row_cells)
        for column, title in columns:
            if column + 1 < len(row_cells):
                scale = _scale(layout, multiplier, titles[column])
                yield from _cell_candidate(layout, label, row_cells[column + 1], title, scale)
        if not frame.totals_only:
            found = bool(columns)
            yield from _measure_cells(layout, label, row_cells, titles, measures, multiplier, found)


def _own_measure(layout: Layout, title: str) -> str | None:
    """A column titled by a measure other than a count: 「金額(円)」 amount, 「率」 rate."""
    measure = column_measure(layout.lexicon, title)
    return measure if measure in _UNIT_OF_MEASURE and measure != "count" else None


_UNIT_OF_MEASURE = {"count": "count", "rate": "percent", "amount": "jpy"}


def _measure_cells(
    layout: Layout,
    label: Label,
    row: list[Cell],
    titles: list[str],
    measures: dict[int, str],
    multiplier: float,
    column_found: bool,
) -> Iterator[Candidate]:
    """The row's stage measured in a measure column; or, when a column of actuals was found, a
    yen figure in another neutral column of a stage with an amount (「成約 | 2 | 計128万円」)."""
    fallback = column_found and "amount" not in measures.values()
    for column, title in enumerate(titles):
        measure = measures.get(column)
        if column + 1 >= len(row) or measure == "unit" or _title_score(layout, title) is None:
            continue
        if measure is None and not fallback:
            continue
        key = _measure_key(layout, label, measure or "amount")
        if key is None or key == label.key:
            continue
        sibling = Label(key, label.money_multiplier, label.stage)
        cell = row[column + 1]
        if measure is None:
            value = layout.lexicon.value_at(cell.text, 0, len(cell.text))
            if value is None or value.unit != "jpy":
                continue  # only a figure in yen says it is the amount
        scale = _scale(layout, multiplier, title)
        yield from _cell_candidate(layout, sibling, cell, Title(1), scale)


def _measure_key(layout: Layout, label: Label, measure: str) -> str | None:
    """The KPI a measure of the label's stage is; a non-stage label only its own measure."""
    if label.stage:
        return label.stage.get(measure)
    fits = layout.lexicon.units[label.key] == _UNIT_OF_MEASURE[measure]
    return label.key if fits else None


def _row_multiplier(layout: Layout, frame: Frame, label: Label, row: list[Cell]) -> float:
    """The yen unit of the row's bare amounts: its label's note, its 単位 cell, the table's."""
    if label.money_multiplier != 1.0:
        return label.money_multiplier
    if frame.unit_column is not None and frame.unit_column < len(row):
        found = layout.lexicon.unit_multiplier(row[frame.unit_column].text)
        if found is not None:
            return found
    return frame.money_multiplier


def _scale(layout: Layout, multiplier: float, title: str) -> float:
    """A column's own unit note (「金額(千円)」) wins over the row's and the table's."""
    own = layout.lexicon.money_multiplier(title)
    return own if own != 1.0 else multiplier


def _columns(
    layout: Layout,
    frame: Frame,
    cells: list[list[Cell]],
    titles: list[str],
    excluded: set[int],
) -> list[tuple[int, Title]]:
    """The columns holding actuals: each month's, else the one best naming this period's."""
    meanings = [None if i in excluded else _title(layout, t) for i, t in enumerate(titles)]
    months = [(i, m) for i, m in enumerate(meanings) if m is not None and m.score == 2]
    if months:
        return months
    usable = ["" if i in excluded else title for i, title in enumerate(titles)]
    candidates = [i for i in _best_titles(layout, usable) if i not in excluded]
    columns = _prefer_total(layout, titles, candidates)
    if frame.totals_only:
        columns = [c for c in columns if is_total(layout, titles[c])]
    # 「項目 | 数値 | 備考」: of several unmarked columns, the one holding figures.
    with_figures = [c for c in columns if _column_has_figures(layout, cells, c + 1)]
    column = columns[0] if len(columns) == 1 else _only(with_figures)
    return [] if column is None else [(column, Title(1))]


def _kpis_in_columns(
    layout: Layout, frame: Frame, header: list[Cell], rows: list[Line], cells: list[list[Cell]]
) -> Iterator[Candidate]:
    """月 | 架電数 | アポ数: names across the header, values in the row for this period, or a
    value for each month when the rows are months."""
    labels = [table_label(layout.lexicon, cell.text) for cell in header]
    chosen: list[tuple[int, Title]]
    if labels[0] is not None:  # no row titles at all: only a single row is unambiguous
        chosen = [(0, Title(1))] if len(rows) == 1 and not frame.totals_only else []
    else:
        titles = [_row_title(row, labels) for row in cells]
        meanings = [_title(layout, title) for title in titles]
        chosen = [(i, m) for i, m in enumerate(meanings) if m is not None and m.score == 2]
        if not chosen:
            best = _prefer_total(layout, titles, _best_titles(layout, titles))
            if frame.totals_only:
                best = [i for i in best if is_total(layout, titles[i])]
            only = _only(best)
            chosen = [] if only is None else [(only, Title(1))]
    for row_index, title in chosen:
        for index, label in enumerate(labels):
            if label is not None and index < len(cells[row_index]):
                scale = _scale(layout, frame.money_multiplier, header[index].text)
                cell = cells[row_index][index]
                yield from _cell_candidate(layout, label, cell, title, scale)


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


def _column_has_figures(layout: Layout, cells: list[list[Cell]], column: int) -> bool:
    for row in cells:
        label = table_label(layout.lexicon, row[0].text)
        if label is None or column >= len(row):
            continue
        if _cell_value(layout, label, row[column].text, 1.0) is not None:
            return True
    return False


def _title(layout: Layout, title: str) -> Title | None:
    """A title's meaning; None: a target, plan, ratio, or a month not placed in the past."""
    score = _title_score(layout, title)
    if score != 2:
        return None if score is None else Title(score)
    months = [
        t for t in layout.lexicon.tokens(normalize_for_matching(title)) if t.kind is Kind.MONTH
    ]
    own = layout.period
    if own is None or not own.conflicts(months[-1]):
        return Title(2)
    resolved = own.resolve(months[-1])
    return None if resolved is None else Title(2, resolved)


def _title_score(layout: Layout, title: str) -> int | None:
    """2: names this month; 1: says 実績/今月; 0: says nothing; None: target, plan, other period."""
    key = (title, layout.period)
    cached = layout.lexicon.title_cache.get(key)
    if cached is None:
        cached = (_read_title_score(layout, title),)
        layout.lexicon.title_cache.put(key, cached)
    return cached[0]


def _read_title_score(layout: Layout, title: str) -> int | None:
    tokens = layout.lexicon.tokens(normalize_for_matching(title))
    kinds = {token.kind for token in tokens}
    if any_cue(tokens, NOT_ACTUAL_LABEL, layout.period):
        return None
    months = [token for token in tokens if token.kind is Kind.MONTH]
    if months:
        if layout.period is None or len({(m.year, m.month) for m in months}) > 1:
            return None  # a month not placed in a year, or a span of months
        if layout.period.resolve(months[-1]) is None:
            return None  # a later month: a plan
        return 2
    return 1 if kinds & {Kind.ACTUAL, Kind.CURRENT} else 0


def _cell_candidate(
    layout: Layout, label: Label, cell: Cell, title: Title, multiplier: float
) -> Iterator[Candidate]:
    """The cell's figure, cited to the cell itself."""
    value = _cell_value(layout, label, cell.text, multiplier)
    if value is not None:
        rank = 1 if label.qualified else 0
        yield Candidate(label.key, value, cell.start, rank, (cell.start, cell.end), title.period)


def _cell_value(layout: Layout, label: Label, cell: str, multiplier: float) -> float | None:
    """The figure in a cell holding just a figure (and perhaps a bracketed note)."""
    text = normalize_for_matching(cell).strip()
    value = layout.lexicon.value_at(text, 0, len(text))
    if value is None or not layout.lexicon.fits(label.key, value, bare_allowed=True):
        return None  # 「―」, or a unit that does not fit
    if any(char.isalnum() for char in without_brackets(text[value.end :])):
        return None  # words or a second number after the figure: not a plain cell
    if value.unit is None and layout.lexicon.units[label.key] == "jpy":
        return value.number * multiplier
    return value.number
