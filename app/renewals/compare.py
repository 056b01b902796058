"""Vendor comparison: one row per engagement from its analysis and its renewal timeline.

A buyer of several agencies compares achievement, cost per アポ/商談/受注, signals, decision
and renewal status side by side. The figures are the ones each engagement's analysis holds
(its KPI table), so the comparison and the engagement page never disagree; `latest_with` and
`unit_cost` are also what the portfolio chat ranks by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import select

from app.analyse.models import DecisionKind, EngagementAnalysis
from app.analyse.service import get_analysis
from app.analyse.stored import stored_digests
from app.container import Container
from app.core.spreadsheet_text import csv_text
from app.renewals.models import RenewalRow
from app.renewals.service import renewal_overview
from app.renewals.timeline import TimelineStatus
from app.store.models import Engagement

V = TypeVar("V")
COST_KEYS = {"appointments": "アポ", "opportunities": "商談", "deals": "受注"}


def latest_with(
    values: Mapping[str, Mapping[str, V]], key: str, *, until: str | None = None
) -> tuple[str, V] | None:
    """The latest month (YYYY-MM, up to `until`) that has a value for `key`, with the value."""
    months = [p for p, by_key in values.items() if key in by_key and (until is None or p <= until)]
    if not months:
        return None
    period = max(months)
    return period, values[period][key]


def unit_cost(fee: int | None, count: float | None) -> float | None:
    """Monthly fee per unit of result (アポ単価 and so on); None when either is missing."""
    if not fee or count is None or count <= 0:
        return None
    return fee / count


class CostCell(BaseModel):
    key: str
    label: str
    count: float | None
    period: str | None
    cost: float | None = Field(description="月額費用 ÷ その月の件数（円）")


class ComparisonRow(BaseModel):
    """One engagement in the vendor comparison (page, CSV and /api/v1/compare)."""

    engagement_id: int
    vendor_name: str
    service: str
    main_kpi: str | None
    main_kpi_label: str | None
    period: str | None = Field(description="主要KPIの直近の月")
    actual: float | None
    target: float | None
    achievement: float | None = Field(description="直近の月の実績 ÷ 目標")
    recent_achievement: float | None = Field(description="分析の直近の達成率（複数月）")
    monthly_fee_jpy: int | None
    costs: list[CostCell]
    signals_good: int
    signals_concern: int
    signal_summary: str
    concerns: list[str] = Field(description="懸念ありのシグナル・あり の注意シグナル")
    decision: DecisionKind
    decision_label: str
    renewal_status: TimelineStatus
    renewal_status_label: str
    notice_deadline: dt.date
    days_to_notice: int
    renewal_date: dt.date


class AnalysisColumns(BaseModel):
    """The comparison's columns that come from an engagement's analysis alone: kept per
    stored analysis, so the page does not parse every stored analysis on each request."""

    main_kpi: str | None
    main_kpi_label: str | None
    period: str | None
    actual: float | None
    target: float | None
    achievement: float | None
    recent_achievement: float | None
    counts: list[tuple[str, str, float | None, str | None]]  # key, label, count, month
    signals_good: int
    signals_concern: int
    signal_summary: str
    concerns: list[str]
    decision: DecisionKind
    decision_label: str


def analysis_columns(
    analysis: EngagementAnalysis, *, kpi_labels: Mapping[str, str]
) -> AnalysisColumns:
    """Pure: the main KPI's latest month, the counts the unit costs divide by, the signals."""
    table = {month.period: month.values for month in analysis.kpi_table}
    main = analysis.main_kpi
    latest = latest_with(table, main) if main else None
    cell = latest[1] if latest else None
    counts: list[tuple[str, str, float | None, str | None]] = []
    for key, label in COST_KEYS.items():
        found = latest_with(table, key)
        counts.append((key, label, found[1].value if found else None, found[0] if found else None))
    statuses = [signal.status for signal in analysis.signals.values()]
    good, concern = statuses.count("good"), statuses.count("concern")
    watch, unknown = statuses.count("watch"), statuses.count("insufficient_evidence")
    concerns = [s.label for s in analysis.signals.values() if s.status == "concern"] + [
        p.label
        for p in (analysis.personnel_change, analysis.expectation_gap, analysis.stagnation)
        if p.present
    ]
    parts = [
        f"{name}{count}"
        for name, count in (
            ("良好", good),
            ("要注意", watch),
            ("懸念", concern),
            ("材料不足", unknown),
        )
        if count
    ]
    return AnalysisColumns(
        main_kpi=main,
        main_kpi_label=kpi_labels.get(main) if main else None,
        period=latest[0] if latest else None,
        actual=cell.value if cell else None,
        target=cell.target if cell else None,
        achievement=cell.achievement if cell else None,
        recent_achievement=analysis.recent_achievement,
        counts=counts,
        signals_good=good,
        signals_concern=concern,
        signal_summary="・".join(parts) or "―",
        concerns=concerns,
        decision=analysis.decision.decision,
        decision_label=analysis.decision.label,
    )


def comparison_row(
    *,
    renewal: RenewalRow,
    analysis: EngagementAnalysis | AnalysisColumns,
    monthly_fee_jpy: int | None,
    kpi_labels: Mapping[str, str],
) -> ComparisonRow:
    """Pure: the renewal dashboard row and the analysis of one engagement side by side."""
    columns = (
        analysis
        if isinstance(analysis, AnalysisColumns)
        else analysis_columns(analysis, kpi_labels=kpi_labels)
    )
    timeline = renewal.timeline
    return ComparisonRow(
        engagement_id=renewal.engagement_id,
        vendor_name=renewal.vendor_name,
        service=renewal.service,
        main_kpi=columns.main_kpi,
        main_kpi_label=columns.main_kpi_label,
        period=columns.period,
        actual=columns.actual,
        target=columns.target,
        achievement=columns.achievement,
        recent_achievement=columns.recent_achievement,
        monthly_fee_jpy=monthly_fee_jpy,
        costs=[
            CostCell(
                key=key,
                label=label,
                count=count,
                period=period,
                cost=unit_cost(monthly_fee_jpy, count),
            )
            for key, label, count, period in columns.counts
        ],
        signals_good=columns.signals_good,
        signals_concern=columns.signals_concern,
        signal_summary=columns.signal_summary,
        concerns=columns.concerns,
        decision=columns.decision,
        decision_label=columns.decision_label,
        renewal_status=timeline.status,
        renewal_status_label=timeline.status_label,
        notice_deadline=timeline.notice_deadline,
        days_to_notice=timeline.days_to_notice,
        renewal_date=renewal.renewal_date,
    )


def _number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f}"


def comparison_csv(rows: Sequence[ComparisonRow]) -> str:
    """The comparison table as CSV (UTF-8 with BOM, CRLF): numbers unformatted for Excel."""
    header = [
        "代行会社",
        "サービス",
        "主要KPI",
        "対象月",
        "実績",
        "目標",
        "達成率(%)",
        "直近の達成率(%)",
        "月額費用(円)",
        *(f"{label}単価(円)" for label in COST_KEYS.values()),
        "シグナル",
        "注意点",
        "判断",
        "更新の状況",
        "解約予告期限",
        "更新日",
    ]
    body = [
        [
            row.vendor_name,
            row.service,
            row.main_kpi_label or "",
            row.period or "",
            _number(row.actual, 1).removesuffix(".0"),
            _number(row.target, 1).removesuffix(".0"),
            _number(row.achievement * 100 if row.achievement is not None else None),
            _number(row.recent_achievement * 100 if row.recent_achievement is not None else None),
            str(row.monthly_fee_jpy or ""),
            *(_number(cost.cost) for cost in row.costs),
            row.signal_summary,
            "、".join(row.concerns),
            row.decision_label,
            row.renewal_status_label,
            row.notice_deadline.isoformat(),
            row.renewal_date.isoformat(),
        ]
        for row in rows
    ]
    return csv_text(header, body)


def kpi_table_csv(
    analysis: EngagementAnalysis, *, columns: Sequence[str], labels: Mapping[str, str]
) -> str:
    """One engagement's KPI table by month: value, target and achievement per KPI, then cost."""
    header = ["月"]
    for key in columns:
        header += [
            labels.get(key, key),
            f"{labels.get(key, key)}目標",
            f"{labels.get(key, key)}達成率(%)",
        ]
    header += ["アポ単価(円)", "商談単価(円)"]
    body = []
    for month in analysis.kpi_table:
        line = [month.period]
        for key in columns:
            cell = month.values.get(key)
            line += [
                _number(cell.value, 2).rstrip("0").rstrip(".") if cell else "",
                _number(cell.target, 2).rstrip("0").rstrip(".") if cell and cell.target else "",
                _number(cell.achievement * 100) if cell and cell.achievement is not None else "",
            ]
        line += [_number(month.cost_per_appointment), _number(month.cost_per_opportunity)]
        body.append(line)
    return csv_text(header, body)


def comparison(*, container: Container, today: dt.date | None = None) -> list[ComparisonRow]:
    """Every engagement compared, most urgent renewal first (the dashboard's order).

    Reads the stored analyses' columns (kept per stored version, so a page parses only the
    analyses stored since the last one), also yesterday's until the daily re-analysis
    (`renewal-desk reanalyse`, `ANALYSIS_SCHEDULE`) replaces them: recomputing every stale
    one here took 76 s at 300 engagements. Only a missing analysis is computed, not stored
    (a GET never writes).
    """
    labels = {key: str(spec.label) for key, spec in container.knowledge.kpi.kpis.items()}
    stored = stored_digests(
        container=container,
        slot=f"comparison:{hash(tuple(sorted(labels.items())))}",
        digest=lambda analysis: analysis_columns(analysis, kpi_labels=labels),
        current_only=False,
    )
    with container.session_factory() as session:
        fees = dict(session.execute(select(Engagement.id, Engagement.monthly_fee_jpy)).all())
    rows = []
    for renewal in renewal_overview(container=container, today=today):
        columns = stored.get(renewal.engagement_id) or analysis_columns(
            get_analysis(container=container, engagement_id=renewal.engagement_id),
            kpi_labels=labels,
        )
        rows.append(
            comparison_row(
                renewal=renewal,
                analysis=columns,
                monthly_fee_jpy=fees.get(renewal.engagement_id),
                kpi_labels=labels,
            )
        )
    return rows
