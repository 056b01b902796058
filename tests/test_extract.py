"""Uploads become text, or a clear Japanese error."""

from __future__ import annotations

import pytest

from app.errors import InvalidInput, TooLarge, UnsupportedMediaType
from app.ingest.extract import extract_text
from tests.files import blank_pdf_bytes, docx_bytes, pdf_bytes

LIMIT = 1024 * 1024
REPORT = "５月度の報告です。\nアポ獲得数は２４件、商談化率は58.3%でした。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "shift_jis", "cp932"])
def test_text_files_in_japanese_encodings(encoding: str) -> None:
    assert (
        extract_text(filename="report.txt", data=REPORT.encode(encoding), max_bytes=LIMIT) == REPORT
    )


def test_cp932_only_characters() -> None:
    text = "①アポ数は３２件、㈱サンプル様との商談"
    assert extract_text(filename="notes.md", data=text.encode("cp932"), max_bytes=LIMIT) == text


def test_docx_paragraphs_and_tables() -> None:
    data = docx_bytes(
        ["6月度 活動報告", "アポ獲得数は31件でした。"], [["指標", "実績"], ["架電数", "1,250件"]]
    )
    text = extract_text(filename="report.docx", data=data, max_bytes=LIMIT)
    assert "アポ獲得数は31件でした。" in text
    assert "| 指標 | 実績 |" in text and "| 架電数 | 1,250件 |" in text


def test_pdf_text_layer() -> None:
    data = pdf_bytes(["7月度 活動報告", "商談化率は64.5%でした。"])
    text = extract_text(filename="report.pdf", data=data, max_bytes=LIMIT)
    assert "商談化率は64.5%でした。" in text


def test_pdf_without_text_is_refused() -> None:
    with pytest.raises(InvalidInput, match="テキストがありません"):
        extract_text(filename="scan.pdf", data=blank_pdf_bytes(), max_bytes=LIMIT)


def test_corrupt_files_are_refused() -> None:
    with pytest.raises(InvalidInput):
        extract_text(filename="broken.docx", data=b"not a zip", max_bytes=LIMIT)
    with pytest.raises(InvalidInput):
        extract_text(filename="broken.pdf", data=b"%PDF-1.4 garbage", max_bytes=LIMIT)


def test_binary_text_file_is_undecodable() -> None:
    with pytest.raises(InvalidInput, match="文字コード"):
        extract_text(filename="image.txt", data=bytes(range(256)) * 4, max_bytes=LIMIT)


def test_unsupported_type_and_size() -> None:
    with pytest.raises(UnsupportedMediaType, match=r"\.xlsx / \.csv"):
        extract_text(filename="sheet.xls", data=b"x", max_bytes=LIMIT)
    with pytest.raises(InvalidInput, match="Excel"):
        extract_text(filename="sheet.xlsx", data=b"x", max_bytes=LIMIT)
    with pytest.raises(TooLarge):
        extract_text(filename="big.txt", data=b"a" * (LIMIT + 1), max_bytes=LIMIT)
    with pytest.raises(InvalidInput):
        extract_text(filename="empty.txt", data=b"", max_bytes=LIMIT)
