"""The offline engine over stored evidence: one engagement's question, or the portfolio's.

What the evaluation, the LLM fallback and the portfolio chat call; reads only (the analysis
a summary needs comes from `get_analysis`, which never writes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from app.analyse.service import get_analysis
from app.chat import portfolio, portfolio_rankings
from app.chat.answers import Evidence, OfflineAnswer, Rules
from app.chat.classify import Intent, apply_context, classify
from app.chat.compound import join_answers, split_compound
from app.chat.evidence import load_evidence, retrieve, rules_for
from app.chat.offline import answer as offline_answer
from app.container import Container
from app.core.facts import vendor_core_name
from app.store import repository


def understand(
    *,
    container: Container,
    evidence: Evidence,
    question: str,
    previous: dict[str, Any] | None = None,
) -> Intent:
    """The question's class and subject; a follow-up inherits what it leaves out."""
    rules = rules_for(container)
    intent = classify(
        question,
        knowledge=rules.chat,
        kpi_knowledge=rules.kpi,
        analyze=container.tokenizer.analyze,
        as_of=evidence.as_of,
        known_periods=evidence.known_periods,
    )
    intent = _vendor_name_is_no_kpi(intent, question, evidence, rules, container)
    intent = apply_context(intent, previous or {}, knowledge=rules.chat)
    if (
        intent.kind not in ("assessment", "when", "who", "quantity")
        and not intent.kind.startswith("kpi")
        and rules.wording.asks_judgment(intent.normalized, rules.chat.assessment.renewal)
    ):
        # 「来期もこのままお願いしていい？」: a judgment on the renewal, in other words.
        intent = replace(intent, kind="assessment", aspect="decision")
    return intent


def _vendor_name_is_no_kpi(
    intent: Intent, question: str, evidence: Evidence, rules: Rules, container: Container
) -> Intent:
    """「アポロコール、8月のアポは？」「アポロコールさんとの契約、来期も…」: a KPI word inside
    the vendor's name (アポ) neither makes a KPI question nor narrows one; the question is
    read again with the name said as 「代行会社」, keeping its words."""
    core = vendor_core_name(evidence.engagement.vendor_name)
    names = sorted({core, core.split("・")[0]}, key=len, reverse=True)
    masked = question
    for name in names:
        if len(name) >= 3:
            masked = masked.replace(name, "代行会社")
    if masked == question:
        return intent
    again = classify(
        masked,
        knowledge=rules.chat,
        kpi_knowledge=rules.kpi,
        analyze=container.tokenizer.analyze,
        as_of=evidence.as_of,
        known_periods=evidence.known_periods,
    )
    if (again.kind, again.kpi_keys, again.qualifiers) == (
        intent.kind,
        intent.kpi_keys,
        intent.qualifiers,
    ):
        return intent
    return replace(
        intent,
        kind=again.kind,
        kpi_key=again.kpi_key,
        kpi_keys=again.kpi_keys,
        qualifiers=again.qualifiers,
        quantity=again.quantity,
        extreme=again.extreme,
        achievement=again.achievement,
        aspect=again.aspect,
    )


def answer_offline(
    *,
    container: Container,
    engagement_id: int,
    question: str,
    as_of: dt.date | None = None,
    previous: dict[str, Any] | None = None,
) -> tuple[OfflineAnswer, Intent, Evidence]:
    """The offline engine end to end (what the evaluation and the LLM fallback use); a
    compound question is answered in parts, each part a follow-up of the one before."""
    as_of = as_of or dt.date.today()
    parts = split_compound(question)
    if len(parts) > 1:
        answers: list[OfflineAnswer] = []
        context = previous
        first: tuple[Intent, Evidence] | None = None
        for part in parts:
            result, intent, evidence = _answer_one(container, engagement_id, part, as_of, context)
            answers.append(result)
            first = first or (intent, evidence)
            context = {"kind": intent.kind, **result.context}
        assert first is not None
        return join_answers(answers, parts), first[0], first[1]
    return _answer_one(container, engagement_id, question, as_of, previous)


def _answer_one(
    container: Container,
    engagement_id: int,
    question: str,
    as_of: dt.date,
    previous: dict[str, Any] | None,
) -> tuple[OfflineAnswer, Intent, Evidence]:
    evidence = load_evidence(
        container=container, engagement_id=engagement_id, as_of=as_of, question=question
    )
    plain = rules_for(container).wording.plain(question, [d.text for d in evidence.documents])
    if plain != question:  # 「セプテンバーのクロージング」: searched as 「9月の受注」
        question = plain
        evidence = load_evidence(
            container=container, engagement_id=engagement_id, as_of=as_of, question=question
        )
    intent = understand(
        container=container, evidence=evidence, question=question, previous=previous
    )
    rules = rules_for(container)
    # The stored analysis answers questions about the renewal and the summary; its evidence
    # of a signal also tells the ranker which sentences are about an event that names one.
    if intent.kind in ("summary", "assessment") or any(
        rules.chat.events[key].signal for key in intent.events
    ):
        analysis = get_analysis(container=container, engagement_id=engagement_id, as_of=as_of)
        evidence = replace(evidence, analysis=analysis)
    result = offline_answer(intent, evidence, rules)
    return result, intent, evidence


def answer_portfolio(
    *, container: Container, question: str, as_of: dt.date
) -> portfolio.PortfolioAnswer:
    """Route a cross-engagement question to a ranking, the renewal calendar, the stored
    analyses, or a search over all engagements."""
    rules = rules_for(container)
    question = rules.wording.plain(question)
    with container.session_factory() as session:
        engagement_ids = [e.id for e in repository.list_engagements(session)]
    if not engagement_ids:
        return portfolio.PortfolioAnswer("契約がまだ登録されていません。", (), False, "none")
    probe = load_evidence(
        container=container, engagement_id=engagement_ids[0], as_of=as_of, question=None
    )
    intent = classify(
        question,
        knowledge=rules.chat,
        kpi_knowledge=rules.kpi,
        analyze=container.tokenizer.analyze,
        as_of=as_of,
        known_periods=probe.known_periods,
    )
    kind = portfolio.route(intent, rules.chat.contract, rules.chat.portfolio)
    if kind == "search":
        hits = retrieve(container=container, question=question, engagement_id=None)
        ranked = list(dict.fromkeys(hit.engagement_id for hit in hits))[: portfolio.TOP - 1]
        answers = []
        for engagement_id in ranked:
            result, _, evidence = answer_offline(
                container=container, engagement_id=engagement_id, question=question, as_of=as_of
            )
            answers.append((portfolio.EngagementView(evidence), result))
        return portfolio.combine(answers)
    views: list[portfolio.EngagementView] = []
    for engagement_id in engagement_ids:
        evidence = load_evidence(
            container=container, engagement_id=engagement_id, as_of=as_of, question=None
        )
        analysis = (
            get_analysis(
                container=container,
                engagement_id=engagement_id,
                as_of=None if as_of == dt.date.today() else as_of,
            )
            if kind in portfolio.PRESENCE_EVENTS or kind.startswith(portfolio.DECISION)
            else None
        )
        views.append(portfolio.EngagementView(evidence, analysis))
    if kind == "kpi":
        key = intent.kpi_key or intent.kpi_keys[0]
        return portfolio_rankings.rank_kpi(replace(intent, kpi_key=key), views, rules)
    if kind == "renewal":
        return portfolio.renewal_order(views, as_of)
    if kind == "contract":
        asked = portfolio.contract_question(intent, rules.chat.contract)
        assert asked is not None
        return portfolio.contract_order(views, *asked, as_of)
    if kind == "results":
        return portfolio_rankings.rank_results(views, rules, container.knowledge.engine)
    if kind == "cost":
        return portfolio_rankings.rank_cost(views, portfolio_rankings.cost_direction(intent, rules))
    if kind.startswith(portfolio.DECISION):
        return portfolio.decision_listing(kind, views)
    return portfolio.presence_listing(kind, views, rules)
