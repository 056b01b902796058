"""What every draft is made of: the analysis and timeline turned into cited findings.

Pure code: the analysis, the engagement, its documents and the configuration in; plain
dataclasses out. Both engines (offline templates and the LLM) start from this one context,
which is why they produce the same structure and cite the same passages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.analyse.models import Citation, EngagementAnalysis, PresenceResult, SignalResult
from app.core.facts import DocumentFacts, EngagementFacts
from app.draft.timeline import Timeline, compute_timeline, reply_by_date
from app.draft.todos import OpenItem, open_items
from app.knowledge import Knowledge
from app.knowledge.drafts import DraftConfig, DraftKind, ProposalKey

KPI_COLUMNS = 4
KPI_MONTHS = 6
MAX_QUESTIONS = 8
MAX_OPEN_ITEMS = 10


@dataclass(frozen=True)
class Finding:
    """A statement and the passages that back it (empty only for absence statements)."""

    text: str
    evidence: list[Citation] = field(default_factory=list)


@dataclass(frozen=True)
class KpiColumn:
    key: str
    label: str
    unit: str
    target: float | None


@dataclass(frozen=True)
class KpiRow:
    period: str
    cells: list[str]
    cost_per_appointment: float | None
    cost_per_opportunity: float | None
    sources: list[Citation]


@dataclass(frozen=True)
class SignalView:
    key: str
    label: str
    state: str
    summary: str
    evidence: list[Citation]
    concern: bool


@dataclass(frozen=True)
class ConditionView:
    text: str
    owner: str
    due: dt.date
    reason: str
    evidence: list[Citation]


@dataclass(frozen=True)
class CheckView:
    label: str
    holds: bool
    detail: str
    evidence: list[Citation]


@dataclass(frozen=True)
class ProposalView:
    key: ProposalKey
    title: str
    description: str
    reasons: list[tuple[str, list[Citation]]]
    asks: list[str]


@dataclass(frozen=True)
class AgendaBlockView:
    key: str
    title: str
    minutes: int
    checklist: list[str]
    findings: list[Finding]


@dataclass(frozen=True)
class DraftContext:
    kind: DraftKind
    as_of: dt.date
    engagement: EngagementFacts
    timeline: Timeline
    analysis: EngagementAnalysis
    main_kpi_label: str | None
    kpi_summary: Finding | None
    kpi_columns: list[KpiColumn]
    kpi_rows: list[KpiRow]
    signals: list[SignalView]
    risks: list[Finding]
    conditions: list[ConditionView]
    checks: list[CheckView]
    questions: list[Finding]
    open_items: list[Finding]
    internal_factors: list[Finding]
    open_checks: list[str]
    proposals: list[ProposalView]
    reply_by: dt.date
    blocks: list[AgendaBlockView]
    funnel_leak: Finding | None
    contributions: list[Citation]
    config: DraftConfig

    def template_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _citable(citations: Sequence[Citation | None]) -> list[Citation]:
    """Only spans that exist (a corrected KPI may have no source span)."""
    return [c for c in citations if c is not None and c.quote and c.end > c.start]


def _percent(value: float | None) -> str:
    return f"{value * 100:.0f}%" if value is not None else "不明"


def _number(value: float, unit: str) -> str:
    if unit == "percent":
        return f"{value:g}%"
    if unit == "jpy":
        return f"{value:,.0f}円"
    return f"{value:,g}"


def _kpi_columns(analysis: EngagementAnalysis, knowledge: Knowledge) -> list[KpiColumn]:
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


def _kpi_rows(analysis: EngagementAnalysis, columns: list[KpiColumn]) -> list[KpiRow]:
    rows: list[KpiRow] = []
    for month in analysis.kpi_table[-KPI_MONTHS:]:
        cells: list[str] = []
        sources: list[Citation] = []
        for column in columns:
            cell = month.values.get(column.key)
            if cell is None:
                cells.append("―")
                continue
            text = _number(cell.value, column.unit)
            if cell.target is not None:
                text += f" / {_number(cell.target, column.unit)}"
            if cell.achievement is not None:
                text += f"（{_percent(cell.achievement)}）"
            if cell.corrected:
                text += "※修正"
            cells.append(text)
            sources += _citable([cell.source])
        rows.append(
            KpiRow(
                period=month.period,
                cells=cells,
                cost_per_appointment=month.cost_per_appointment,
                cost_per_opportunity=month.cost_per_opportunity,
                sources=_unique(sources)[:3],
            )
        )
    return rows


def _main_sources(analysis: EngagementAnalysis, months: int) -> list[Citation]:
    if analysis.main_kpi is None:
        return []
    cells = [m.values.get(analysis.main_kpi) for m in reversed(analysis.kpi_table[-months:])]
    return _unique(_citable([c.source if c else None for c in cells]))  # newest first


def _unique(citations: Sequence[Citation]) -> list[Citation]:
    seen: set[tuple[int, int, int]] = set()
    result: list[Citation] = []
    for citation in citations:
        key = (citation.document_id, citation.start, citation.end)
        if key not in seen:
            seen.add(key)
            result.append(citation)
    return result


def _signal_views(analysis: EngagementAnalysis) -> list[SignalView]:
    views = [
        SignalView(
            key=s.key,
            label=s.label,
            state=s.status_label,
            summary=s.summary,
            evidence=_citable(s.evidence),
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
                summary=p.summary,
                evidence=_citable(p.evidence),
                concern=p.present and (p.key != "personnel_change" or rough),
            )
        )
    return views


def _signal(analysis: EngagementAnalysis, key: str) -> SignalResult:
    return analysis.signals[key]


def _factor_evidence(analysis: EngagementAnalysis, types: Sequence[str]) -> list[Citation]:
    return _unique(
        [c for f in analysis.internal_factors if f.type in types for c in _citable(f.evidence)]
    )


def _presence(p: PresenceResult) -> list[Citation]:
    return _citable(p.evidence)


def _risks(
    analysis: EngagementAnalysis,
    kpi_summary: Finding | None,
    funnel_leak: Finding | None,
    knowledge: Knowledge,
) -> list[Finding]:
    risks: list[Finding] = []
    rules = knowledge.engine.decision
    if (
        kpi_summary is not None
        and analysis.recent_achievement is not None
        and analysis.recent_achievement < rules.renew_min_achievement
    ):
        risks.append(Finding(f"成果：{kpi_summary.text}", kpi_summary.evidence))
    for signal in analysis.signals.values():
        if signal.status in ("concern", "watch") and _citable(signal.evidence):
            risks.append(Finding(f"{signal.label}：{signal.summary}", _citable(signal.evidence)))
    for presence in (analysis.expectation_gap, analysis.stagnation):
        if presence.present and _presence(presence):
            risks.append(Finding(f"{presence.label}：{presence.summary}", _presence(presence)))
    change = analysis.personnel_change
    if change.present and change.handover != "smooth" and _presence(change):
        risks.append(Finding(f"{change.label}：{change.summary}", _presence(change)))
    for factor in analysis.internal_factors:
        if _citable(factor.evidence):
            risks.append(
                Finding(
                    f"自社要因（{factor.label}）：成果に自社側の要因が影響しています。",
                    _citable(factor.evidence),
                )
            )
    if funnel_leak is not None:
        risks.append(Finding(f"ファネル：{funnel_leak.text}", funnel_leak.evidence))
    return risks


def _condition_evidence(key: str | None, analysis: EngagementAnalysis) -> list[Citation]:
    signals = analysis.signals
    by_key: dict[str, list[Citation]] = {
        "dependency": _citable(signals["dependency"].evidence),
        "expectation_gap": _presence(analysis.expectation_gap),
        "stagnation_internal": _presence(analysis.stagnation)
        + _factor_evidence(analysis, [f.type for f in analysis.internal_factors]),
        "stagnation": _presence(analysis.stagnation),
        "personnel_change": _presence(analysis.personnel_change),
        "communication": _citable(signals["communication"].evidence),
        "proactivity": _citable(signals["proactivity"].evidence),
    }
    if key in by_key:
        return _unique(by_key[key])[:2]
    return _main_sources(analysis, 3)[:2]


def _conditions(
    analysis: EngagementAnalysis, knowledge: Knowledge, config: DraftConfig, timeline: Timeline
) -> list[ConditionView]:
    keys = {spec.text: key for key, spec in knowledge.engine.conditions.items()}
    anchors = {
        "review_start": timeline.review_start,
        "review_end": timeline.review_end,
        "notice_deadline": timeline.notice_deadline,
    }
    soonest = timeline.today + dt.timedelta(days=config.timing.reply_min_days)
    views: list[ConditionView] = []
    for condition in analysis.decision.conditions:
        anchor = config.condition_due.get(condition.owner, "notice_deadline")
        due = anchors[anchor]
        if due < timeline.today:  # the ideal date has passed: ask for the soonest fair one
            due = soonest
        views.append(
            ConditionView(
                text=condition.text,
                owner=condition.owner,
                due=due,
                reason=condition.reason,
                evidence=_condition_evidence(keys.get(condition.text), analysis),
            )
        )
    return views


def _checks(
    analysis: EngagementAnalysis,
    knowledge: Knowledge,
    config: DraftConfig,
    kpi_summary: Finding | None,
) -> list[CheckView]:
    labels = config.non_renewal_checks
    rules = knowledge.engine.decision
    achievement = analysis.recent_achievement
    kpi_evidence = kpi_summary.evidence if kpi_summary else []
    shortfall = analysis.stagnation.present or (
        achievement is not None and achievement < rules.renew_min_achievement
    )
    changes = len(analysis.personnel_change.periods) if analysis.personnel_change.present else 0

    def status_check(label: str, key: str) -> CheckView:
        signal = _signal(analysis, key)
        return CheckView(
            label=label,
            holds=signal.status == "concern",
            detail=f"{signal.label}は「{signal.status_label}」",
            evidence=_citable(signal.evidence)[:2],
        )

    factors = [f.label for f in analysis.internal_factors]
    return [
        CheckView(
            label=labels.low_achievement,
            holds=achievement is not None and achievement <= rules.do_not_renew_max_achievement,
            detail=f"直近の主要KPI達成率は{_percent(achievement)}",
            evidence=kpi_evidence[:2],
        ),
        status_check(labels.proactivity_concern, "proactivity"),
        CheckView(
            label=labels.unexplained_by_internal,
            holds=shortfall and not factors,
            detail=(
                "未達・停滞はなく、対象外"
                if not shortfall
                else "自社要因あり（" + "・".join(factors) + "）"
                if factors
                else "自社要因は見つかっていない"
            ),
            evidence=_factor_evidence(analysis, [f.type for f in analysis.internal_factors])[:2],
        ),
        status_check(labels.communication_concern, "communication"),
        status_check(labels.high_dependency, "dependency"),
        CheckView(
            label=labels.repeated_personnel_changes,
            holds=changes >= rules.repeated_personnel_changes,
            detail=f"担当者交代は{changes}回" if changes else "担当者交代の記録なし",
            evidence=_presence(analysis.personnel_change)[:2],
        ),
    ]


def _questions(
    analysis: EngagementAnalysis,
    config: DraftConfig,
    knowledge: Knowledge,
    kpi_summary: Finding | None,
    funnel_leak: Finding | None,
    main_label: str | None,
) -> list[Finding]:
    q = config.questions
    found: list[Finding] = []

    def ask(text: str, evidence: Sequence[Citation]) -> None:
        cited = _citable(list(evidence))
        if cited:  # every question to the vendor points at what prompted it
            found.append(Finding(text, cited[:2]))

    achievement = analysis.recent_achievement
    if kpi_summary is not None and achievement is not None and main_label:
        below = achievement < knowledge.engine.decision.renew_min_achievement
        template = q.kpi_below_target if below else q.kpi_on_target
        ask(
            template.format(kpi=main_label, achievement=_percent(achievement)), kpi_summary.evidence
        )
    proactivity = _signal(analysis, "proactivity")
    if proactivity.status == "concern":
        ask(q.proactivity_concern, proactivity.evidence)
    elif proactivity.status == "good":
        ask(q.proactivity_good, proactivity.evidence)
    if analysis.stagnation.present:
        ask(q.stagnation, analysis.stagnation.evidence)
    if analysis.expectation_gap.present:
        ask(q.expectation_gap, analysis.expectation_gap.evidence)
    if _signal(analysis, "dependency").status in ("concern", "watch"):
        ask(q.dependency_concern, _signal(analysis, "dependency").evidence)
    if _signal(analysis, "communication").status in ("concern", "watch"):
        ask(q.communication_concern, _signal(analysis, "communication").evidence)
    if analysis.personnel_change.present:
        ask(q.personnel_change, analysis.personnel_change.evidence)
    for factor in analysis.internal_factors:
        ask(q.internal_factor.format(label=factor.label), factor.evidence)
    if funnel_leak is not None and analysis.funnel and analysis.funnel.leak:
        ask(q.funnel_leak.format(leak=analysis.funnel.leak.rstrip("。")), funnel_leak.evidence)
    return found[:MAX_QUESTIONS]


def _open_item_findings(items: Sequence[OpenItem]) -> list[Finding]:
    findings: list[Finding] = []
    for item in items[-MAX_OPEN_ITEMS:]:
        owner = f"{item.owner}：" if item.owner else ""
        due = f"（期限：{item.due}）" if item.due else ""
        source = Citation(
            document_id=item.document_id,
            start=item.start,
            end=item.end,
            quote=item.quote,
            period=item.period,
            title=item.document_title,
        )
        findings.append(Finding(f"{owner}{item.task}{due}", [source]))
    return findings


def _proposals(
    analysis: EngagementAnalysis, config: DraftConfig, knowledge: Knowledge, kpi: Finding | None
) -> list[ProposalView]:
    """Chosen by the gaps found (rubric, "New value"); capability whenever dependency worries."""
    signals = analysis.signals
    reasons: dict[ProposalKey, list[tuple[str, list[Citation]]]] = {}

    def add(key: ProposalKey, reason: str, evidence: Sequence[Citation]) -> None:
        reasons.setdefault(key, []).append((reason, _citable(list(evidence))[:2]))

    achievement = analysis.recent_achievement
    below = (
        achievement is not None and achievement < knowledge.engine.decision.renew_min_achievement
    )
    factor_types = {f.type for f in analysis.internal_factors}
    if signals["dependency"].status in ("concern", "watch"):
        add("capability", "dependency", signals["dependency"].evidence)
    if signals["proactivity"].status != "good":
        add("insight", "proactivity", signals["proactivity"].evidence)
    if factor_types & {"market_change", "competitor"}:
        add("insight", "market", _factor_evidence(analysis, ["market_change", "competitor"]))
    if analysis.stagnation.present:
        add("joint_planning", "stagnation", analysis.stagnation.evidence)
    if analysis.expectation_gap.present:
        add("joint_planning", "expectation_gap", analysis.expectation_gap.evidence)
    if below and kpi is not None:
        add("joint_planning", "below_target", kpi.evidence)
    if "kpi_misaligned" in factor_types:
        add("joint_planning", "kpi_misaligned", _factor_evidence(analysis, ["kpi_misaligned"]))
    if signals["communication"].status in ("concern", "watch"):
        add("technology", "communication", signals["communication"].evidence)
    if "client_resources" in factor_types:
        add("technology", "client_resources", _factor_evidence(analysis, ["client_resources"]))
    if analysis.funnel is not None and analysis.funnel.leak and kpi is not None:
        add("technology", "funnel", kpi.evidence)
    if not reasons:  # results hold: still ask for value beyond execution
        add("insight", "growth", signals["proactivity"].evidence)
        add("joint_planning", "growth", kpi.evidence if kpi else [])
    order: list[ProposalKey] = ["insight", "joint_planning", "capability", "technology"]
    return [
        ProposalView(
            key=key,
            title=config.proposals[key].title,
            description=config.proposals[key].description,
            reasons=reasons[key],
            asks=config.proposals[key].asks,
        )
        for key in order
        if key in reasons
    ]


def _blocks(
    analysis: EngagementAnalysis,
    config: DraftConfig,
    kpi_summary: Finding | None,
    funnel_leak: Finding | None,
    contributions: list[Citation],
) -> list[AgendaBlockView]:
    signals = analysis.signals
    goals: list[Finding] = []
    if kpi_summary is not None:
        goals.append(kpi_summary)
    if funnel_leak is not None:
        goals.append(funnel_leak)
    if analysis.stagnation.present:
        goals.append(Finding(analysis.stagnation.summary, _presence(analysis.stagnation)[:2]))
    for factor in analysis.internal_factors:
        goals.append(Finding(f"自社要因の可能性：{factor.label}", _citable(factor.evidence)[:2]))
    if contributions:
        goals.append(Finding("KPI以外の貢献（提案・市場の気づき）", contributions[:2]))

    issues: list[Finding] = [
        Finding(signals["proactivity"].summary, _citable(signals["proactivity"].evidence)[:2])
    ]
    if analysis.expectation_gap.present:
        issues.append(
            Finding(analysis.expectation_gap.summary, _presence(analysis.expectation_gap)[:2])
        )
    if signals["dependency"].status != "insufficient_evidence":
        issues.append(
            Finding(signals["dependency"].summary, _citable(signals["dependency"].evidence)[:2])
        )

    communication: list[Finding] = [
        Finding(signals["communication"].summary, _citable(signals["communication"].evidence)[:2])
    ]
    if analysis.personnel_change.present:
        communication.append(
            Finding(analysis.personnel_change.summary, _presence(analysis.personnel_change)[:2])
        )
    by_key = {"goals": goals, "issues": issues, "communication": communication}
    return [
        AgendaBlockView(
            key=block.key,
            title=block.title,
            minutes=block.minutes,
            checklist=block.checklist,
            findings=by_key[block.key],
        )
        for block in config.agenda.blocks
    ]


def build_context(
    *,
    kind: DraftKind,
    analysis: EngagementAnalysis,
    engagement: EngagementFacts,
    documents: Sequence[DocumentFacts],
    knowledge: Knowledge,
    config: DraftConfig,
    today: dt.date,
) -> DraftContext:
    timeline = compute_timeline(
        engagement_id=engagement.id,
        renewal_date=engagement.renewal_date,
        notice_days=engagement.notice_days,
        today=today,
        timing=config.timing,
    )
    main_label = (
        str(knowledge.kpi.kpis[analysis.main_kpi].label)
        if analysis.main_kpi in knowledge.kpi.kpis
        else None
    )
    recent = knowledge.engine.kpi.recent_months
    kpi_summary: Finding | None = None
    sources = _main_sources(analysis, recent)
    if main_label and analysis.recent_achievement is not None and sources:
        kpi_summary = Finding(
            f"直近{min(recent, len(analysis.kpi_table))}か月の{main_label}の目標達成率は平均"
            f"{_percent(analysis.recent_achievement)}です。",
            sources,
        )
    funnel_leak: Finding | None = None
    if analysis.funnel is not None and analysis.funnel.leak and sources:
        funnel_leak = Finding(analysis.funnel.leak, sources[-1:])
    contributions = _citable(_signal(analysis, "proactivity").evidence)
    if _signal(analysis, "proactivity").status != "good":
        contributions = []
    columns = _kpi_columns(analysis, knowledge)
    visible = [d for d in documents if d.date <= analysis.as_of]
    return DraftContext(
        kind=kind,
        as_of=today,
        engagement=engagement,
        timeline=timeline,
        analysis=analysis,
        main_kpi_label=main_label,
        kpi_summary=kpi_summary,
        kpi_columns=columns,
        kpi_rows=_kpi_rows(analysis, columns),
        signals=_signal_views(analysis),
        risks=_risks(analysis, kpi_summary, funnel_leak, knowledge),
        conditions=_conditions(analysis, knowledge, config, timeline),
        checks=_checks(analysis, knowledge, config, kpi_summary),
        questions=_questions(analysis, config, knowledge, kpi_summary, funnel_leak, main_label),
        open_items=_open_item_findings(open_items(visible, as_of=analysis.as_of)),
        internal_factors=[
            Finding(f"{f.label}：" + "／".join(f.checks), _citable(f.evidence)[:2])
            for f in analysis.internal_factors
        ],
        open_checks=list(analysis.open_checks),
        proposals=_proposals(analysis, config, knowledge, kpi_summary),
        reply_by=reply_by_date(timeline, timing=config.timing),
        blocks=_blocks(analysis, config, kpi_summary, funnel_leak, contributions),
        funnel_leak=funnel_leak,
        contributions=contributions,
        config=config,
    )
