"""The proposal request's section: which kinds of new value to ask the vendor for, and why.

Pure code over the analysis (rubric, "New value").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from app.analyse.models import Citation, EngagementAnalysis
from app.draft.context_reasons import offered_for
from app.draft.context_vendor import OwedItem
from app.draft.findings import Finding, citable, factor_evidence
from app.draft.followups import MIN_SHARED_PAIRS, topic_pairs
from app.draft.standing import OurRequest
from app.knowledge import Knowledge
from app.knowledge.drafts import DraftConfig, ProposalKey


@dataclass(frozen=True)
class ProposalView:
    key: ProposalKey
    title: str
    description: str
    reasons: list[tuple[str, list[Citation]]]
    asks: list[str]
    # what the vendor already proposed, or owes us, toward this: acknowledged, not asked anew
    offered: list[Citation] = field(default_factory=list)
    underway: list[OwedItem] = field(default_factory=list)
    # what we already asked the vendor for in writing toward this, still unanswered
    requested: list[OurRequest] = field(default_factory=list)


def proposal_views(
    analysis: EngagementAnalysis,
    config: DraftConfig,
    knowledge: Knowledge,
    kpi: Finding | None,
    *,
    on_level: bool = False,
    in_use: Sequence[ProposalKey] = (),
) -> list[ProposalView]:
    """Chosen by the gaps found (rubric, "New value"); capability whenever dependency worries.
    `on_level`: the main KPI is at the target's level or on its agreed ramp-up, so a low
    average is no gap; `in_use`: kinds the documents say are already in place (the vendor
    records every visit in our CRM), never asked for anew (their reason goes to planning)."""
    signals = analysis.signals
    reasons: dict[ProposalKey, list[tuple[str, list[Citation]]]] = {}

    def add(key: ProposalKey, reason: str, evidence: Sequence[Citation]) -> None:
        reasons.setdefault(key, []).append((reason, citable(list(evidence))[:2]))

    achievement = analysis.recent_achievement
    below = (
        achievement is not None
        and achievement < knowledge.engine.decision.renew_min_achievement
        and not on_level
    )
    factor_types = {f.type for f in analysis.internal_factors}
    if signals["dependency"].status in ("concern", "watch"):
        add("capability", "dependency", signals["dependency"].evidence)
    if signals["proactivity"].status != "good":
        add("insight", "proactivity", signals["proactivity"].evidence)
    if factor_types & {"market_change", "competitor"}:
        add("insight", "market", factor_evidence(analysis, ["market_change", "competitor"]))
    if analysis.stagnation.present:
        add("joint_planning", "stagnation", analysis.stagnation.evidence)
    if analysis.expectation_gap.present:
        add("joint_planning", "expectation_gap", analysis.expectation_gap.evidence)
    if below and kpi is not None:
        add("joint_planning", "below_target", kpi.evidence)
    if "kpi_misaligned" in factor_types:
        add("joint_planning", "kpi_misaligned", factor_evidence(analysis, ["kpi_misaligned"]))
    if signals["communication"].status in ("concern", "watch"):
        add("technology", "communication", signals["communication"].evidence)
    if "client_resources" in factor_types:
        add("technology", "client_resources", factor_evidence(analysis, ["client_resources"]))
    if analysis.funnel is not None and analysis.funnel.leak and kpi is not None:
        add("technology", "funnel", kpi.evidence)
    for key in in_use:
        for reason, evidence in reasons.pop(key, []):
            target: ProposalKey = "joint_planning"
            if reason not in [r for r, _ in reasons.get(target, [])]:
                reasons.setdefault(target, []).append((reason, evidence))
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


def with_offers(
    views: Sequence[ProposalView],
    config: DraftConfig,
    proposed: Sequence[Citation],
    owed: Sequence[OwedItem],
    unanswered: Sequence[OurRequest],
) -> list[ProposalView]:
    """Each requested kind with the vendor's own proposals toward it, the items it already
    owes and what we asked for in writing; an owed item on the topic of one of our written
    requests is not asked for a second time (the request's bullets hold it)."""
    left = list(unanswered)
    found: list[ProposalView] = []
    for view in views:
        pattern = config.proposals[view.key].matches
        offered, underway = offered_for(pattern, proposed, owed)
        toward = [r for r in left if pattern and re.search(pattern, r.item)]
        left = [r for r in left if r not in toward]
        asked = [topic_pairs(r.item) for r in toward]
        underway = [
            item
            for item in underway
            if not any(len(topic_pairs(item.task) & pairs) >= MIN_SHARED_PAIRS for pairs in asked)
        ]
        found.append(replace(view, offered=offered[:2], underway=underway[:2], requested=toward))
    return found
