"""Portfolio questions across every engagement: 「商談化率が一番高い代行会社は？」.

KPI rankings come from each engagement's stored KPI series, renewal timing from the
contracts, events (担当者交代, 停滞, 期待値のズレ) from the stored analyses; anything else is
searched across all engagements and answered by the engagement-level engine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.analyse.models import EngagementAnalysis, PresenceResult
from app.analyse.series import monthly_values
from app.chat.answers import Evidence, OfflineAnswer, Rules, SourceSpan, format_value
from app.chat.classify import Intent
from app.chat.dates import date_label, period_label
from app.knowledge.chat import ContractWords, fold

TOP = 3
PRESENCE_EVENTS = ("personnel_change", "stagnation", "expectation_gap")


@dataclass(frozen=True)
class PortfolioCitation:
    span: SourceSpan
    engagement_id: int
    vendor_name: str


@dataclass(frozen=True)
class PortfolioAnswer:
    text: str
    citations: tuple[PortfolioCitation, ...]
    found: bool
    kind: str


@dataclass(frozen=True)
class EngagementView:
    """What a portfolio answer needs to know about one engagement."""

    evidence: Evidence
    analysis: EngagementAnalysis | None = None

    @property
    def vendor(self) -> str:
        return self.evidence.engagement.vendor_name


def _span(view: EngagementView, document_id: int, start: int, end: int) -> SourceSpan | None:
    document = next((d for d in view.evidence.documents if d.id == document_id), None)
    if document is None or end <= start:
        return None
    for unit in view.evidence.units.get(document_id, ()):
        if unit.start <= start and end <= unit.end:
            start, end = unit.start, unit.end
            break
    return SourceSpan(
        document_id=document.id,
        start=start,
        end=end,
        quote=document.text[start:end],
        period=document.period,
        title=document.title,
        date=document.date,
    )


def rank_kpi(intent: Intent, views: Sequence[EngagementView], rules: Rules) -> PortfolioAnswer:
    """Each engagement's latest monthly value of the KPI, best (or worst) first."""
    key = intent.kpi_key or ""
    label = str(rules.kpi.kpis[key].label)
    unit = str(rules.kpi.kpis[key].unit)
    rows: list[tuple[float, str, EngagementView, SourceSpan | None]] = []
    for view in views:
        limit = view.evidence.as_of.strftime("%Y-%m")
        series = {
            period: by_key[key]
            for period, by_key in monthly_values(list(view.evidence.kpis)).items()
            if key in by_key and period <= limit
        }
        if intent.time.period:
            series = {p: v for p, v in series.items() if p == intent.time.period}
        if not series:
            continue
        period = max(series)
        point = series[period]
        source = _span(view, point.document_id, point.start, point.end) if point.quote else None
        rows.append((point.value, period, view, source))
    if not rows:
        return PortfolioAnswer(
            f"{label}の実績は、どの契約の資料にも見当たりません。", (), False, "kpi_rank"
        )
    lowest = intent.extreme == "lowest"
    rows.sort(key=lambda row: row[0], reverse=not lowest)
    citations: list[PortfolioCitation] = []
    lines: list[str] = []
    for value, period, view, source in rows[:TOP]:
        marker = ""
        if source is not None:
            citations.append(PortfolioCitation(source, view.evidence.engagement.id, view.vendor))
            marker = f"[{len(citations)}]"
        lines.append(
            f"・{view.vendor}：{format_value(value, unit, rules.chat.kpi.units)}"
            f"（{period_label(period)}度）{marker}"
        )
    best = rows[0][2]
    word = "最も低い" if lowest else "最も高い"
    basis = "指定の月" if intent.time.period else "各契約の直近の月"
    text = (
        f"{label}が{word}のは{best.vendor}です（{basis}の値で比較、{len(rows)}契約）。\n"
        + "\n".join(lines)
    )
    return PortfolioAnswer(text, tuple(citations), True, "kpi_rank")


def renewal_order(views: Sequence[EngagementView], today: dt.date) -> PortfolioAnswer:
    """Contracts by renewal date, with the notice deadline (renewal date − notice days)."""
    upcoming = sorted(
        (v for v in views if v.evidence.engagement.renewal_date >= today),
        key=lambda v: v.evidence.engagement.renewal_date,
    )
    if not upcoming:
        return PortfolioAnswer("これから更新日を迎える契約はありません。", (), False, "renewal")
    lines: list[str] = []
    for view in upcoming[:TOP]:
        engagement = view.evidence.engagement
        line = f"・{view.vendor}（{engagement.service}）：{date_label(engagement.renewal_date)}"
        if engagement.notice_days is not None:
            deadline = engagement.renewal_date - dt.timedelta(days=engagement.notice_days)
            line += f"、解約予告期限 {date_label(deadline)}"
        lines.append(line)
    first = upcoming[0]
    days = (first.evidence.engagement.renewal_date - today).days
    text = (
        f"更新日が最も近いのは{first.vendor}で、あと{days}日です（契約情報より）。\n"
        + "\n".join(lines)
    )
    return PortfolioAnswer(text, (), True, "renewal")


def presence_listing(event: str, views: Sequence[EngagementView], rules: Rules) -> PortfolioAnswer:
    """Engagements where the analysis found the event, each with its first cited passage."""
    label = rules.chat.events[event].label
    citations: list[PortfolioCitation] = []
    lines: list[str] = []
    checked = 0
    for view in views:
        if view.analysis is None:
            continue
        checked += 1
        result: PresenceResult = getattr(view.analysis, event)
        if not result.present:
            continue
        periods = "・".join(period_label(p) for p in result.periods)
        line = f"・{view.vendor}" + (f"（{periods}）" if periods else "")
        for citation in result.evidence[:1]:
            span = _span(view, citation.document_id, citation.start, citation.end)
            if span is not None and span.quote == citation.quote:
                citations.append(PortfolioCitation(span, view.evidence.engagement.id, view.vendor))
                line += f"[{len(citations)}]"
        lines.append(line)
    if not lines:
        return PortfolioAnswer(
            f"{label}があった契約は見当たりません（{checked}契約の分析結果を確認）。",
            (),
            checked > 0,
            "presence",
        )
    text = f"{label}があった契約は{len(lines)}件です。\n" + "\n".join(lines)
    return PortfolioAnswer(text, tuple(citations), True, "presence")


def combine(answers: Sequence[tuple[EngagementView, OfflineAnswer]]) -> PortfolioAnswer:
    """Engagement-level answers, each headed by its vendor, citations renumbered."""
    found = [(view, answer) for view, answer in answers if answer.found]
    if not found:
        return PortfolioAnswer(
            "ご質問の内容は、どの契約の資料からも確認できませんでした。推測ではお答えできません。",
            (),
            False,
            "search",
        )
    citations: list[PortfolioCitation] = []
    blocks: list[str] = []
    for view, answer in found:
        text = _shift_markers(answer.text, len(citations))
        citations.extend(
            PortfolioCitation(span, view.evidence.engagement.id, view.vendor)
            for span in answer.citations
        )
        blocks.append(f"【{view.vendor}】{text}")
    return PortfolioAnswer("\n".join(blocks), tuple(citations), True, "search")


def _shift_markers(text: str, offset: int) -> str:
    """[1] → [1 + offset]: citations of several answers share one numbering."""
    return re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + offset}]", text)


def route(intent: Intent, words: ContractWords) -> str:
    """Which portfolio answer fits the question."""
    if intent.kpi_key is not None or intent.kpi_keys:
        return "kpi"

    def named(terms: Sequence[str]) -> bool:
        return any(fold(term) in intent.normalized for term in terms)

    if named([*words.renewal, *words.notice, *words.expiry]) and named(words.soonest):
        return "renewal"
    for event in intent.events:
        if event in PRESENCE_EVENTS:
            return event
    return "search"
