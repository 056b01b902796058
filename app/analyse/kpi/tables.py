"""Markdown tables: KPI names down a column or across a header, values for this period."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.analyse.kpi.layout import Candidate, Layout, Line
from app.analyse.kpi.lexicon import NOT_ACTUAL_LABEL, Period, any_cue
from app.analyse.kpi.prose import line_candidates
from app.core.normalize import normalize_for_matching
from app.core.text import cell_spans
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


@dataclass(frozen=True)
class Cell:
    text: str  # normalised and trimmed
    start: int
    end: int


def _one_table(layout: Layout, rows: list[Line]) -> Iterator[Candidate]:
    cells = [_cells(layout.text, row) for row in rows]
    kept = [
        (row, row_cells) for row, row_cells in zip(rows, cells, strict=True) if not _rule(row_cells)
    ]
    header: list[Cell] | None = None
    if len(kept) >= 2 and _is_header(layout, [c.text for c in kept[0][1]]):
        header, kept = kept[0][1], kept[1:]
    body_rows = [row for row, _ in kept]
    body = [row_cells for _, row_cells in kept]
    if not body:
        return
    if header is not None:
        width = max(len(row) for row in body)
        if len(header) == width - 1:  # an aligned header over an empty corner cell
            header = [Cell("", header[0].start, header[0].start), *header]
    found: list[Candidate] = []
    if any(_label(layout, row[0].text) for row in body):
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


def _row_title(row: list[Cell], labels: list[Label | None]) -> str:
    """The row's title: its cells before the first KPI column (「総計 |」, 「A | 野口 |」)."""
    first = next((index for index, label in enumerate(labels) if label is not None), 1)
    return " ".join(cell.text for cell in row[:first] if cell.text)


def _rule(cells: list[Cell]) -> bool:
    return bool(cells) and all(re.fullmatch(r":?[-=_~]{2,}:?", cell.text) for cell in cells)


def _is_total(layout: Layout, title: str) -> bool:
    """「合計」「総計」「チーム計」: the month's total under per-person, per-week or per-list rows."""
    text = title.strip()
    if not text or text.endswith(layout.lexicon.subtotal_words):
        return False
    return text in layout.lexicon.total_words or text.endswith(layout.lexicon.total_suffixes)


def _prefer_total(layout: Layout, titles: Sequence[str], indexes: list[int]) -> list[int]:
    """Of tied titles, a total one (the last, 総計 below the 小計s)."""
    totals = [index for index in indexes if _is_total(layout, titles[index])]
    return totals[-1:] if totals else indexes


def _is_header(layout: Layout, titles: list[str]) -> bool:
    """A first row whose cells after the first hold no figure names the columns."""
    for title in titles[1:]:
        value = layout.lexicon.value_at(title, 0, len(title))
        if value is not None and not title[value.end :].strip("()%件 "):
            return False
    return True


def _cells(text: str, row: Line) -> list[Cell]:
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
    layout: Layout, header: list[Cell] | None, rows: list[Line], cells: list[list[Cell]]
) -> Iterator[Candidate]:
    """指標 | 目標 | 4月実績 | 前月: names down the first column, values in the actual column;
    with months as columns (指標 | 8月 | 9月 | 10月), a value for each month."""
    width = max(len(row) for row in cells)
    titles = [c.text for c in header[1:]] if header is not None else [""] * (width - 1)
    columns = _columns(layout, cells, titles)
    for row_cells in cells:
        label = _label(layout, row_cells[0].text)
        if label is None:
            continue
        for column, title in columns:
            if column + 1 < len(row_cells):
                yield from _cell_candidate(layout, label, row_cells[column + 1], title)


def _columns(layout: Layout, cells: list[list[Cell]], titles: list[str]) -> list[tuple[int, Title]]:
    """The columns holding actuals: each month's, else the one best naming this period's."""
    meanings = [_title(layout, title) for title in titles]
    months = [(i, m) for i, m in enumerate(meanings) if m is not None and m.score == 2]
    if months:
        return months
    columns = _prefer_total(layout, titles, _best_titles(layout, titles))
    # 「項目 | 数値 | 備考」: of several unmarked columns, the one holding figures.
    with_figures = [c for c in columns if _column_has_figures(layout, cells, c + 1)]
    column = columns[0] if len(columns) == 1 else _only(with_figures)
    return [] if column is None else [(column, Title(1))]


def _kpis_in_columns(
    layout: Layout, header: list[Cell], rows: list[Line], cells: list[list[Cell]]
) -> Iterator[Candidate]:
    """月 | 架電数 | アポ数: names across the header, values in the row for this period, or a
    value for each month when the rows are months."""
    labels = [_label(layout, cell.text) for cell in header]
    chosen: list[tuple[int, Title]]
    if labels[0] is not None:  # no row titles at all: only a single row is unambiguous
        chosen = [(0, Title(1))] if len(rows) == 1 else []
    else:
        titles = [_row_title(row, labels) for row in cells]
        meanings = [_title(layout, title) for title in titles]
        chosen = [(i, m) for i, m in enumerate(meanings) if m is not None and m.score == 2]
        if not chosen:
            only = _only(_prefer_total(layout, titles, _best_titles(layout, titles)))
            chosen = [] if only is None else [(only, Title(1))]
    for row_index, title in chosen:
        for index, label in enumerate(labels):
            if label is not None and index < len(cells[row_index]):
                yield from _cell_candidate(layout, label, cells[row_index][index], title)


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
        label = _label(layout, row[0].text)
        if label is None or column >= len(row):
            continue
        if _cell_value(layout, label, row[column].text) is not None:
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


def _cell_candidate(layout: Layout, label: Label, cell: Cell, title: Title) -> Iterator[Candidate]:
    """The cell's figure, cited to the cell itself."""
    value = _cell_value(layout, label, cell.text)
    if value is not None:
        yield Candidate(label.key, value, cell.start, 0, (cell.start, cell.end), title.period)


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


@dataclass(frozen=True)
class UnrecognisedRow:
    label: str
    value_text: str
    span: tuple[int, int]  # normalised span of the row


def unrecognised_rows(layout: Layout) -> Iterator[UnrecognisedRow]:
    """Table rows with a figure whose label names no KPI and no known word (for the user to map).

    Rows titled by a person, team, week, month or total are parts or periods, not labels.
    """
    block: list[Line] = []
    for line in [*layout.lines, Line(0, 0, "blank", 0)]:
        if line.kind == "table":
            block.append(line)
            continue
        for row in block[1:] if len(block) > 1 else []:
            cells = _cells(layout.text, row)
            if len(cells) < 2 or _rule(cells):
                continue
            label = cells[0].text
            if not label or len(label) > _MAX_LABEL_CHARS or _is_total(layout, label):
                continue
            if layout.lexicon.tokens(label) or not any(c.isalpha() for c in label):
                continue
            figure = next((c for c in cells[1:] if _plain_figure(layout, c.text)), None)
            if figure is not None and _looks_like_metric(layout, label):
                yield UnrecognisedRow(label, figure.text, (row.start, row.end))
        block = []


# A label longer than this is a note, not a metric name.
_MAX_LABEL_CHARS = 20


def _plain_figure(layout: Layout, text: str) -> bool:
    value = layout.lexicon.value_at(text, 0, len(text))
    return value is not None and not text[value.end :].strip()


def _looks_like_metric(layout: Layout, label: str) -> bool:
    """A metric name ends in a measure word (数, 件数, 率, 額, count, rate…); a name does not."""
    measures = layout.lexicon.knowledge.labels
    if measures is None:
        return False
    suffixes = [normalize_for_matching(s) for terms in measures.measures.values() for s in terms]
    return label.endswith(tuple(suffixes))
