"""The memo's sections: KPI table, risks, conditions for renewal, non-renewal checks.

Pure code over the analysis and the timeline. Conditions and risks also feed the agenda and
the LLM's passages, which is why they are built for every kind.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.analyse.models import Citation, EngagementAnalysis, KpiMonth
from app.core.vocabulary import SignalKey
from app.draft.context_vendor import Figure
from app.draft.findings import (
    Finding,
    citable,
    factor_evidence,
    main_sources,
    meaning,
    number,
    percent,
    presence_evidence,
    readable,
    signal_result,
    unique,
)
from app.knowledge import Knowledge
from app.knowledge.drafts import DraftConfig
from app.renewals.timeline import Timeline, add_business_days, business_day_on_or_before

KPI_COLUMNS = 4
KPI_MONTHS = 6


@dataclass(frozen=True)
class KpiColumn:
    key: str
    label: str
    unit: str
    target: float | None


@dataclass(frozen=True)
class KpiCellView:
    value: str
    target: str | None
    achievement: str | None
    corrected: bool
    source: Citation | None


@dataclass(frozen=True)
class KpiRow:
    period: str
    cells: list[KpiCellView | None]
    cost_per_appointment: float | None
    cost_per_opportunity: float | None


@dataclass(frozen=True)
class ConditionView:
    text: str
    owner: str
    due: dt.date | None  # None: no feasible date left in this contract term
    reason: str
    evidence: list[Citation]
    by_deadline: str = ""  # what is due by `due` when the whole cannot be done by then


@dataclass(frozen=True)
class CheckView:
    label: str
    holds: bool
    detail: str
    evidence: list[Citation]
    unconfirmed: bool = False  # the check cannot be judged yet (checks of ours still open)


def kpi_columns(analysis: EngagementAnalysis, knowledge: Knowledge) -> list[KpiColumn]:
    present = {key for month in analysis.kpi_table for key in month.values}
    targets = {
        key: cell.target
        for month in analysis.kpi_table
        for key, cell in month.values.items()
        if cell.target is not None
    }
    order = [key for key in knowledge.kpi.kpis if key in present]
    preferred = [analysis.main_kpi] if analysis.main_kpi in present else []
    preferred += [key for key in order if key in targets and key not in preferred]
    preferred += [
        key for key in ("opportunities", "deals") if key in present and key not in preferred
    ]
    preferred += [key for key in order if key not in preferred]
    columns: list[KpiColumn] = []
    for key in [k for k in preferred if k is not None][:KPI_COLUMNS]:
        spec = knowledge.kpi.kpis[key]
        columns.append(
            KpiColumn(key=key, label=str(spec.label), unit=str(spec.unit), target=targets.get(key))
        )
    return columns


def kpi_rows(
    analysis: EngagementAnalysis, columns: list[KpiColumn], stated: Sequence[Figure]
) -> list[KpiRow]:
    """The memo's table: each cell the reconciled value, citing the passage stating it."""
    by_slot = {(f.period, f.key): f for f in stated}
    rows: list[KpiRow] = []
    for month in analysis.kpi_table[-KPI_MONTHS:]:
        cells: list[KpiCellView | None] = []
        for column in columns:
            cell = month.values.get(column.key)
            figure = by_slot.get((month.period, column.key))
            if cell is None or figure is None:
                cells.append(None)
                continue
            cells.append(
                KpiCellView(
                    value=figure.text,
                    target=number(cell.target, column.unit) if cell.target is not None else None,
                    achievement=percent(cell.achievement) if cell.achievement is not None else None,
                    corrected=cell.corrected,
                    source=figure.source,
                )
            )
        rows.append(
            KpiRow(
                period=month.period,
                cells=cells,
                cost_per_appointment=month.cost_per_appointment,
                cost_per_opportunity=month.cost_per_opportunity,
            )
        )
    return rows


def risk_findings(
    analysis: EngagementAnalysis,
    kpi_summary: Finding | None,
    funnel_leak: Finding | None,
    knowledge: Knowledge,
    wording: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Finding]:
    wording = wording or {}
    risks: list[Finding] = []
    rules = knowledge.engine.decision
    if (
        kpi_summary is not None
        and analysis.recent_achievement is not None
        and analysis.recent_achievement < rules.renew_min_achievement
    ):
        risks.append(Finding(f"成果：{kpi_summary.text}", kpi_summary.evidence))
    for signal in analysis.signals.values():
        if signal.status in ("concern", "watch") and citable(signal.evidence):
            risks.append(
                Finding(f"{signal.label}：{meaning(signal, wording)}", citable(signal.evidence))
            )
    for presence in (analysis.expectation_gap, analysis.stagnation):
        if presence.present and presence_evidence(presence):
            risks.append(
                Finding(
                    f"{presence.label}：{readable(presence.summary)}", presence_evidence(presence)
                )
            )
    change = analysis.personnel_change
    if change.present and change.handover != "smooth" and presence_evidence(change):
        risks.append(
            Finding(f"{change.label}：{readable(change.summary)}", presence_evidence(change))
        )
    for factor in analysis.internal_factors:
        if citable(factor.evidence):
            risks.append(
                Finding(
                    f"自社要因（{factor.label}）：成果に自社側の要因が影響しています。",
                    citable(factor.evidence),
                )
            )
    if funnel_leak is not None:
        risks.append(Finding(f"ファネル：{funnel_leak.text}", funnel_leak.evidence))
    return risks


def condition_evidence(key: str | None, analysis: EngagementAnalysis) -> list[Citation]:
    signals = analysis.signals
    by_key: dict[str, list[Citation]] = {
        "dependency": citable(signals["dependency"].evidence),
        "expectation_gap": presence_evidence(analysis.expectation_gap),
        "stagnation_internal": presence_evidence(analysis.stagnation)
        + factor_evidence(analysis, [f.type for f in analysis.internal_factors]),
        "stagnation": presence_evidence(analysis.stagnation),
        "personnel_change": presence_evidence(analysis.personnel_change),
        "communication": citable(signals["communication"].evidence),
        "proactivity": citable(signals["proactivity"].evidence),
    }
    if key in by_key:
        return unique(by_key[key])[:2]
    return main_sources(analysis, 3)[:2]


TERM_RANGE = re.compile(r"(\d+)〜(\d+)か月")
TERM = re.compile(r"(\d+)か月")


def decided_term(text: str, decided: Sequence[str]) -> str:
    """A rubric condition's range of months (「3〜6か月」) narrowed to the term our minutes
    decided (「6か月の短期更新を軸に」 → 「6か月」), so the memo does not propose anew what
    was agreed."""
    span = TERM_RANGE.search(text)
    if not span:
        return text
    low, high = int(span.group(1)), int(span.group(2))
    for task in decided:
        if "更新" not in task and "契約" not in task:
            continue
        for match in TERM.finditer(task):
            if low <= int(match.group(1)) <= high:
                return text.replace(span.group(0), f"{match.group(1)}か月")
    return text


def condition_views(
    analysis: EngagementAnalysis,
    knowledge: Knowledge,
    config: DraftConfig,
    timeline: Timeline,
    decided: Sequence[str] = (),
) -> list[ConditionView]:
    keys = {spec.text: key for key, spec in knowledge.engine.conditions.items()}
    anchors = {
        "review_start": timeline.review_start,
        "review_end": timeline.review_end,
        "notice_deadline": timeline.notice_deadline,
    }
    views: list[ConditionView] = []
    for condition in analysis.decision.conditions:
        anchor = config.condition_due.get(condition.owner, "notice_deadline")
        due = condition_due(anchors[anchor], timeline, config)
        views.append(
            ConditionView(
                text=decided_term(condition.text, decided),
                owner="当社" if condition.owner == "自社" else condition.owner,
                due=due,
                reason=condition.reason,
                evidence=condition_evidence(keys.get(condition.text), analysis),
                by_deadline=config.condition_by_deadline.get(keys.get(condition.text) or "", ""),
            )
        )
    return views


def condition_due(ideal: dt.date, timeline: Timeline, config: DraftConfig) -> dt.date | None:
    """The contract's date for a condition, or, once it has passed, the last business day
    before the notice deadline (agreed after the vendor's proposal and the review meeting,
    which both come before it), at least a fair number of business days from today (else
    before the contract ends); None when none is left."""
    if ideal >= timeline.today:
        return business_day_on_or_before(ideal)
    soonest = add_business_days(timeline.today, config.timing.reply_min_business_days)
    before_notice = business_day_on_or_before(timeline.notice_deadline - dt.timedelta(days=1))
    if soonest <= before_notice:
        return before_notice
    for limit in (timeline.notice_deadline, timeline.renewal_date):
        if soonest < limit:
            return soonest
    return None


def check_views(
    analysis: EngagementAnalysis,
    knowledge: Knowledge,
    config: DraftConfig,
    kpi_summary: Finding | None,
) -> list[CheckView]:
    labels = config.non_renewal_checks
    wording = config.signal_wording
    rules = knowledge.engine.decision
    achievement = analysis.recent_achievement
    kpi_evidence = kpi_summary.evidence if kpi_summary else []
    shortfall = analysis.stagnation.present or (
        achievement is not None and achievement < rules.renew_min_achievement
    )
    changes = len(analysis.personnel_change.periods) if analysis.personnel_change.present else 0

    def status_check(label: str, key: SignalKey) -> CheckView:
        signal = signal_result(analysis, key)
        return CheckView(
            label=label,
            holds=signal.status == "concern",
            detail=meaning(signal, wording).rstrip("。")
            if signal.status in wording.get(key, {})
            else f"{signal.label}は「{signal.status_label}」",
            evidence=citable(signal.evidence)[:2],
        )

    factors = [f.label for f in analysis.internal_factors]
    return [
        CheckView(
            label=labels.low_achievement,
            holds=achievement is not None and achievement <= rules.do_not_renew_max_achievement,
            detail=f"直近の主要KPI達成率は{percent(achievement)}（各月の実績から算出）",
            evidence=kpi_evidence[:2],
        ),
        status_check(labels.proactivity_concern, "proactivity"),
        CheckView(
            label=labels.unexplained_by_internal,
            holds=shortfall and not factors and not analysis.open_checks,
            unconfirmed=shortfall and not factors and bool(analysis.open_checks),
            detail=(
                f"直近の達成率は{percent(achievement)}で更新の目安を下回っておらず、停滞もないため対象外"
                if not shortfall and achievement is not None
                else "停滞はなく、達成率を示す数値もないため対象外"
                if not shortfall
                else "自社要因あり（" + "・".join(factors) + "）"
                if factors
                else f"自社側の確認が{len(analysis.open_checks)}件残っており、まだ判断できない"
                if analysis.open_checks
                else "自社要因は見つかっていない"
            ),
            evidence=factor_evidence(analysis, [f.type for f in analysis.internal_factors])[:2],
        ),
        status_check(labels.communication_concern, "communication"),
        status_check(labels.high_dependency, "dependency"),
        CheckView(
            label=labels.repeated_personnel_changes,
            holds=changes >= rules.repeated_personnel_changes,
            detail=f"担当者交代は{changes}回" if changes else "担当者交代の記録なし",
            evidence=presence_evidence(analysis.personnel_change)[:2],
        ),
    ]


def return_on_fee(analysis: EngagementAnalysis, monthly_fee: int | None) -> Finding | None:
    """The orders won against what the service cost over the months that report an order
    amount (「受注金額は3か月で合計4,320,000円、同じ期間の月額費用の合計は3,600,000円」): the
    business KPI management asks about first. A month reporting no order (受注0件) reports an
    amount of 0: leaving it out would flatter the return."""

    def amount(month: KpiMonth) -> float | None:
        if "revenue" in month.values:
            return month.values["revenue"].value
        deals = month.values.get("deals")
        return 0.0 if deals is not None and deals.value == 0 else None

    months = [m for m in analysis.kpi_table if amount(m) is not None]
    if not monthly_fee or not any("revenue" in m.values for m in months):
        return None
    total = sum(amount(m) or 0.0 for m in months)
    cost = monthly_fee * len(months)
    deals = sum(m.values["deals"].value for m in months if "deals" in m.values)
    relation = (
        "を上回っています" if total > cost else "に届いていません" if total < cost else "と同じです"
    )
    per_deal = f"（受注1件あたりの費用は{cost / deals:,.0f}円）" if deals else ""
    text = (
        f"受注金額は、報告のある{len(months)}か月で合計{total:,.0f}円で、"
        f"同じ期間の月額費用の合計{cost:,.0f}円{relation}{per_deal}。"
        "受注金額はお客様の発注額で、当社の粗利ではありません。"
    )
    # Each month's amount, or the 受注0件 it was read from.
    sources = [m.values["revenue" if "revenue" in m.values else "deals"].source for m in months]
    return Finding(text, [s for s in sources if s is not None][:3])
