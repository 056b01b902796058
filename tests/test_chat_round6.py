"""Round 6 (issue 11, item 6): the asker's loanwords and spoken spellings, a purpose clause,
a figure asked about the conditions, and two portfolio answers (the contract's term, the
analysis's decision) — on small invented texts."""

from __future__ import annotations

import datetime as dt

import pytest

from app.analyse.kpi import KpiKnowledge
from app.chat import portfolio
from app.chat.answers import Evidence, Rules
from app.chat.classify import classify
from app.chat.evidence import rules_for
from app.chat.service import answer_offline
from app.container import Container
from app.core.facts import EngagementFacts
from app.knowledge.chat import ChatKnowledge
from app.retrieve.tokenizer import SudachiTokenizer
from tests.chat_support import Seeded, assert_exact, seeded_evidence

AS_OF = dt.date(2025, 7, 15)


@pytest.fixture(scope="module")
def rules(chat_container: Container) -> Rules:
    return rules_for(chat_container)


def test_loanwords_are_read_in_the_documents_words_unless_the_documents_use_them(
    rules: Rules,
) -> None:
    plain = rules.wording.plain
    assert plain("セプテンバーのクロージングは何件？") == "9月の受注は何件？"
    assert plain("ニュー・リーダーの名前は？").startswith("新しい・")
    # a whole katakana word only, and never one the documents themselves write as a word
    assert plain("ニュースリリースは？") == "ニュースリリースは？"
    assert plain("メニューは？", ["新メニューの改定", "メニュー表"]) == "メニューは？"
    assert plain("メニューは？", ["来期のご提案"]) == "提案は？"


def ask(container: Container, seeded: Seeded, question: str) -> tuple[str, bool]:
    answer, _, _ = answer_offline(
        container=container,
        engagement_id=seeded.engagement_id,
        question=question,
        as_of=seeded.as_of,
    )
    for citation in answer.citations:
        assert_exact(container, citation)
    return answer.text, answer.found


def test_a_month_and_a_kpi_in_katakana_are_answered_from_the_series(
    chat_container: Container, seeded: Seeded
) -> None:
    text, found = ask(chat_container, seeded, "エイプリルのアポイントメントは何件？")
    assert found and "24件" in text


def test_a_purpose_clause_is_no_topic_the_documents_must_hold(
    chat_container: Container,
    seeded: Seeded,
    chat: ChatKnowledge,
    kpi: KpiKnowledge,
    analyzer: SudachiTokenizer,
) -> None:
    question = "役員会で説明できるように、トークスクリプトをどう変えることになったか教えて"
    intent = classify(
        question, knowledge=chat, kpi_knowledge=kpi, analyze=analyzer.analyze, as_of=AS_OF
    )
    assert "役員" not in intent.terms and "スクリプト" in "".join(intent.terms)
    text, found = ask(chat_container, seeded, question)
    assert found and "質問型" in text
    # 「どのように、」 is the question's own word, not a purpose clause
    again = classify(
        "どのように、変えましたか",
        knowledge=chat,
        kpi_knowledge=kpi,
        analyze=analyzer.analyze,
        as_of=AS_OF,
    )
    assert "変える" in again.terms or "変え" in "".join(again.terms)


@pytest.mark.parametrize(
    ("question", "assessment"),
    [
        ("来期の条件について、見積金額はいくらですか？", False),
        ("更新の判断はいつまでにすればいい？", False),
        ("来期も続けるなら条件は？", True),
    ],
)
def test_a_figure_or_a_date_asked_about_the_renewal_is_no_judgment(
    question: str,
    assessment: bool,
    chat: ChatKnowledge,
    kpi: KpiKnowledge,
    analyzer: SudachiTokenizer,
) -> None:
    intent = classify(
        question, knowledge=chat, kpi_knowledge=kpi, analyze=analyzer.analyze, as_of=AS_OF
    )
    assert (intent.kind == "assessment") is assessment


def _view(name: str, start: dt.date, renewal: dt.date) -> portfolio.EngagementView:
    engagement = EngagementFacts(
        id=hash(name) % 1000,
        vendor_name=name,
        service="テレアポ代行",
        start_date=start,
        renewal_date=renewal,
        notice_days=30,
        monthly_fee_jpy=500_000,
    )
    return portfolio.EngagementView(
        Evidence(engagement=engagement, documents=[], units={}, kpis=[], chunks=[], as_of=AS_OF)
    )


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("契約開始日から満了日までの契約期間がいちばん短いのはどこ？", "半年コール"),
        ("契約期間が最も長い契約は？", "二年セールス"),
    ],
)
def test_portfolio_ranks_the_contract_term_when_its_length_is_asked(
    question: str, first: str, chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    views = [
        _view("一年インサイド", dt.date(2025, 4, 1), dt.date(2026, 3, 31)),
        _view("半年コール", dt.date(2025, 10, 1), dt.date(2026, 3, 31)),
        _view("二年セールス", dt.date(2024, 4, 1), dt.date(2026, 3, 31)),
    ]
    intent = classify(
        question, knowledge=chat, kpi_knowledge=kpi, analyze=analyzer.analyze, as_of=AS_OF
    )
    asked = portfolio.contract_question(intent, chat.contract)
    assert asked is not None and asked[0] == "term"
    answer = portfolio.contract_order(views, *asked, AS_OF)
    assert answer.text.split("\n")[0].count(first) == 1, answer.text
    # 「契約期間がもっとも早く始まった」 asks no length: no term ranking
    started = classify(
        "契約期間がもっとも早く始まったのは？",
        knowledge=chat,
        kpi_knowledge=kpi,
        analyze=analyzer.analyze,
        as_of=AS_OF,
    )
    ranked = portfolio.contract_question(started, chat.contract)
    assert ranked is not None and ranked[0] != "term"


def test_decision_listing_names_the_engagements_with_that_decision(
    chat_container: Container, seeded: Seeded
) -> None:
    from app.analyse.service import get_analysis

    evidence = seeded_evidence(chat_container, seeded)
    analysis = get_analysis(
        container=chat_container, engagement_id=seeded.engagement_id, as_of=seeded.as_of
    )
    view = portfolio.EngagementView(evidence, analysis)
    decided = portfolio.decision_listing(portfolio.DECISION + analysis.decision.decision, [view])
    assert decided.found and view.vendor in decided.text
    other = "renew" if analysis.decision.decision != "renew" else "do_not_renew"
    none = portfolio.decision_listing(portfolio.DECISION + other, [view])
    assert view.vendor not in none.text and "見当たりません" in none.text


@pytest.mark.parametrize(
    ("question", "framing", "topic"),
    [
        ("経理の立場からお伺いします。4月度のアポ数は何件ですか？", "経理", "アポ"),
        ("展示会に来た人の名前を教えて。報告書には署名がないので。", "署名", "展示"),
        # a question in the last sentence is no aside
        ("リストはどこから？", None, "リスト"),
    ],
)
def test_a_preamble_and_a_closing_aside_are_no_topic(
    question: str,
    framing: str | None,
    topic: str,
    chat: ChatKnowledge,
    kpi: KpiKnowledge,
    analyzer: SudachiTokenizer,
) -> None:
    intent = classify(
        question, knowledge=chat, kpi_knowledge=kpi, analyze=analyzer.analyze, as_of=AS_OF
    )
    words = "".join(intent.terms)
    assert framing is None or framing not in words
    assert topic in words or intent.kpi_key is not None


def test_a_spoken_spelling_is_read_before_a_katakana_word(rules: Rules) -> None:
    assert rules.wording.plain("おわびメールは誰から？") == "お詫びメールは誰から？"


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        # a polite 「…ですか。」 ends a question like a question mark
        ("報告が届いたのはいつですか。提出期限より遅れていましたか。", 2),
        # a closing remark asks nothing
        ("AとBは何がちがうの？ざっくりでいいので", 1),
        ("どんな提案がありましたか？項目だけで結構です。", 1),
    ],
)
def test_compound_questions_split_on_polite_endings_but_not_on_remarks(
    question: str, parts: int
) -> None:
    from app.chat.compound import split_compound

    assert len(split_compound(question)) == parts


def test_a_report_month_written_as_a_period_names_the_report_not_its_sending(
    chat_container: Container, seeded: Seeded
) -> None:
    text, found = ask(chat_container, seeded, "4月度の報告書が届いたのはいつですか？")
    assert found and "5月8日" in text


def test_a_price_then_a_clause_is_two_questions_and_worth_the_fee_is_a_judgment(
    chat_container: Container, seeded: Seeded
) -> None:
    from app.chat.compound import split_compound

    question = "4月度のアポ数はいくらで、月々の委託費に見合っていると言えそうでしょうか。"
    assert len(split_compound(question)) == 2
    text, found = ask(chat_container, seeded, question)
    assert found and "24件" in text
    assert "分析では、更新の判断は「" in text and "はい、資料に記載があります" not in text


def test_a_paraphrase_of_prevention_is_read_as_the_documents_word(rules: Rules) -> None:
    plain = rules.wording.plain("同じことが起きないように何をした？", ["再発防止として…"])
    assert plain == "再発防止として何をした？"
