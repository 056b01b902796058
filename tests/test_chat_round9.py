"""Round 9 (issue 11, item 6): English words typed among Japanese, from-when から, a premise
the asker already knows, and why-questions answered by the causes a report lists — on small
invented questions and documents."""

from __future__ import annotations

import datetime as dt

import pytest

from app.analyse.kpi import KpiKnowledge
from app.chat.answers import Rules
from app.chat.classify import classify
from app.chat.clauses import premise_clause
from app.chat.compound import split_compound
from app.chat.evidence import rules_for
from app.chat.service import answer_offline
from app.container import Container
from app.knowledge.chat import ChatKnowledge
from app.retrieve.tokenizer import SudachiTokenizer
from tests.chat_support import add_document, assert_exact
from tests.conftest import make_engagement


@pytest.fixture(scope="module")
def rules(chat_container: Container) -> Rules:
    return rules_for(chat_container)


@pytest.mark.parametrize(
    ("question", "plain"),
    [
        ("ソラマチ社、renewalのconditionは？", "ソラマチ社、更新の条件は？"),
        ("3月のdownのroot causeは？", "3月の減少の原因は？"),
        ("Newの担当は誰？", "新しいの担当は誰？"),
        # An acronym stays as typed; so does a word that is not English.
        ("KPIの推移は？", "KPIの推移は？"),
    ],
)
def test_english_words_are_read_in_the_documents_words(
    question: str, plain: str, rules: Rules
) -> None:
    """A manager typing half-English (「renewalのconditionは？」) asks what the documents
    say in Japanese: the listed gloss, else the word's katakana, which the katakana words map."""
    assert rules.wording.plain(question, ["4月度の活動報告です。"]) == plain


def test_an_english_word_the_documents_use_stays_as_typed(rules: Rules) -> None:
    assert rules.wording.plain("trialの結果は？", ["trialプランの申込は8件。"]) == "trialの結果は？"


def test_a_half_english_renewal_question_is_a_decision_question(
    rules: Rules, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    question = rules.wording.plain("ヤマト社、renewalする？しない？", [])
    intent = classify(
        question,
        knowledge=rules.chat,
        kpi_knowledge=kpi,
        analyze=analyzer.analyze,
        as_of=dt.date(2025, 10, 1),
    )
    assert intent.aspect == "decision"


@pytest.mark.parametrize(
    ("sentence", "gives"),
    [
        ("人が足りないから、架電数が落ちました。", True),
        ("担当が替わったから数字が戻らない。", True),
        ("12月からの落ち込みについて要因を確認しました。", False),
        ("先方から連絡がありました。", False),
    ],
)
def test_only_kara_after_a_verb_gives_a_cause(
    sentence: str, gives: bool, chat: ChatKnowledge
) -> None:
    """「12月からの落ち込み」 says from when: the causes listed under it are the answer."""
    assert any(p.search(sentence) for p in chat.reason_connectives) == gives


def test_a_premise_after_the_question_is_no_second_question() -> None:
    question = "1月にアポが落ちた本当の原因は何ですか？報告には「年始のため」とありましたが。"
    assert split_compound(question) == [question]


def test_a_concession_is_the_premise_not_the_ask(chat: ChatKnowledge) -> None:
    assert premise_clause("目安の20件は超えていたのに、なぜ評価が低い？", chat) == (
        "目安の20件は超えていた"
    )
    assert premise_clause("評価が低いのはなぜ？", chat) == ""


REPORT = """各位

ミナト・コールの坂口です。11月度の結果をご報告します。

| 指標 | 目標 | 11月実績 | 10月実績 |
|---|---|---|---|
| 架電数 | ― | 1,100件 | 1,120件 |
| アポ数 | 20件 | 12件 | 21件 |

■ 減少の要因（通話記録から）
- 接続後に「年度末まで予算が出ない」と断られた先が33件ありました。
- 競合の無料トライアル開始後、「比較してから」と保留された先が9件ありました。

■ ご提案
1. 保留先を1月の再架電リストにまとめます。
"""


def test_why_a_figure_fell_is_answered_by_the_listed_causes_not_the_table(
    chat_container: Container,
) -> None:
    """The figures asked about match the table row; the causes are the items under
    「■ 減少の要因」."""
    engagement = make_engagement(chat_container)
    add_document(
        chat_container,
        engagement,
        "vendor_report",
        dt.date(2025, 12, 5),
        "2025-11",
        "11月度 月次報告",
        REPORT,
    )
    answer, _, _ = answer_offline(
        container=chat_container,
        engagement_id=engagement,
        question="11月度にアポが21件から12件へ減った要因を教えてください。",
        as_of=dt.date(2025, 12, 10),
    )
    assert answer.found
    assert "33件" in answer.text and "9件" in answer.text
    assert not answer.text.split("\n")[1].startswith("「|")
    for citation in answer.citations:
        assert_exact(chat_container, citation)
