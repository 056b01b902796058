"""Portfolio rankings by results: the main KPI per engagement, achievement against target,
and cost per appointment — each figure cited to the report that states it.

Pure, like `app.chat.portfolio`, whose views and answers these take and return.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.analyse.series import main_kpi, monthly_values
from app.chat.answers import Rules, SourceSpan, format_value
from app.chat.classify import Intent
from app.chat.dates import period_label
from app.chat.portfolio import (
    TOP,
    Direction,
    EngagementView,
    PortfolioAnswer,
    PortfolioCitation,
    span_of,
)
from app.core.facts import KpiPoint
from app.knowledge.chat import fold
from app.knowledge.rubric import EngineFile
from app.renewals.compare import latest_with, unit_cost


def rank_kpi(intent: Intent, views: Sequence[EngagementView], rules: Rules) -> PortfolioAnswer:
    """Each engagement's latest monthly value of the KPI, best (or worst) first."""
    key = intent.kpi_key or ""
    label = str(rules.kpi.kpis[key].label)
    unit = str(rules.kpi.kpis[key].unit)
    rows: list[tuple[float, str, EngagementView, SourceSpan | None]] = []
    for view in views:
        values = monthly_values(list(view.evidence.kpis))
        if intent.time.period:
            values = {p: v for p, v in values.items() if p == intent.time.period}
        found = latest_with(values, key, until=view.evidence.as_of.strftime("%Y-%m"))
        if found is None:
            continue
        period, point = found
        source = span_of(view, point.document_id, point.start, point.end) if point.quote else None
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


def _latest_point(view: EngagementView, key: str) -> tuple[str, KpiPoint] | None:
    """The stored KPI series' latest month (up to the date asked) with a value for `key`."""
    limit = view.evidence.as_of.strftime("%Y-%m")
    return latest_with(monthly_values(list(view.evidence.kpis)), key, until=limit)


def _point_citation(view: EngagementView, point: KpiPoint) -> PortfolioCitation | None:
    if not point.quote:
        return None
    span = span_of(view, point.document_id, point.start, point.end)
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
        cost = unit_cost(fee, found[1].value) if found else None
        if fee is None or found is None or cost is None:
            continue
        period, point = found
        rows.append((cost, view, period, point, fee))
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
