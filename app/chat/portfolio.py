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
from typing import Literal

from app.analyse.models import EngagementAnalysis, PresenceResult
from app.analyse.series import main_kpi, monthly_values
from app.chat.answers import Evidence, OfflineAnswer, Rules, SourceSpan, format_value
from app.chat.classify import Intent
from app.chat.dates import date_label, period_label
from app.core.facts import KpiPoint
from app.knowledge.chat import ContractWords, PortfolioWords, fold
from app.knowledge.rubric import EngineFile

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


def _deadline(view: EngagementView) -> dt.date:
    """The notice deadline (renewal date − notice days); the renewal date without one."""
    engagement = view.evidence.engagement
    return engagement.renewal_date - dt.timedelta(days=engagement.notice_days or 0)


ContractField = Literal["notice", "renewal", "start", "fee"]
Direction = Literal["soonest", "earliest", "latest", "cheapest", "dearest"]
FIELD_LABELS: dict[str, str] = {
    "notice": "解約予告期限",
    "renewal": "契約満了日",
    "start": "契約開始日",
    "fee": "月額費用",
}


def contract_question(
    intent: Intent, words: ContractWords
) -> tuple[ContractField, Direction] | None:
    """Which contract field the question ranks, and in which order."""

    def named(terms: Sequence[str]) -> bool:
        return any(fold(term) in intent.normalized for term in terms)

    field: ContractField | None = (
        "notice"
        if named(words.notice)
        else "renewal"
        if named([*words.renewal, *words.expiry])
        else "start"
        if named(words.start)
        else "fee"
        if named(words.fee)
        else None
    )
    if field is None:
        return None
    if field == "fee":
        if named(words.cheapest):
            return field, "cheapest"
        return (field, "dearest") if named(words.dearest) else None
    if named(words.latest):
        return field, "latest"
    if named(words.earliest) and not (field != "start" and named(["近い", "迫"])):
        return field, "earliest"
    if field != "start" and named(words.soonest):
        return field, "soonest"
    return None


def contract_order(
    views: Sequence[EngagementView], field: ContractField, direction: Direction, today: dt.date
) -> PortfolioAnswer:
    """Contracts ranked by one field of their records (notice deadline, renewal, start, fee)."""

    def value(view: EngagementView) -> dt.date | int | None:
        engagement = view.evidence.engagement
        if field == "notice":
            return _deadline(view)
        if field == "renewal":
            return engagement.renewal_date
        if field == "start":
            return engagement.start_date
        return engagement.monthly_fee_jpy

    rows = [(value(view), view) for view in views]
    ranked = [(v, view) for v, view in rows if v is not None]
    if direction == "soonest":
        ranked = [(v, view) for v, view in ranked if isinstance(v, dt.date) and v >= today]
    ranked.sort(key=lambda row: row[0], reverse=direction in ("latest", "dearest"))
    label = FIELD_LABELS[field]
    if not ranked:
        return PortfolioAnswer(f"これから{label}を迎える契約はありません。", (), False, "contract")

    def shown(v: dt.date | int) -> str:
        if isinstance(v, dt.date):
            days = (v - today).days
            when = f"あと{days}日" if days >= 0 else f"{-days}日前"
            return f"{date_label(v)}（{when}）"
        return f"{v:,}円"

    lines = [
        f"・{view.vendor}（{view.evidence.engagement.service}）：{label} {shown(v)}"
        for v, view in ranked[:TOP]
    ]
    word = {
        "soonest": "最も近い",
        "earliest": "最も早い",
        "latest": "最も遅い" if field != "start" else "最も新しい",
        "cheapest": "最も安い",
        "dearest": "最も高い",
    }[direction]
    first_value, first = ranked[0]
    text = (
        f"{label}が{word}のは{first.vendor}で、{shown(first_value)}です"
        f"（契約情報より、{len(ranked)}契約を比較）。\n" + "\n".join(lines)
    )
    return PortfolioAnswer(text, (), True, "contract")


def _latest_point(view: EngagementView, key: str) -> tuple[str, KpiPoint] | None:
    """The stored KPI series' latest month (up to the date asked) with a value for `key`."""
    limit = view.evidence.as_of.strftime("%Y-%m")
    series = {
        period: by_key[key]
        for period, by_key in monthly_values(list(view.evidence.kpis)).items()
        if key in by_key and period <= limit
    }
    if not series:
        return None
    period = max(series)
    return period, series[period]


def _point_citation(view: EngagementView, point: KpiPoint) -> PortfolioCitation | None:
    if not point.quote:
        return None
    span = _span(view, point.document_id, point.start, point.end)
    if span is None:
        return None
    return PortfolioCitation(span, view.evidence.engagement.id, view.vendor)


def rank_results(
    views: Sequence[EngagementView], rules: Rules, engine: EngineFile
) -> PortfolioAnswer:
    """「一番成果を出しているのは？」: each contract's main KPI (the one the analysis judges
    it on) against its target in the latest month, best first."""
    rows: list[tuple[float, EngagementView, str, str, KpiPoint, float]] = []
    for view in views:
        engagement = view.evidence.engagement
        values = monthly_values(list(view.evidence.kpis))
        key = main_kpi(values, targets=engagement.kpi_targets, rules=engine)
        target = engagement.kpi_targets.get(key) if key else None
        found = _latest_point(view, key) if key else None
        if key is None or not target or found is None:
            continue
        period, point = found
        rows.append((point.value / target, view, key, period, point, target))
    if not rows:
        return PortfolioAnswer(
            "目標に対する実績を比べられる契約がありません（目標かKPIの実績が未登録）。",
            (),
            False,
            "results",
        )
    rows.sort(key=lambda row: -row[0])
    citations: list[PortfolioCitation] = []
    lines: list[str] = []
    units = rules.chat.kpi.units
    for achievement, view, key, period, point, target in rows[:TOP]:
        kpi = rules.kpi.kpis[key]
        unit = str(kpi.unit)
        marker = ""
        citation = _point_citation(view, point)
        if citation is not None:
            citations.append(citation)
            marker = f"[{len(citations)}]"
        lines.append(
            f"・{view.vendor}：{kpi.label} {format_value(point.value, unit, units)}"
            f"（目標{format_value(target, unit, units)}、達成率{achievement * 100:.0f}%、"
            f"{period_label(period)}度）{marker}"
        )
    best = rows[0][1]
    text = (
        f"直近の月の成果（主要KPIの目標達成率）が最も高いのは{best.vendor}です"
        f"（{len(rows)}契約を比較）。\n" + "\n".join(lines)
    )
    return PortfolioAnswer(text, tuple(citations), True, "results")


def cost_direction(intent: Intent, rules: Rules) -> Direction:
    """「コスパが一番良い」 and 「1件あたりの費用が一番安い」 want the cheapest; 「コスパが
    悪い」 and 「1件あたりの費用が一番高い」 the dearest."""

    def named(terms: Sequence[str]) -> bool:
        return any(fold(term) in intent.normalized for term in terms)

    if named(rules.chat.portfolio.performance):
        return "dearest" if named(rules.chat.kpi.lowest) else "cheapest"
    return "dearest" if named(rules.chat.contract.dearest) else "cheapest"


def rank_cost(
    views: Sequence[EngagementView], direction: Direction = "cheapest"
) -> PortfolioAnswer:
    """「コストパフォーマンスが一番良いのは？」: the monthly fee per appointment in each
    contract's latest month, cheapest first (dearest first when asked)."""
    rows: list[tuple[float, EngagementView, str, KpiPoint, int]] = []
    for view in views:
        fee = view.evidence.engagement.monthly_fee_jpy
        found = _latest_point(view, "appointments")
        if not fee or found is None or found[1].value <= 0:
            continue
        period, point = found
        rows.append((fee / point.value, view, period, point, fee))
    if not rows:
        return PortfolioAnswer(
            "費用対効果を比べられる契約がありません（月額費用かアポ数が未登録）。",
            (),
            False,
            "cost",
        )
    dearest = direction == "dearest"
    rows.sort(key=lambda row: row[0], reverse=dearest)
    citations: list[PortfolioCitation] = []
    lines: list[str] = []
    for cost, view, period, point, fee in rows[:TOP]:
        marker = ""
        citation = _point_citation(view, point)
        if citation is not None:
            citations.append(citation)
            marker = f"[{len(citations)}]"
        lines.append(
            f"・{view.vendor}：アポ1件あたり{cost:,.0f}円"
            f"（月額{fee:,}円 ÷ アポ{point.value:,.0f}件、{period_label(period)}度）{marker}"
        )
    best = rows[0][1]
    text = (
        "アポ1件あたりの費用で比べると、"
        + (
            f"最も高い（コストパフォーマンスが最も悪い）のは{best.vendor}です"
            if dearest
            else f"最も安い（コストパフォーマンスが最も良い）のは{best.vendor}です"
        )
        + f"（各契約の直近の月、{len(rows)}契約）。\n"
        + "\n".join(lines)
    )
    return PortfolioAnswer(text, tuple(citations), True, "cost")


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


def route(intent: Intent, words: ContractWords, rankings: PortfolioWords) -> str:
    """Which portfolio answer fits the question."""

    def named(terms: Sequence[str]) -> bool:
        return any(fold(term) in intent.normalized for term in terms)

    if named(rankings.cost):
        return "cost"
    if intent.kpi_key is not None or intent.kpi_keys:
        return "kpi"
    if named(rankings.results):
        return "results"
    ranked = contract_question(intent, words)
    if ranked is not None:
        return "renewal" if ranked == ("renewal", "soonest") else "contract"
    for event in intent.events:
        if event in PRESENCE_EVENTS:
            return event
    return "search"
