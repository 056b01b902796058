"""Table rows that look like KPIs the reader does not know, for the user to map to a KPI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.analyse.kpi.layout import Layout, Line
from app.analyse.kpi.tables import cells_of, is_rule, is_total
from app.core.normalize import normalize_for_matching


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
            cells = cells_of(layout.text, row)
            if len(cells) < 2 or is_rule(cells):
                continue
            label = cells[0].text
            if not label or len(label) > _MAX_LABEL_CHARS or is_total(layout, label):
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
