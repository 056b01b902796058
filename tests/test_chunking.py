"""Chunk spans must point at the exact original characters."""

from __future__ import annotations

from app.core.normalize import normalize
from app.ingest.chunking import chunk_text

REPORT = (
    "株式会社サンプル 御中\n\n"
    "いつもお世話になっております。４月度の活動をご報告します。"
    "架電数は１，２００件、アポ獲得数は３２件でした！前月より改善しています。\n\n"
    "## 実績\n"
    "| 指標 | 目標 | 実績 |\n"
    "|---|---|---|\n"
    + "".join(f"| 指標{i} | {i * 10}件 | {i * 9}件 |\n" for i in range(1, 40))
    + "\n## 所感\n"
    + "- リストの鮮度が落ちており、接続率が低下しています。\n" * 12
    + "来月は業種別のトークを試します。"
)


def test_chunks_round_trip_to_original_text() -> None:
    chunks = chunk_text(REPORT)
    assert len(chunks) > 2
    for chunk in chunks:
        body = REPORT[chunk.start : chunk.end]
        assert body == body.strip()
        assert chunk.text(REPORT).endswith(body)
        assert len(chunk.text(REPORT)) <= 500
    # Every non-blank character of the report is in some chunk.
    covered: set[int] = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(index in covered for index, char in enumerate(REPORT) if not char.isspace())


def test_sentences_are_not_cut() -> None:
    for chunk in chunk_text(REPORT):
        body = REPORT[chunk.start : chunk.end]
        if not body.startswith("|"):
            assert body[-1] in "。！？!?件す|" or body.endswith("改善しています。")


def test_table_header_is_repeated_in_every_chunk_with_rows() -> None:
    table_chunks = [c for c in chunk_text(REPORT) if "件 |" in REPORT[c.start : c.end]]
    assert len(table_chunks) >= 2
    for chunk in table_chunks:
        text = chunk.text(REPORT)
        assert "| 指標 | 目標 | 実績 |" in text
        assert text.index("| 指標 | 目標 | 実績 |") < text.index("件 |")
    later = [c for c in table_chunks if c.prefix]
    assert later, "rows beyond the first chunk carry the header as a prefix"
    assert all("|---|" in c.prefix for c in later)


def test_overlong_sentence_is_split_within_limit() -> None:
    text = "あ" * 1300 + "。"
    chunks = chunk_text(text)
    assert len(chunks) == 3
    assert "".join(text[c.start : c.end] for c in chunks) == text


def test_normalisation_maps_back_to_original_offsets() -> None:
    original = "アポ獲得数：３２件（ＡＢＣ社）"
    normalized = normalize(original)
    assert normalized.text == "アポ獲得数:32件(abc社)"
    position = normalized.text.index("32件")
    start, end = normalized.to_original(position, position + 3)
    assert original[start:end] == "３２件"
    position = normalized.text.index("abc")
    start, end = normalized.to_original(position, position + 3)
    assert original[start:end] == "ＡＢＣ"


def test_expanding_characters_map_to_their_source() -> None:
    original = "単位は㍍と㈱です"
    normalized = normalize(original)
    position = normalized.text.index("メートル")
    assert normalized.to_original(position, position + 4) == (3, 4)
