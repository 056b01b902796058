"""Rounds 7–8 (issue 11, item 6): formal requests read without their framing, requests and
alternatives that are no yes/no question, the renewal verb asked — on small invented questions."""

from __future__ import annotations

import datetime as dt

import pytest

from app.analyse.kpi import KpiKnowledge
from app.chat.classify import Intent, classify
from app.knowledge.chat import ChatKnowledge
from app.retrieve.tokenizer import SudachiTokenizer


def test_a_formal_request_names_no_topic(
    chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    """「…をご教示ください」 is 「教えてください」, 「本件」 the matter itself: no document has to
    hold them (they made formal questions 'not found')."""
    intent = _classified(
        "現在、本件を担当している代行会社のご担当者のお名前をご教示ください。", chat, kpi, analyzer
    )
    assert "教示" not in intent.terms and "本件" not in intent.terms
    assert "担当" in "".join(intent.terms)


def _classified(
    question: str, chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> Intent:
    return classify(
        question,
        knowledge=chat,
        kpi_knowledge=kpi,
        analyze=analyzer.analyze,
        as_of=dt.date(2025, 10, 20),
    )


@pytest.mark.parametrize(
    "question",
    [
        "書面を出した責任者の氏名と役職をご教示ください。",
        "代行側が提出した書面をお示しください",
        "値上げ後の反応を挙げてください",
        "研修で使った資料を特定してください",
        "定例は予定どおり開かれた？それとも延期になった？",
    ],
)
def test_a_request_or_an_alternative_is_no_yes_no_question(
    question: str, chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    """A question that asks to be told or offers two answers wants content: it must not be
    answered 「はい、資料に記載があります」 because one sentence shares its words."""
    assert _classified(question, chat, kpi, analyzer).kind != "yesno"


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("で、来期も更新するの？", "decision"),
        ("この代行会社とは継続しますか", "decision"),
        ("もう切るんですか？", "decision"),
        # The verb in another role is no question about the renewal.
        ("更新日はいつですか？", None),
        ("先方が更新しない方に傾いた理由は？", None),
    ],
)
def test_the_renewal_verb_asked_is_a_decision_question(
    question: str,
    aspect: str | None,
    chat: ChatKnowledge,
    kpi: KpiKnowledge,
    analyzer: SudachiTokenizer,
) -> None:
    """「更新するん？」 asks for the decision: answered from the stored analysis."""
    assert _classified(question, chat, kpi, analyzer).aspect == aspect


def test_falling_furthest_short_of_target_is_the_lowest_achievement(
    chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    """「いちばん目標に届いていないのは？…達成率で比べて」 asks for an extreme, not a trend."""
    question = (
        "どの契約がいちばん目標に届いていないの？直近月の商談数を目標で割った達成率で比べて。"
    )
    intent = _classified(question, chat, kpi, analyzer)
    assert intent.kind == "kpi_extreme" and intent.extreme == "lowest" and intent.achievement
