"""Pieces every draft kind is built from: cited findings, signal views and evidence helpers.

Pure code over the analysis; the per-kind sections (`context_memo`, `context_agenda`,
`context_proposal`) and `context.build_context` are made of these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.analyse.models import Citation, EngagementAnalysis, PresenceResult, SignalResult
from app.core.formatting import kpi_value
from app.core.text import is_greeting
from app.core.vocabulary import SignalKey

# 「（懸念 13 件、良い兆候 14 件）」: the engine's tallies of matched sentences. A manager cannot
# weigh them (a count of cue hits is no measure of anything); the quotes are the support.
ISO_MONTH = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?![\d-])")  # 「（2026-01）」 reads 「2026年1月」
HIT_COUNTS = re.compile(r"（(?:(?:根拠|懸念|良い兆候)\s*\d+\s*件、?)+）")


def readable(summary: str) -> str:
    """A signal's summary as a draft states it: without the tallies of matched sentences."""
    return ISO_MONTH.sub(
        lambda m: f"{m.group(1)}年{int(m.group(2))}月", HIT_COUNTS.sub("", summary)
    )


@dataclass(frozen=True)
class Finding:
    """A statement and the passages that back it (empty only for absence statements)."""

    text: str
    evidence: list[Citation] = field(default_factory=list)


@dataclass(frozen=True)
class SignalView:
    key: str
    label: str
    state: str
    summary: str
    evidence: list[Citation]
    concern: bool


def citable(citations: Sequence[Citation | None]) -> list[Citation]:
    """Only spans that exist (a corrected KPI may have no source span), and never a greeting,
    thanks or sign-off (`app.core.text.is_greeting`): a courtesy is no evidence of the work."""
    return [
        c
        for c in citations
        if c is not None and c.quote and c.end > c.start and not is_greeting(c.quote)
    ]


# A quote shorter than this rarely stands alone (「お二人の研修のおかげです。」「担当交代について」):
# the memo's signal evidence shows sentences a reader understands without the document.
MIN_STANDALONE_CHARS = 15


def standalone(citations: Sequence[Citation | None]) -> list[Citation]:
    """Citable spans long enough to read on their own; all citable ones when none is."""
    kept = citable(citations)
    return [c for c in kept if len(c.quote.strip()) >= MIN_STANDALONE_CHARS] or kept


def percent(value: float | None) -> str:
    return f"{value * 100:.0f}%" if value is not None else "不明"


def number(value: float, unit: str) -> str:
    """As the pages show it (1,650,000円, 64.5%, 1,250): one formatter for the whole app."""
    return kpi_value(value, unit)


def main_sources(analysis: EngagementAnalysis, months: int) -> list[Citation]:
    """Source spans of the main KPI over the last `months`, newest first."""
    if analysis.main_kpi is None:
        return []
    cells = [m.values.get(analysis.main_kpi) for m in reversed(analysis.kpi_table[-months:])]
    return unique(citable([c.source if c else None for c in cells]))  # newest first


def unique(citations: Sequence[Citation]) -> list[Citation]:
    """First occurrence of each span, in order."""
    seen: set[tuple[int, int, int]] = set()
    result: list[Citation] = []
    for citation in citations:
        key = (citation.document_id, citation.start, citation.end)
        if key not in seen:
            seen.add(key)
            result.append(citation)
    return result


def meaning(signal: SignalResult, wording: Mapping[str, Mapping[str, str]]) -> str:
    """What a status signal means, said plainly (drafts.yaml `signal_wording`), else the
    analysis summary without tallies."""
    return wording.get(signal.key, {}).get(signal.status) or readable(signal.summary)


def signal_views(
    analysis: EngagementAnalysis, wording: Mapping[str, Mapping[str, str]] | None = None
) -> list[SignalView]:
    """Status signals, then the present/absent ones, as the memo's signal table shows them."""
    views = [
        SignalView(
            key=s.key,
            label=s.label,
            state=s.status_label,
            summary=meaning(s, wording or {}),
            evidence=standalone(s.evidence),
            concern=s.status in ("concern", "watch"),
        )
        for s in analysis.signals.values()
    ]
    for p in (analysis.personnel_change, analysis.expectation_gap, analysis.stagnation):
        rough = p.key == "personnel_change" and p.handover == "rough"
        views.append(
            SignalView(
                key=p.key,
                label=p.label,
                state="あり" if p.present else "なし",
                summary=readable(p.summary),
                evidence=standalone(p.evidence),
                concern=p.present and (p.key != "personnel_change" or rough),
            )
        )
    return views


def signal_result(analysis: EngagementAnalysis, key: SignalKey) -> SignalResult:
    """A good/concern signal (`STATUS_SIGNALS`); the analysis always carries all of them."""
    return analysis.signals[key]


def factor_evidence(analysis: EngagementAnalysis, types: Sequence[str]) -> list[Citation]:
    return unique(
        [c for f in analysis.internal_factors if f.type in types for c in citable(f.evidence)]
    )


def presence_evidence(p: PresenceResult) -> list[Citation]:
    return citable(p.evidence)
