"""What every draft is made of: the analysis and timeline turned into cited findings.

Pure code: the analysis, the engagement, its documents and the configuration in; plain
dataclasses out. Both engines (offline templates and the LLM) start from this one context,
which is why they produce the same structure and cite the same passages. The sections live
beside it: `context_memo`, `context_agenda`, `context_proposal`, over `findings`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.analyse.models import Citation, EngagementAnalysis
from app.core.facts import DocumentFacts, EngagementFacts, KpiPoint, vendor_core_name
from app.core.vocabulary import DraftKind
from app.draft.attendance import with_titles
from app.draft.audience import Readers, readers_for
from app.draft.context_agenda import (
    AgendaBlockView,
    agenda_blocks,
    open_item_findings,
    question_findings,
    weakest_stage,
)
from app.draft.context_external import restricted
from app.draft.context_memo import (
    CheckView,
    ConditionView,
    KpiColumn,
    KpiRow,
    check_views,
    condition_views,
    kpi_columns,
    kpi_rows,
    return_on_fee,
    risk_findings,
)
from app.draft.context_period import (
    PeriodOverview,
    following,
    is_stale,
    months_between,
    months_phrase,
    period_overview,
    recent_label,
)
from app.draft.context_proposal import ProposalView, proposal_views, with_offers
from app.draft.context_reasons import (
    StatedCause,
    explained,
    stated_causes,
    strongest_result,
)
from app.draft.context_vendor import (
    FUNNEL,
    Figure,
    OwedItem,
    figures,
    owed_items,
    vendor_proposals,
    vendor_requests,
)
from app.draft.evidence import by_strength, sides, vendor_ids
from app.draft.findings import (
    Finding,
    SignalView,
    citable,
    main_sources,
    percent,
    signal_result,
    signal_views,
    unique,
)
from app.draft.followups import follow_ups, next_term, past_outlooks
from app.draft.framing import Trend, attendees, main_trend, our_staff, plan_citation, said_on_track
from app.draft.leads import vendor_leads
from app.draft.parties import Parties
from app.draft.schedule import safe_meetings, short_reply
from app.draft.self_checks import spoken_checks
from app.draft.standing import (
    OurRequest,
    adopted,
    decision_status,
    in_place,
    our_requests,
    split_proposals,
)
from app.draft.todos import decided_items, item_citation, open_items
from app.knowledge import Knowledge
from app.knowledge.drafts import DraftConfig
from app.renewals.timeline import Timeline, compute_timeline, review_dates


@dataclass(frozen=True)
class DraftContext:
    kind: DraftKind
    as_of: dt.date
    engagement: EngagementFacts
    timeline: Timeline
    analysis: EngagementAnalysis
    main_kpi_label: str | None
    kpi_summary: Finding | None
    recent_achievement: float | None  # of the figures this draft's readers may see
    kpi_columns: list[KpiColumn]
    kpi_rows: list[KpiRow]
    signals: list[SignalView]
    risks: list[Finding]
    conditions: list[ConditionView]
    checks: list[CheckView]
    questions: list[Finding]
    open_items: list[Finding]
    internal_factors: list[Finding]
    open_checks: list[str]  # the 自社要因 checks no document speaks to
    spoken_checks: list[Finding]  # a topic of an open check the documents speak to, cited
    proposals: list[ProposalView]
    reply_by: dt.date | None
    blocks: list[AgendaBlockView]
    funnel_leak: Finding | None
    contributions: list[Citation]
    config: DraftConfig
    readers: Readers
    parties: Parties
    figures: list[Figure]
    kpi_period: PeriodOverview
    vendor_proposals: list[Citation]
    vendor_requests: list[Citation]
    owed: list[OwedItem]
    meeting_dates: list[dt.date]
    decisions: list[Finding]  # the latest minutes' 決定事項 (a term already agreed …)
    causes: list[StatedCause]  # reasons the vendor's reports give for missed months
    strongest: Citation | None  # the vendor's own result the letter thanks it for
    trend: Trend  # the main KPI read against its ramp-up and trend (app/draft/framing.py)
    tolerance: float  # a month at this share of its target is at the target's level
    staff: list[str]  # our own people (never 「様」 in a text from us)
    our_attendees: list[str]  # from the latest minutes' attendee list
    vendor_attendees: list[str]
    past_proposals: list[Citation]  # proposals for a day already passed: results, not plans
    months_behind: int  # months between the latest figures and the draft's date
    missing_from: str  # 「2026年3月」: the first month with no figures yet (when behind)
    our_requests: list[OurRequest]  # what we asked the vendor in writing (answered or not)
    past_decisions: dict[str, str]  # a decision naming a day already past → what to check
    adopted: dict[str, str]  # a vendor proposal our minutes decided to take up → when
    return_on_fee: Finding | None  # orders won against the fees paid (memo)
    outlooks: list[Citation]  # the vendor's outlooks for months now over: ask the outcome
    leads: list[Citation]  # the vendor's own market observations: themes for new value
    short_reply: bool  # a week or less to answer: the letter says sorry for it
    followed_up: list[str]  # quotes of proposals a later document reports on (not asked again)
    next_term: list[str]  # proposals for the next term: ask their details, not results
    completed: list[str]  # of those, finished or a one-time deliverable given: acknowledged

    def template_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def build_context(
    *,
    kind: DraftKind,
    analysis: EngagementAnalysis,
    engagement: EngagementFacts,
    documents: Sequence[DocumentFacts],
    knowledge: Knowledge,
    config: DraftConfig,
    today: dt.date,
    parties: Parties | None = None,
    points: Sequence[KpiPoint] = (),
) -> DraftContext:
    """Every section for every kind: the LLM's passages come from all of them.

    An external kind (knowledge/drafts_audience.yaml) keeps only passages the vendor sent.
    """
    readers = readers_for(
        kind, documents=documents, vendor_name=engagement.vendor_name, spec=config.audiences
    )
    rules = config.audiences.vendor_text
    analysis = by_strength(analysis, sides(documents, engagement.vendor_name))
    spoken, unknown = spoken_checks(
        analysis.open_checks,
        [d for d in documents if d.date <= analysis.as_of],
        config.check_topics,
    )
    analysis = analysis.model_copy(update={"open_checks": unknown})
    timeline = compute_timeline(
        engagement_id=engagement.id,
        renewal_date=engagement.renewal_date,
        notice_days=engagement.notice_days,
        today=today,
        timing=config.timing,
    )
    stated = figures(
        analysis=analysis, points=points, documents=documents, readers=readers, knowledge=knowledge
    )
    main_label = (
        str(knowledge.kpi.kpis[analysis.main_kpi].label)
        if analysis.main_kpi in knowledge.kpi.kpis
        else None
    )
    recent = knowledge.engine.kpi.recent_months
    tolerance = rules.met_tolerance
    visible = [d for d in documents if d.date <= analysis.as_of]
    trend = main_trend(
        stated,
        analysis.main_kpi,
        tolerance=tolerance,
        plan=plan_citation(visible, readers, rules),
        on_track=said_on_track(visible, engagement.vendor_name, rules),
    )
    kpi_summary: Finding | None = None
    sources = [f.source for f in stated if f.key == analysis.main_kpi and f.source][-recent:]
    sources = sources[::-1] or readers.keep(main_sources(analysis, recent))
    achievement = analysis.recent_achievement
    months = recent_label([r.period for r in analysis.kpi_table], recent)
    stale = is_stale([d.date for d in visible], today)
    latest = analysis.kpi_table[-1].period if analysis.kpi_table else None
    if readers.external:
        # The vendor reads the figures it reported: the average is of those months, so the
        # table, the sentences and the questions of one letter never disagree.
        reported = [f for f in stated if f.key == analysis.main_kpi and f.achievement][-recent:]
        achievement = (
            sum(f.achievement or 0 for f in reported) / len(reported) if reported else None
        )
        months = months_phrase([f.period for f in reported], latest, stale)
    if main_label and achievement is not None and sources:
        kpi_summary = Finding(
            f"{months}の{main_label}の目標達成率は平均{percent(achievement)}です。", sources
        )
    funnel_leak: Finding | None = None
    if analysis.funnel is not None and analysis.funnel.leak and sources:
        funnel_leak = Finding(analysis.funnel.leak, sources[-1:])
    contributions = citable(signal_result(analysis, "proactivity").evidence)
    if signal_result(analysis, "proactivity").status != "good":
        contributions = []
    columns = kpi_columns(analysis, knowledge)
    items = open_items(visible, as_of=analysis.as_of)
    requested = vendor_requests(visible, readers, rules, analysis.as_of)
    asked = {(c.document_id, c.start) for c in requested}
    proposed, past_proposals = split_proposals(
        [
            c
            for c in vendor_proposals(visible, readers, rules, analysis.as_of)
            if (c.document_id, c.start) not in asked  # listed once, as what we owe an answer to
        ],
        visible,
        today,
    )
    vendor_people = {p for p in (parties.vendor_contact if parties else None,) if p}
    reply_by, meetings = review_dates(timeline, timing=config.timing)
    meetings = safe_meetings(meetings, reply_by, timeline.notice_deadline)
    owed = owed_items(
        items, readers, rules, vendor_people, vendor_core_name(engagement.vendor_name)
    )
    causes = stated_causes(stated, visible, readers, rules, knowledge)
    scored = [f for f in stated if f.achievement is not None]
    recent_periods = sorted({f.period for f in scored})[-recent:]
    missed = [f for f in scored if f.period in recent_periods and (f.achievement or 0) < 1]
    main_explained = explained(causes, [f for f in missed if f.key == analysis.main_kpi])
    funnel_explained = explained(causes, [f for f in missed if f.key in FUNNEL[3:]])
    in_use = [k for k, spec in config.proposals.items() if in_place(spec.in_place, visible)]
    views = proposal_views(
        analysis,
        config,
        knowledge,
        kpi_summary,
        on_level=trend.on_plan or trend.at_level,
        in_use=in_use,
    )
    asked_by_us = our_requests(visible, engagement.vendor_name, as_of=analysis.as_of)
    unanswered = [r for r in asked_by_us if not r.answered]
    proposal_list = with_offers(views, config, proposed, owed, unanswered)
    ours, theirs = attendees(visible, engagement.vendor_name)
    listed = proposed + past_proposals + requested
    later = follow_ups(listed, visible)
    requested = [c for c in requested if c.quote not in later]  # done: not our open item
    strongest = strongest_result(visible, readers, rules)
    decided = decided_items(visible, as_of=analysis.as_of)
    risks = risk_findings(analysis, kpi_summary, funnel_leak, knowledge, config.signal_wording)
    overview = period_overview(
        stated,
        main_kpi=analysis.main_kpi,
        latest=latest,
        tolerance=tolerance,
        stale=stale,
        external=readers.external,
    )
    if trend.on_plan:
        # a ramp-up on plan: the flat average and the funnel average are no risk; the KPIs
        # still short of their target in the latest month are
        short = [f for f in overview.findings if "まだ届いていません" in f.text]
        # one risk naming them; their months are in the KPI section, not repeated here
        labels = "・".join(f.text.split("は、", 1)[0] for f in short)
        evidence = unique([c for f in short for c in f.evidence])
        said = f"成果：{labels}は、月間目標にまだ届いていません（各月の値はKPIサマリー）。"
        risks = ([Finding(said, evidence)] if short else []) + [
            r for r in risks if not r.text.startswith(("成果：", "ファネル："))
        ]
    context = DraftContext(
        kind=kind,
        as_of=today,
        engagement=engagement,
        timeline=timeline,
        analysis=analysis,
        main_kpi_label=main_label,
        kpi_summary=kpi_summary,
        recent_achievement=achievement,
        kpi_columns=columns,
        kpi_rows=kpi_rows(analysis, columns, stated),
        signals=signal_views(analysis, config.signal_wording),
        risks=risks,
        decisions=[Finding(item.task, [item_citation(item)]) for item in decided],
        conditions=condition_views(
            analysis, knowledge, config, timeline, [item.task for item in decided]
        ),
        checks=check_views(analysis, knowledge, config, kpi_summary),
        questions=question_findings(
            analysis,
            config,
            knowledge,
            kpi_summary,
            funnel_leak,
            main_label,
            achievement,
            external=readers.external,
            months=months,
            main_explained=main_explained,
            funnel_explained=funnel_explained,
            trend=trend,
            tolerance=tolerance,
            effect_reported=strongest is not None,
            weakest=weakest_stage(stated),
            handover_explained=in_place(
                rules.handover_explained, [d for d in visible if d.id in readers.citable_ids]
            ),
        ),
        open_items=open_item_findings(items),
        internal_factors=[
            Finding(f"{f.label}：" + "／".join(f.checks), citable(f.evidence)[:2])
            for f in analysis.internal_factors
        ],
        open_checks=list(analysis.open_checks),
        spoken_checks=spoken,
        proposals=proposal_list,
        reply_by=reply_by,
        blocks=agenda_blocks(analysis, config, kpi_summary, funnel_leak, contributions),
        funnel_leak=funnel_leak,
        contributions=contributions,
        config=config,
        readers=readers,
        parties=parties or Parties(vendor_name=engagement.vendor_name),
        figures=stated,
        kpi_period=overview,
        vendor_proposals=proposed,
        vendor_requests=requested,
        owed=owed,
        meeting_dates=meetings,
        causes=causes,
        strongest=strongest,
        trend=trend,
        tolerance=tolerance,
        staff=our_staff(visible, engagement.vendor_name),
        our_attendees=with_titles(ours, visible, engagement.vendor_name, ours=True),
        vendor_attendees=with_titles(theirs, visible, engagement.vendor_name, ours=False),
        past_proposals=past_proposals,
        months_behind=months_between(latest, today),
        missing_from=following(latest),
        our_requests=asked_by_us,
        past_decisions=decision_status(decided, visible, today),
        adopted=adopted(proposed, decided, visible),
        return_on_fee=return_on_fee(analysis, engagement.monthly_fee_jpy),
        outlooks=past_outlooks(visible, vendor_ids(visible, engagement.vendor_name), today),
        leads=vendor_leads(visible, engagement.vendor_name, config.new_value_leads, listed),
        short_reply=short_reply(today, reply_by),
        followed_up=list(later),
        completed=[q for q, f in later.items() if f.finished],
        next_term=next_term(proposed + past_proposals, visible),
    )
    return restricted(context) if readers.external else context
