"""Phase and renewal decision from the findings, following the rubric's rules as data."""

from __future__ import annotations

from dataclasses import dataclass

from app.analyse.models import (
    DECISION_LABELS,
    Citation,
    Condition,
    Decision,
    DecisionKind,
    Phase,
    PresenceResult,
    SignalResult,
)
from app.knowledge.rubric import EngineFile


@dataclass(frozen=True)
class Findings:
    """What the decision rules look at."""

    phase: Phase
    achievement: float | None
    proactivity: SignalResult
    communication: SignalResult
    dependency: SignalResult
    personnel_change: PresenceResult
    personnel_changes: int
    expectation_gap: PresenceResult
    stagnation: PresenceResult
    internal_factor_types: list[str]
    internal_factor_labels: list[str]
    documents: int = 1

    @property
    def anything_read(self) -> bool:
        """An achievement, a judged status signal or a present signal: something to decide on."""
        judged = any(
            signal.status != "insufficient_evidence"
            for signal in (self.proactivity, self.communication, self.dependency)
        )
        present = any(
            p.present for p in (self.personnel_change, self.expectation_gap, self.stagnation)
        )
        return self.achievement is not None or judged or present


def decide_phase(*, months_active: int, stagnant: bool, rules: EngineFile) -> Phase:
    if months_active <= rules.phase.onboarding_months:
        return "onboarding"
    return "stagnant" if stagnant else "stable"


def _percent(value: float | None) -> str:
    return f"{value * 100:.0f}%" if value is not None else "不明"


def pending(findings: Findings, *, rules: EngineFile) -> Decision | None:
    """判断保留 when there is nothing to judge yet (the rule's thresholds are data)."""
    d = rules.decision
    if findings.documents < d.pending_below_documents:
        reasons = [
            "まだ判断の材料となる文書がありません。",
            "月次報告（KPIの目標と実績を含むもの）や打ち合わせの議事録を貼り付けると、"
            "KPI・シグナルから更新判断を示します。",
        ]
    elif d.pending_without_findings and not findings.anything_read:
        reasons = [
            "文書からKPIの達成率も、主体性・コミュニケーションなどを判断できる記述も"
            "読み取れませんでした。",
            "KPIの目標と実績が書かれた月次報告や、打ち合わせの議事録を追加してください。",
        ]
    else:
        return None
    return Decision(
        decision="pending",
        label=DECISION_LABELS["pending"],
        reasons=reasons,
        conditions=[],
        evidence=[],
    )


def decide(findings: Findings, *, rules: EngineFile) -> Decision:
    """renew / renew_with_conditions / do_not_renew with reasons and concrete conditions;
    pending (判断保留) before there is evidence."""
    f = findings
    d = rules.decision
    if (held := pending(f, rules=rules)) is not None:
        return held
    reasons: list[str] = []
    evidence: list[Citation] = []
    achievement_text = f"直近の主要KPI達成率は{_percent(f.achievement)}"

    repeated_changes = f.personnel_changes >= d.repeated_personnel_changes
    serious = [
        name
        for name, flagged in (
            ("コミュニケーションの懸念", f.communication.status == "concern"),
            ("高い依存度", f.dependency.status == "concern"),
            ("担当者の度重なる交代", repeated_changes),
            ("主体性の欠如", f.proactivity.status == "concern"),
        )
        if flagged
    ]
    low = f.achievement is not None and f.achievement <= d.do_not_renew_max_achievement
    decision: DecisionKind
    if low and f.proactivity.status == "concern" and not f.internal_factor_types:
        decision = "do_not_renew"
        reasons.append(f"{achievement_text}で、目標を大きく下回る状態が続いています。")
        reasons.append("代行会社からの改善提案が乏しく（指示待ち）、自社要因でも説明できません。")
        evidence += f.proactivity.evidence[:3] + f.stagnation.evidence[:2]
    elif len(serious) >= d.serious_concerns_for_do_not_renew and (low or repeated_changes):
        decision = "do_not_renew"
        reasons.append(
            "複数の重大な懸念が同時にあり、改善の兆しが見られません：" + "、".join(serious) + "。"
        )
        reasons.append(f"{achievement_text}です。")
        evidence += (
            f.communication.evidence[:2]
            + f.dependency.evidence[:2]
            + f.personnel_change.evidence[:2]
        )
    elif (
        f.phase != "onboarding"
        and (f.achievement is None or f.achievement >= d.renew_min_achievement)
        and f.proactivity.status == "good"
        and f.communication.status == "good"
        and f.dependency.status != "concern"
        and not f.expectation_gap.present
        and not f.stagnation.present
        and not (f.personnel_change.present and f.personnel_change.handover == "rough")
    ):
        decision = "renew"
        reasons.append(f"{achievement_text}で、目標水準を維持しています。")
        reasons.append(
            "主体性・コミュニケーションとも良好で、依存度の懸念や期待値のズレもありません。"
        )
        evidence += f.proactivity.evidence[:2] + f.communication.evidence[:2]
    else:
        decision = "renew_with_conditions"
        reasons.append(f"{achievement_text}です。更新の前に解消すべき具体的な課題があります。")
    conditions = _conditions(findings, rules) if decision == "renew_with_conditions" else []
    if decision == "renew_with_conditions":
        reasons += [condition.reason for condition in conditions]
        evidence += _condition_evidence(findings)
    return Decision(
        decision=decision,
        label=DECISION_LABELS[decision],
        reasons=reasons,
        conditions=conditions,
        evidence=_unique(evidence)[:8],
    )


def _conditions(f: Findings, rules: EngineFile) -> list[Condition]:
    texts = rules.conditions
    found: list[Condition] = []

    def add(key: str, reason: str) -> None:
        spec = texts[key]
        found.append(Condition(text=spec.text, owner=spec.owner, reason=reason))

    if f.dependency.status == "concern":
        add("dependency", "業務が代行会社に依存しており、社内にノウハウが残っていません。")
    if f.expectation_gap.present:
        add("expectation_gap", "成果の定義や期待値について両社の認識にズレがあります。")
    if f.stagnation.present and f.internal_factor_types:
        add(
            "stagnation_internal",
            "停滞の一因が自社側（" + "・".join(f.internal_factor_labels) + "）にあります。",
        )
    elif f.stagnation.present:
        add("stagnation", "主要KPIが2か月以上横ばい・減少しています。")
    if f.personnel_change.present and f.personnel_change.handover != "smooth":
        add("personnel_change", "担当者交代の引き継ぎに課題がありました。")
    if f.communication.status == "concern":
        add("communication", "報告や連絡の遅れ・不足が見られます。")
    if f.proactivity.status == "concern":
        add("proactivity", "代行会社からの改善提案が不足しています。")
    if f.phase == "onboarding":
        add("onboarding", "導入初期のため成果はまだ見極め段階です。")
    if not found:
        add("performance", "目標達成に向けた改善余地があります。")
    return found


def _condition_evidence(f: Findings) -> list[Citation]:
    picked: list[Citation] = []
    if f.dependency.status == "concern":
        picked += f.dependency.evidence[:2]
    if f.expectation_gap.present:
        picked += f.expectation_gap.evidence[:2]
    if f.stagnation.present:
        picked += f.stagnation.evidence[:2]
    if f.communication.status == "concern":
        picked += f.communication.evidence[:2]
    if f.personnel_change.present:
        picked += f.personnel_change.evidence[:1]
    return picked


def _unique(citations: list[Citation]) -> list[Citation]:
    seen: set[tuple[int, int, int]] = set()
    result: list[Citation] = []
    for item in citations:
        key = (item.document_id, item.start, item.end)
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result
