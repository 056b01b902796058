"""The one segmenter: exact offsets, brackets, lists, tables, quotes and linear time."""

from __future__ import annotations

import time

import pytest

from app.core.text import (
    Segment,
    has_company_affix,
    introduces,
    is_greeting,
    line_spans,
    lines,
    marker_length,
    segment,
    self_introduction,
    sentence_spans,
    sentences,
    strip_company_affixes,
    strip_marker,
)


def texts(text: str, units: list[Segment]) -> list[tuple[str, str]]:
    return [(unit.kind, unit.text(text)) for unit in units]


def test_empty_and_blank_input() -> None:
    assert segment("") == []
    assert segment("\n\n  \r\n\u3000") == []
    assert sentence_spans("") == []
    assert lines("") == []


def test_sentences_end_at_japanese_and_ascii_enders_and_line_breaks() -> None:
    text = "今月は順調です。来月は？ 了解!次へ\n改行で終わる"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "今月は順調です。",
        "来月は？",
        "了解!",
        "次へ",
        "改行で終わる",
    ]


def test_no_split_inside_brackets() -> None:
    text = "顧客から「資料が来た。確認した」との苦情。（注：速報値。）次の文。"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "顧客から「資料が来た。確認した」との苦情。",
        "（注：速報値。）次の文。",
    ]


def test_unmatched_brackets_do_not_swallow_the_line() -> None:
    text = "「閉じない括弧。次の文。」"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["「閉じない括弧。次の文。」"]
    text = "「閉じない。次の文。"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["「閉じない。", "次の文。"]
    text = "終わり。」残り"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["終わり。」", "残り"]


def test_runs_of_enders_stay_attached() -> None:
    text = "本当ですか！？はい。"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["本当ですか！？", "はい。"]


def test_offsets_are_exact_with_crlf_and_full_width_spaces() -> None:
    text = "\u3000一文目。\r\n\r\n  二文目です。 三文目\r\n"
    units = segment(text)
    assert [unit.text(text) for unit in units] == ["一文目。", "二文目です。", "三文目"]
    assert [unit.line for unit in units] == [0, 2, 2]
    for unit in units:
        assert text[unit.start : unit.end] == unit.text(text)


def test_line_spans_count_like_splitlines() -> None:
    text = "a\r\nb\rc\nd\u2028e\n"
    assert [text[s:e] for s, e in line_spans(text)] == text.splitlines()


@pytest.mark.parametrize(
    ("line", "body"),
    [
        ("- 架電数 1200", "架電数 1200"),
        ("* 項目", "項目"),
        ("・資料送付", "資料送付"),
        ("●アポ獲得", "アポ獲得"),
        ("◆ 課題", "課題"),
        ("■ 改善点", "改善点"),
        ("□ 未対応", "未対応"),
        ("① 一つ目", "一つ目"),
        ("1. 一つ目", "一つ目"),
        ("1) 一つ目", "一つ目"),
        ("（1）一つ目", "一つ目"),
        ("(2) 二つ目", "二つ目"),
        ("３．全角番号", "全角番号"),
        ("  - 字下げ", "字下げ"),
    ],
)
def test_list_markers(line: str, body: str) -> None:
    assert strip_marker(line) == body
    assert marker_length(line) == len(line) - len(body)


@pytest.mark.parametrize("line", ["1.5倍に増加", "-10%の減少", "**太字**", "2024年", "※注記"])
def test_not_list_markers(line: str) -> None:
    assert marker_length(line) == 0


def test_bullet_items_are_split_into_sentences_after_the_marker() -> None:
    text = "- 架電数：1,200件。アポは12件でした\n・資料送付\n1) 一つ目の提案です。"
    assert texts(text, segment(text)) == [
        ("item", "架電数：1,200件。"),
        ("item", "アポは12件でした"),
        ("item", "資料送付"),
        ("item", "一つ目の提案です。"),
    ]
    assert [unit.line for unit in segment(text)] == [0, 0, 1, 2]


@pytest.mark.parametrize(
    "line",
    [
        "## 9月の活動報告",
        "■今後の課題",
        "【決定事項】",
        "決定事項",
        "ToDo",
        "1. 9月度実績",
        "● 所感",
    ],
)
def test_headings(line: str) -> None:
    assert texts(line, segment(line)) == [("heading", line)]


@pytest.mark.parametrize(
    "line", ["高木様", "株式会社カエデ通信", "以上です。", "担当：山田", "- 決定事項", "了解、"]
)
def test_not_headings(line: str) -> None:
    assert all(unit.kind != "heading" for unit in segment(line))


def test_markdown_table_rows_know_their_header() -> None:
    text = "前置き\n| 項目 | 実績 |\n|---|---:|\n| アポ | 12 |\n| 商談 | 5 |\n\n後書き"
    units = segment(text)
    assert [unit.kind for unit in units] == [
        "heading",
        "table_header",
        "separator",
        "table_row",
        "table_row",
        "heading",
    ]
    header = units[1]
    assert header.text(text) == "| 項目 | 実績 |"
    assert all(unit.header == (header.start, header.end) for unit in units[2:5])
    assert units[3].text(text) == "| アポ | 12 |"


def test_tab_separated_rows_pasted_from_a_spreadsheet() -> None:
    text = "項目\t9月\t10月\nアポ\t12\t15\n商談\t5\t6\n\n1.\t番号の後のタブは表ではない。"
    units = segment(text)
    assert [unit.kind for unit in units] == ["table_header", "table_row", "table_row", "item"]
    assert units[2].header == (0, len("項目\t9月\t10月"))
    assert units[3].text(text) == "番号の後のタブは表ではない。"


def test_a_single_tab_line_is_not_a_table() -> None:
    assert [unit.kind for unit in segment("氏名\t山田太郎です。")] == ["sentence"]


def test_quoted_reply_lines() -> None:
    text = "承知しました。\n> 前回の件、ご確認ください。資料は添付です。\n>> さらに古い返信"
    assert texts(text, segment(text)) == [
        ("sentence", "承知しました。"),
        ("quote", "前回の件、ご確認ください。"),
        ("quote", "資料は添付です。"),
        ("quote", "さらに古い返信"),
    ]


def test_greetings_and_signature() -> None:
    text = (
        "高木様\n\nいつもお世話になっております。ミナトセールスの佐藤です。\n"
        "本日の報告です。\nよろしくお願いいたします。\n--\n株式会社ミナトセールス\n佐藤 太郎"
    )
    kinds = texts(text, segment(text))
    assert ("greeting", "いつもお世話になっております。") in kinds
    assert ("sentence", "ミナトセールスの佐藤です。") in kinds
    assert ("greeting", "よろしくお願いいたします。") in kinds
    assert kinds[-3:] == [
        ("separator", "--"),
        ("signature", "株式会社ミナトセールス"),
        ("signature", "佐藤 太郎"),
    ]


def test_a_rule_followed_by_long_text_is_no_signature() -> None:
    text = "本文。\n---\n" + "次の節の本文がここに長く続いていて、署名ではありません。" * 2
    assert segment(text)[-1].kind == "sentence"


def test_is_greeting() -> None:
    assert is_greeting("お疲れ様です。")
    assert is_greeting("引き続き、よろしくお願い申し上げます。")
    assert not is_greeting("お世話になっております。アポは12件です。")


def test_sentences_drop_separators_only() -> None:
    text = "■報告\n---\n本文です。"
    assert [text[s:e] for s, e in sentences(text)] == ["■報告", "本文です。"]


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("株式会社ミナトセールス", "ミナトセールス"),
        ("ミナトセールス株式会社", "ミナトセールス"),
        ("（株）ミナトセールス", "ミナトセールス"),
        ("(株)ミナトセールス", "ミナトセールス"),
        ("㈱ミナトセールス", "ミナトセールス"),
        ("有限会社アーク", "アーク"),
        ("合同会社ノース", "ノース"),
        ("Sales Bridge Co., Ltd.", "Sales Bridge"),
        ("Acme Inc.", "Acme"),
        ("Costco Wholesale", "Costco Wholesale"),
    ],
)
def test_company_affixes(name: str, core: str) -> None:
    assert strip_company_affixes(name) == core
    assert has_company_affix(name) == (name != core)


def test_self_introduction() -> None:
    assert self_introduction("お世話になっております。ミナトセールスの佐藤です。") == (
        "ミナトセールス",
        "佐藤",
    )
    assert self_introduction("三和パッケージの藤井でございます") == ("三和パッケージ", "藤井")
    assert self_introduction("アポは12件です。") is None
    assert introduces("㈱ミナトセールスの佐藤です。", "株式会社ミナトセールス")
    assert not introduces("ツバサ商会の佐藤です。", "株式会社ミナトセールス")
    assert not introduces("佐藤です。", "株式会社")
    # A first e-mail: 「…と申します」 introduces its writer too.
    assert introduces("株式会社ドアノックの宮内と申します。", "ドアノック")
    assert self_introduction("ドアノックの宮内と申します。") == ("ドアノック", "宮内")


def test_every_span_is_exact_and_ordered() -> None:
    text = "## 見出し\n- 一つ目。二つ目\n| a | b |\n|---|---|\n| 1 | 2 |\n> 引用。\n本文「括弧。」終わり。"
    previous_end = 0
    for unit in segment(text):
        assert unit.start >= previous_end
        assert unit.text(text) == unit.text(text).strip()
        assert unit.text(text)
        previous_end = unit.end


def test_a_very_long_single_line_segments_in_linear_time() -> None:
    sentence = "あ" * 60 + "「" + "い" * 30 + "。"  # an unclosed opener in every sentence
    text = sentence * (150_000 // len(sentence))
    started = time.process_time()
    units = segment(text)
    elapsed = time.process_time() - started
    assert len(units) == 150_000 // len(sentence)
    assert elapsed < 1.0
    started = time.process_time()
    segment("「" * 150_000)
    segment("（あ。）" * 40_000)
    segment("あ" * 150_000)
    assert time.process_time() - started < 1.0
