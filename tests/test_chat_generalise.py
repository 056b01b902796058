"""Chat questions the sentence ranker cannot answer alone (issue 11): the renewal from the
stored analysis, a side's contact from how people name themselves, portfolio rankings from
the contract records and KPI series."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from app.analyse.kpi import KpiKnowledge
from app.analyse.models import Citation, EngagementAnalysis, InternalFactor
from app.analyse.service import get_analysis
from app.chat import portfolio
from app.chat.answers import Evidence
from app.chat.classify import classify
from app.chat.evidence import rules_for
from app.chat.ranking import rank_units
from app.chat.service import answer_offline
from app.container import Container
from app.core.facts import EngagementFacts
from app.knowledge.chat import ChatKnowledge
from app.retrieve.tokenizer import SudachiTokenizer
from tests.chat_support import Seeded, assert_exact, seeded_evidence

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
AS_OF = dt.date(2026, 2, 20)


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("この契約は更新すべきですか？", "decision"),
        ("継続した方がいいでしょうか", "decision"),
        ("更新にあたってのリスクは何ですか？", "risks"),
        ("更新の打合せで先方に確認すべきことは？", "checks"),
        ("更新するなら条件は何にすべき？", "conditions"),
        # 「条件」 without the renewal is a question about the documents.
        ("先方はどのような条件を出してきましたか？", None),
        ("10月度のアポ数は何件でしたか？", None),
    ],
)
def test_renewal_questions_are_recognised_by_their_aspect(
    question: str,
    aspect: str | None,
    chat: ChatKnowledge,
    kpi: KpiKnowledge,
    analyzer: SudachiTokenizer,
) -> None:
    intent = classify(
        question, knowledge=chat, kpi_knowledge=kpi, analyze=analyzer.analyze, as_of=AS_OF
    )
    assert intent.aspect == aspect
    assert (intent.kind == "assessment") == (aspect is not None)


def ask(container: Container, seeded: Seeded, question: str) -> str:
    answer, _, _ = answer_offline(
        container=container,
        engagement_id=seeded.engagement_id,
        question=question,
        as_of=seeded.as_of,
    )
    assert answer.found
    for citation in answer.citations:
        assert_exact(container, citation)
    return answer.text


def test_should_we_renew_is_answered_by_the_analysis_not_a_keyword(
    chat_container: Container, seeded: Seeded
) -> None:
    text = ask(chat_container, seeded, "この契約は更新すべきですか？")
    assert "分析では、更新の判断は「" in text and "判断の理由" in text
    assert not text.startswith("はい")
    risks = ask(chat_container, seeded, "更新にあたってのリスクは？")
    assert "（更新の判断は「" in risks
    checks = ask(chat_container, seeded, "更新の判断にあたって確認すべきことは？")
    assert "確認したい点" in checks or "確認事項はありません" in checks


def test_who_questions_name_a_person_from_how_people_sign(
    chat_container: Container, seeded: Seeded
) -> None:
    contact = ask(chat_container, seeded, "テストセールスの担当者は誰ですか？")
    assert contact.startswith("テストセールスのご担当は") and "杉山さん" in contact
    successor = ask(chat_container, seeded, "後任の担当者は誰ですか？")
    assert "鈴木" in successor and not successor[0].isdigit()


def _view(name: str, renewal: dt.date, notice_days: int, fee: int) -> portfolio.EngagementView:
    engagement = EngagementFacts(
        id=hash(name) % 1000,
        vendor_name=name,
        service="テレアポ代行",
        start_date=renewal - dt.timedelta(days=365),
        renewal_date=renewal,
        notice_days=notice_days,
        monthly_fee_jpy=fee,
    )
    return portfolio.EngagementView(
        Evidence(engagement=engagement, documents=[], units={}, kpis=[], chunks=[], as_of=AS_OF)
    )


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("解約予告期限が一番近い契約は？", "架空コール"),  # the nearest deadline still ahead
        ("解約予告期限の日付が最も早い契約はどれですか？", "過去セールス"),  # earliest, past or not
        ("解約予告期限が最も遅い契約は？", "遠方アウトバウンド"),
        ("月額費用が最も安い契約はどこですか？", "過去セールス"),
        ("月額費用が一番高いのは？", "遠方アウトバウンド"),
    ],
)
def test_portfolio_contract_rankings_read_the_records(
    question: str,
    first: str,
    chat: ChatKnowledge,
    kpi: KpiKnowledge,
    analyzer: SudachiTokenizer,
) -> None:
    views = [
        _view("遠方アウトバウンド", dt.date(2026, 12, 31), 60, 900_000),
        _view("架空コール", dt.date(2026, 4, 30), 30, 600_000),
        _view("過去セールス", dt.date(2026, 3, 31), 60, 500_000),
    ]
    intent = classify(
        question, knowledge=chat, kpi_knowledge=kpi, analyze=analyzer.analyze, as_of=AS_OF
    )
    assert portfolio.route(intent, chat.contract, chat.portfolio) == "contract"
    asked = portfolio.contract_question(intent, chat.contract)
    assert asked is not None
    answer = portfolio.contract_order(views, *asked, AS_OF)
    assert answer.text.split("\n")[0].count(first) == 1, answer.text


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("どの代行会社が一番成果を出していますか？", "results"),
        ("コストパフォーマンスが一番良いのは？", "cost"),
        ("アポ1件あたりの費用が一番高いのはどこ？", "cost"),
    ],
)
def test_portfolio_results_and_cost_route_to_their_rankings(
    question: str, kind: str, chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    intent = classify(
        question, knowledge=chat, kpi_knowledge=kpi, analyze=analyzer.analyze, as_of=AS_OF
    )
    assert portfolio.route(intent, chat.contract, chat.portfolio) == kind


def test_a_sentence_the_analysis_cites_for_a_signal_is_about_that_signal(
    chat_container: Container,
    seeded: Seeded,
    chat: ChatKnowledge,
    kpi: KpiKnowledge,
    analyzer: SudachiTokenizer,
) -> None:
    """The event patterns of 「当社側の要因」 do not read 「新リストの作成（6/30まで）」; when the
    stored analysis cites it as a client-side cause (its detectors read other wording), the
    ranker counts it as a sentence about that event, and only then."""
    question = "当社側の要因は何ですか？"
    analysis = get_analysis(
        container=chat_container, engagement_id=seeded.engagement_id, as_of=seeded.as_of
    )
    evidence = replace(seeded_evidence(chat_container, seeded, question), analysis=analysis)
    rules = rules_for(chat_container)
    intent = classify(
        question,
        knowledge=chat,
        kpi_knowledge=kpi,
        analyze=analyzer.analyze,
        as_of=seeded.as_of,
    )
    assert "internal_factor" in intent.events and evidence.analysis is not None
    unit = next(u for u in evidence.units[seeded.minutes] if "新リスト" in u.normalized)
    assert not rules.event_matches("internal_factor", unit.normalized)
    document = next(d for d in evidence.documents if d.id == seeded.minutes)
    cause = InternalFactor(
        type="client_resources",
        label="リスト",
        checks=[],
        evidence=[Citation.of_span(document, unit.start, unit.end)],
    )

    def scored_event(analysis: EngagementAnalysis) -> bool:
        ranked = rank_units(intent, replace(evidence, analysis=analysis), rules)
        return next(s for s in ranked if s.unit == unit).event

    assert not scored_event(evidence.analysis.model_copy(update={"internal_factors": []}))
    assert scored_event(evidence.analysis.model_copy(update={"internal_factors": [cause]}))
    # The answer path loads the stored analysis for such a question (not only for renewals).
    _, _, answered = answer_offline(
        container=chat_container,
        engagement_id=seeded.engagement_id,
        question=question,
        as_of=seeded.as_of,
    )
    assert answered.analysis is not None
    _, _, plain = answer_offline(
        container=chat_container,
        engagement_id=seeded.engagement_id,
        question="4月のアポ数は何件ですか？",
        as_of=seeded.as_of,
    )
    assert plain.analysis is None
