"""Round 7 (issue 11, item 6): formal requests read without their framing — on a small
invented question."""

from __future__ import annotations

import datetime as dt

from app.analyse.kpi import KpiKnowledge
from app.chat.classify import classify
from app.knowledge.chat import ChatKnowledge
from app.retrieve.tokenizer import SudachiTokenizer


def test_a_formal_request_names_no_topic(
    chat: ChatKnowledge, kpi: KpiKnowledge, analyzer: SudachiTokenizer
) -> None:
    """「…をご教示ください」 is 「教えてください」, 「本件」 the matter itself: no document has to
    hold them (they made formal questions 'not found')."""
    intent = classify(
        "現在、本件を担当している代行会社のご担当者のお名前をご教示ください。",
        knowledge=chat,
        kpi_knowledge=kpi,
        analyze=analyzer.analyze,
        as_of=dt.date(2025, 10, 20),
    )
    assert "教示" not in intent.terms and "本件" not in intent.terms
    assert "担当" in "".join(intent.terms)
