"""KPI extraction: the actual figures a document states for its own reporting period.

Pure domain code: text and knowledge in, `KpiMention`s out. The vocabulary (KPI names, units,
cue words) lives in knowledge/kpi.yaml so users can tune it without touching this package; the
code only knows the shapes Japanese reports take: Markdown tables, bullets and prose clauses.

Matching runs on NFKC-normalised text (full-width digits and punctuation become ASCII) and every
span is mapped back, so a mention always quotes the original characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.analyse.kpi.layout import Candidate, Layout
from app.analyse.kpi.lexicon import Token, compiled
from app.analyse.kpi.periods import Period
from app.analyse.kpi.prose import inline_candidates
from app.analyse.kpi.tables import table_candidates
from app.analyse.kpi.unrecognised import unrecognised_rows
from app.core.normalize import NormalizedText, normalize
from app.knowledge.kpi import Kind, KpiKnowledge

__all__ = [
    "Kind",
    "KpiKnowledge",
    "KpiMention",
    "Token",
    "UnrecognisedLabel",
    "extract_kpis",
    "extract_unrecognised",
    "stated_period",
]


@dataclass(frozen=True)
class KpiMention:
    """One actual KPI figure and its evidence: `quote == text[start:end]` of the original.

    `period` is the month the text gives the figure (「9月は…」 in the October report, a
    month column of a table); by default the document's own, None when neither is known.
    """

    key: str
    value: float
    start: int
    end: int
    quote: str
    period: str | None = None
    approximate: bool = False


@dataclass(frozen=True)
class UnrecognisedLabel:
    """A table row that looks like a KPI (a measure-word label, a figure) the reader does not
    know; `text[start:end]` is the row in the original text."""

    label: str
    value_text: str
    start: int
    end: int


def extract_unrecognised(text: str, *, knowledge: KpiKnowledge) -> list[UnrecognisedLabel]:
    """Rows the user may map to a KPI key (the mapping becomes a synonym)."""
    normalized = normalize(text)
    layout = Layout(normalized.text, compiled(knowledge), stated_period(normalized.text))
    found: list[UnrecognisedLabel] = []
    for row in unrecognised_rows(layout):
        start, end = normalized.to_original(*row.span)
        found.append(UnrecognisedLabel(row.label, row.value_text, start, end))
    return found


def extract_kpis(text: str, *, period: str | None, knowledge: KpiKnowledge) -> list[KpiMention]:
    """The actual value of each KPI the document states, at most one per KPI and period.

    Targets, plans, earlier periods named relatively (前月), weekly and cumulative figures,
    sub-counts and ratios are skipped; a figure the text gives for a named earlier month is
    kept with that month. With `period` None a month name cannot be placed in a year, so only
    figures stated without a month are kept.
    """
    normalized = normalize(text)
    own = Period.parse(period) or stated_period(normalized.text)
    layout = Layout(normalized.text, compiled(knowledge), own)
    candidates = [*table_candidates(layout), *inline_candidates(layout)]
    slots = sorted({(c.key, c.period) for c in candidates}, key=lambda s: (s[0], str(s[1])))
    chosen = [c for c in (_best(candidates, key, p) for key, p in slots) if c is not None]
    return [_mention(c, text, normalized, own) for c in sorted(chosen, key=lambda c: c.position)]


# 「2026年2月度」「令和8年2月」「2026/2」「2026-02」「Feb 2026」 near the top of a document.
_STATED_PERIOD = re.compile(
    r"(?P<year>20\d{2})\s*(?:年|/|-|\.)\s*(?P<month>\d{1,2})(?:\s*月|(?![\d/.-]))"
    r"|令和\s*(?P<reiwa>\d{1,2}|元)\s*年\s*(?P<reiwa_month>\d{1,2})\s*月"
)
_REIWA_ZERO = 2018  # 令和元年 = 2019
_STATED_PERIOD_LINES = 5


def stated_period(text: str) -> Period | None:
    """The month a document without metadata states in its first lines (title, subject)."""
    head = "\n".join(text.splitlines()[:_STATED_PERIOD_LINES])
    for match in _STATED_PERIOD.finditer(head):
        if match.group("reiwa") is not None:
            reiwa = match.group("reiwa")
            year = _REIWA_ZERO + (1 if reiwa == "元" else int(reiwa))
            month = int(match.group("reiwa_month"))
        else:
            year, month = int(match.group("year")), int(match.group("month"))
        if 1 <= month <= 12:
            return Period(year, month)
    return None


def _best(candidates: Sequence[Candidate], key: str, period: Period | None) -> Candidate | None:
    """The first plain statement; failing that, a subset-like phrasing if it is the only one."""
    own = sorted(
        (c for c in candidates if c.key == key and c.period == period),
        key=lambda c: (c.rank, c.position),
    )
    if not own:
        return None
    if own[0].rank <= 0 or len({c.value for c in own}) == 1:
        return own[0]
    return None  # only parts (「製造業のアポ12件、IT業のアポ8件」): no figure for the whole


def _mention(
    candidate: Candidate, text: str, normalized: NormalizedText, own: Period | None
) -> KpiMention:
    start, end = normalized.to_original(*candidate.span)
    period = candidate.period or own
    return KpiMention(
        candidate.key,
        candidate.value,
        start,
        end,
        text[start:end],
        str(period) if period is not None else None,
        candidate.approximate,
    )
