"""Round 10 (issue 11, item 6): questions typed on a phone in unconverted kana, read in the
documents' own words — on small invented questions and documents."""

from __future__ import annotations

import datetime as dt

import pytest

from app.chat.answers import Rules
from app.chat.evidence import rules_for
from app.chat.kana import KanaReader, hiragana
from app.chat.service import answer_offline
from app.container import Container
from app.retrieve.tokenizer import SudachiTokenizer
from tests.chat_support import add_document, assert_exact
from tests.conftest import make_engagement

DOCUMENTS = [
    "10月度の商談化率は48.0%でした。名刺リストのクレンジングは北村が担当します。",
    "改訂パンフレットを11月14日から送付しています。関西のリストへの架電を開始しました。",
]


@pytest.fixture(scope="module")
def rules(chat_container: Container) -> Rules:
    return rules_for(chat_container)


@pytest.fixture(scope="module")
def reader(analyzer: SudachiTokenizer) -> KanaReader:
    return KanaReader(analyzer.readings, {"がつ": "月", "けん": "件"}, ("解約予告。契約",))


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        # A compound of several morphemes is read whole (商談 + 化 + 率).
        ("10がつ しょうだんかりつ なんぱー", "10月 商談化率 なんぱー"),
        # Particles between the words stay; a katakana word typed in hiragana is found.
        ("めいしりすとのくれんじんぐ だれがやる", "名刺リストのクレンジング だれがやる"),
        # A clipped loanword (ぱんふ) is the document's long word; the verb stays as typed.
        ("かいていぱんふ いつからおくってる", "改訂パンフレット いつからおくってる"),
        # 関西 + の + リスト, not 関西 + 乗り + すと: the longest reading wins.
        ("かんさいのりすと いつから", "関西のリスト いつから"),
        # The vocabulary's words are read without any document holding them.
        ("かいやくよこく いつ", "解約予告 いつ"),
    ],
)
def test_a_kana_typed_question_is_read_in_the_documents_words(
    typed: str, read: str, reader: KanaReader
) -> None:
    assert reader.read(typed, DOCUMENTS) == read


@pytest.mark.parametrize(
    "question",
    [
        "10月の商談化率は？",  # any kanji: typed with conversion, left as asked
        "いつ？",  # too little kana to be a typed question
        "きたむらさんは？",  # a name the documents write only in kanji is no noun compound
    ],
)
def test_a_converted_or_short_question_stays_as_typed(question: str, reader: KanaReader) -> None:
    assert reader.read(question, DOCUMENTS[1:]) == question


def test_readings_compare_in_hiragana() -> None:
    assert hiragana("ショウダンカリツー") == "しょうだんかりつー"


def test_the_counters_and_readings_come_from_the_knowledge(rules: Rules) -> None:
    """The shipped chat_wording.yaml reads 「6がつ」 as 6月 and KPI names without documents."""
    assert (
        rules.wording.plain("6がつ あぽなんけん", ["6月のアポは22件でした。"]) == "6月 アポなん件"
    )


def test_a_kana_typed_kpi_question_is_answered_with_the_month_figure(
    chat_container: Container,
) -> None:
    engagement = make_engagement(chat_container)
    add_document(
        chat_container,
        engagement,
        "vendor_report",
        dt.date(2025, 11, 6),
        "2025-10",
        "10月度 月次報告",
        "10月度のご報告です。\nアポ数：27件（目標25件）\n商談化率：48.0%\n"
        "名刺リストのクレンジングは北村が担当します。",
    )
    answer, _, _ = answer_offline(
        container=chat_container,
        engagement_id=engagement,
        question="10がつ あぽなんけん とれた",
        as_of=dt.date(2025, 11, 20),
    )
    assert answer.found
    assert "27件" in answer.text
    for citation in answer.citations:
        assert_exact(chat_container, citation)


def _ask(container: Container, engagement: int, question: str) -> str:
    answer, _, _ = answer_offline(
        container=container,
        engagement_id=engagement,
        question=question,
        as_of=dt.date(2025, 12, 20),
    )
    assert answer.found
    for citation in answer.citations:
        assert_exact(container, citation)
    return answer.text


def test_a_contact_question_naming_the_predecessor_asks_for_the_successor(
    chat_container: Container,
) -> None:
    """「中原さんのあと、担当になったのは誰？」: the name says whose successor, it is no topic."""
    engagement = make_engagement(chat_container, vendor="株式会社ミナトセールス")
    add_document(
        chat_container,
        engagement,
        "meeting_notes",
        dt.date(2025, 10, 9),
        "2025-09",
        "9月度 定例",
        "出席：ミナトセールス 中原、当社 吉田\n9月はアポ24件。中原より、リストの見直し案の説明。",
    )
    add_document(
        chat_container,
        engagement,
        "email",
        dt.date(2025, 11, 4),
        None,
        "担当交代のご挨拶",
        "11月より御社を担当いたします、ミナトセールスの石川と申します。よろしくお願いいたします。",
    )
    text = _ask(chat_container, engagement, "中原さんのあと、11月から担当になったのは誰ですか？")
    assert text.startswith("ミナトセールスのご担当は石川さんです")


def test_a_person_written_only_by_role_has_no_name_in_the_documents(
    chat_container: Container,
) -> None:
    """The sentence says 「総務部長から電話があり」: the answer says the name is not written
    and quotes the sentence, rather than passing it off as the name."""
    engagement = make_engagement(chat_container, vendor="株式会社ハヤテコール")
    add_document(
        chat_container,
        engagement,
        "meeting_notes",
        dt.date(2025, 11, 12),
        "2025-10",
        "10月度 定例",
        "出席：ハヤテコール 森、当社 吉田\n"
        "10月2日、株式会社北辰工業の総務部長から当社に電話があり、同じ案内が3回来たとの苦情。",
    )
    text = _ask(chat_container, engagement, "苦情を入れてきた北辰工業の総務部長の名前は？")
    assert text.startswith("お名前は資料に記載がありません。「総務部長」とだけ書かれています")
    assert "電話があり" in text
