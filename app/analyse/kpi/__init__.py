"""KPI extraction: the actual figures a document states for its own reporting period.

Pure domain code: text and knowledge in, `KpiMention`s out. The vocabulary (KPI names, units,
cue words) lives in knowledge/kpi.yaml so users can tune it without touching this package; the
code only knows the shapes Japanese reports take: Markdown tables, bullets and prose clauses.

Matching runs on NFKC-normalised text (full-width digits and punctuation become ASCII) and every
span is mapped back, so a mention always quotes the original characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.analyse.kpi.layout import Candidate, Layout
from app.analyse.kpi.lexicon import Period, Token, compiled
from app.analyse.kpi.prose import inline_candidates
from app.analyse.kpi.tables import table_candidates
from app.core.normalize import NormalizedText, normalize
from app.knowledge.kpi import Kind, KpiKnowledge

__all__ = [
    "Kind",
    "KpiKnowledge",
    "KpiMention",
    "Token",
    "extract_kpis",
]


@dataclass(frozen=True)
class KpiMention:
    """One actual KPI figure and its evidence: `quote == text[start:end]` of the original."""

    key: str
    value: float
    start: int
    end: int
    quote: str


def extract_kpis(text: str, *, period: str | None, knowledge: KpiKnowledge) -> list[KpiMention]:
    """The actual value of each KPI the document states for its own period, at most one each.

    Targets, plans, earlier or other months, weekly and cumulative figures, sub-counts and
    ratios are skipped. With `period` None a figure tied to a named month cannot be attributed
    to the document, so only figures stated without a month are kept.
    """
    normalized = normalize(text)
    layout = Layout(normalized.text, compiled(knowledge), Period.parse(period))
    candidates = [*table_candidates(layout), *inline_candidates(layout)]
    chosen = [c for c in (_best(candidates, key) for key in knowledge.kpis) if c is not None]
    return [_mention(c, text, normalized) for c in sorted(chosen, key=lambda c: c.position)]


def _best(candidates: Sequence[Candidate], key: str) -> Candidate | None:
    """The first plain statement; failing that, a subset-like phrasing if it is the only one."""
    own = sorted((c for c in candidates if c.key == key), key=lambda c: (c.rank, c.position))
    if not own:
        return None
    if own[0].rank == 0 or len({c.value for c in own}) == 1:
        return own[0]
    return None  # only parts (「製造業のアポ12件、IT業のアポ8件」): no figure for the whole


def _mention(candidate: Candidate, text: str, normalized: NormalizedText) -> KpiMention:
    start, end = normalized.to_original(*candidate.span)
    return KpiMention(candidate.key, candidate.value, start, end, text[start:end])
