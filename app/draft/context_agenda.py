"""The review-meeting agenda's sections: questions to the vendor, carried-over items, blocks.

Pure code: every question and carried-over item points at the passage that prompted it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.analyse.models import Citation, EngagementAnalysis
from app.draft.context_vendor import FUNNEL, Figure
from app.draft.findings import (
    Finding,
    citable,
    percent,
    presence_evidence,
    readable,
    signal_result,
)
from app.draft.framing import Trend
from app.draft.todos import OpenItem, item_citation
from app.knowledge import Knowledge
from app.knowledge.drafts import DraftConfig

MAX_QUESTIONS = 8
MAX_OPEN_ITEMS = 10


@dataclass(frozen=True)
class AgendaBlockView:
    key: str
    title: str
    minutes: int
    checklist: list[str]
    findings: list[Finding]


def question_findings(
    analysis: EngagementAnalysis,
    config: DraftConfig,
    knowledge: Knowledge,
    kpi_summary: Finding | None,
    funnel_leak: Finding | None,
    main_label: str | None,
    achievement: float | None,
    external: bool = False,
    months: str = "直近数か月",
    main_explained: Sequence[Citation] = (),
    funnel_explained: Sequence[Citation] = (),
    trend: Trend | None = None,
    tolerance: float = 1.0,
    handover_explained: bool = False,
    effect_reported: bool = False,
    weakest: Figure | None = None,
) -> list[Finding]:
    """Questions to the vendor, each tied to a passage; `achievement` is the main KPI's recent
    average over the figures the draft's readers see, over `months` (「ご報告いただいた9月・12月」).
    When the vendor's reports already give the reason for every missed month
    (`main_explained`, `funnel_explained`), the question is about its measures instead."""
    q = config.questions
    found: list[Finding] = []

    def ask(text: str, evidence: Sequence[Citation]) -> None:
        cited = citable(list(evidence))
        if cited:  # every question to the vendor points at what prompted it
            found.append(Finding(text, cited[:2]))

    if kpi_summary is not None and achievement is not None and main_label:
        below = achievement < knowledge.engine.decision.renew_min_achievement
        template = (
            q.kpi_below_target
            if below
            else q.kpi_near_target
            if achievement < tolerance
            else q.kpi_on_target
        )
        if achievement > 1 and q.kpi_above_target:
            template = q.kpi_above_target  # 113 % is above the target, not 「ほぼ目標どおり」
        evidence = list(kpi_summary.evidence)
        growing = trend is not None and trend.rising and achievement < tolerance
        if growing and trend is not None and (trend.at_level or trend.on_plan):
            # a ramp-up: judged by its trend, not the flat average (no 「目標との差」)
            template = (q.kpi_rising_met if trend.at_level else q.kpi_rising) or template
        elif achievement < tolerance and main_explained:
            template = (q.kpi_below_target_explained if below else q.kpi_near_target_explained) or (
                template
            )
            evidence = list(main_explained) + evidence
        text = template.format(kpi=main_label, achievement=percent(achievement), months=months)
        ask(text, evidence)
    proactivity = signal_result(analysis, "proactivity")
    if proactivity.status == "concern":
        ask(q.proactivity_concern, proactivity.evidence)
    elif proactivity.status == "good":
        reported = effect_reported and q.proactivity_good_reported
        ask(q.proactivity_good_reported if reported else q.proactivity_good, proactivity.evidence)
    if analysis.stagnation.present:
        ask(q.stagnation, analysis.stagnation.evidence)
    if analysis.expectation_gap.present:
        ask(q.expectation_gap, analysis.expectation_gap.evidence)
    if signal_result(analysis, "dependency").status in ("concern", "watch"):
        ask(q.dependency_concern, signal_result(analysis, "dependency").evidence)
    if signal_result(analysis, "communication").status in ("concern", "watch"):
        ask(q.communication_concern, signal_result(analysis, "communication").evidence)
    if analysis.personnel_change.present:
        done = handover_explained and q.personnel_change_explained
        ask(
            q.personnel_change_explained if done else q.personnel_change,
            analysis.personnel_change.evidence,
        )
    if analysis.internal_factors:  # one question for all of them: the same ask, once
        labels = "・".join(f.label for f in analysis.internal_factors)
        evidence = [c for f in analysis.internal_factors for c in citable(f.evidence)[:1]]
        ask(q.internal_factor.format(label=labels), evidence)
    if funnel_leak is not None and analysis.funnel and analysis.funnel.leak:
        # The funnel's figures mix in our own minutes: the vendor gets the question without them.
        leak = analysis.funnel.leak.rstrip("。")
        if funnel_explained and q.funnel_leak_explained:
            ask(q.funnel_leak_explained, list(funnel_explained) + list(funnel_leak.evidence))
        else:
            shared = q.funnel_leak_shared
            if weakest is not None and q.funnel_leak_stage:
                shared = q.funnel_leak_stage.format(
                    stage=weakest.label, spoken=weakest.spoken, target=weakest.target_spoken
                )
            ask(shared if external else q.funnel_leak.format(leak=leak), funnel_leak.evidence)
    return found[:MAX_QUESTIONS]


def open_item_findings(items: Sequence[OpenItem]) -> list[Finding]:
    findings: list[Finding] = []
    for item in items[-MAX_OPEN_ITEMS:]:
        owner = f"{item.owner}：" if item.owner else ""
        due = f"（{item.due_label}）" if item.due_label else ""
        source = item_citation(item)
        findings.append(Finding(f"{owner}{item.task}{due}", [source]))
    return findings


def agenda_blocks(
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
        goals.append(
            Finding(
                readable(analysis.stagnation.summary), presence_evidence(analysis.stagnation)[:2]
            )
        )
    for factor in analysis.internal_factors:
        goals.append(
            Finding(
                f"成果には自社側の要因（{factor.label}）が影響している可能性があります。",
                citable(factor.evidence)[:2],
            )
        )
    if contributions:
        goals.append(
            Finding(
                "KPI以外にも、施策の提案や市場の気づきを共有してもらっています。",
                contributions[:2],
            )
        )

    issues: list[Finding] = [
        Finding(
            readable(signals["proactivity"].summary), citable(signals["proactivity"].evidence)[:2]
        )
    ]
    if analysis.expectation_gap.present:
        issues.append(
            Finding(
                readable(analysis.expectation_gap.summary),
                presence_evidence(analysis.expectation_gap)[:2],
            )
        )
    if signals["dependency"].status != "insufficient_evidence":
        issues.append(
            Finding(
                readable(signals["dependency"].summary), citable(signals["dependency"].evidence)[:2]
            )
        )

    communication: list[Finding] = [
        Finding(
            readable(signals["communication"].summary),
            citable(signals["communication"].evidence)[:2],
        )
    ]
    if analysis.personnel_change.present:
        communication.append(
            Finding(
                readable(analysis.personnel_change.summary),
                presence_evidence(analysis.personnel_change)[:2],
            )
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


def weakest_stage(figures: Sequence[Figure]) -> Figure | None:
    """The 商談/受注 figure furthest below its target in the last reported month."""
    staged = [f for f in figures if f.key in FUNNEL[3:] and f.achievement is not None]
    if not staged:
        return None
    last = max(f.period for f in staged)
    below = [f for f in staged if f.period == last and (f.achievement or 0) < 1]
    return min(below, key=lambda f: f.achievement or 0) if below else None
