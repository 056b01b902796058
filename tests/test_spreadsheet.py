"""Spreadsheet uploads: real .xlsx written with openpyxl and CSVs in UTF-8 and CP932."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook

from app.errors import InvalidInput, TooLarge, UnsupportedMediaType
from app.ingest.extract import extract_text
from app.ingest.spreadsheet import SpreadsheetLimits, rows_to_markdown, spreadsheet_text
from tests.conftest import LiveServer

LIMIT = 10 * 1024 * 1024


def xlsx(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def monthly_report() -> bytes:
    """Months as columns under merged headers, a title row, a percent and an amount row."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "活動実績"
    sheet.append(["2026年2月度 活動報告"])
    sheet.append([])
    sheet.append(["指標", "2026年1月", None, "2026年2月", None])
    sheet.append([None, "目標", "実績", "目標", "実績"])
    sheet.append(["架電数", 1200, 1250.0, 1200, 1320])
    sheet.append(["受注金額", None, 1650000.0000000002, None, 2000000])
    sheet.append(["商談化率", 0.6, 0.645, 0.6, 0.583])
    for column in "BCDE":
        sheet[f"{column}7"].number_format = "0.0%"
    sheet.merge_cells("A3:A4")
    sheet.merge_cells("B3:C3")
    sheet.merge_cells("D3:E3")
    rows = workbook.create_sheet("月別推移")
    rows.append(["月", "アポ数", "商談数"])
    for month, appointments, opportunities in [(1, 16, 9), (2, 18, 11)]:
        rows.append([dt.datetime(2026, month, 1), appointments, opportunities])
        rows.cell(row=rows.max_row, column=1).number_format = 'yyyy"年"m"月"'
    workbook.create_sheet("空のシート")
    return xlsx(workbook)


def test_rows_to_markdown_renders_numbers_without_float_noise() -> None:
    text = rows_to_markdown("集計", [["指標", "実績"], ["受注金額", 1.65e6], ["単価", 12.5], []])
    assert text == "## 集計\n\n| 指標 | 実績 |\n|---|---|\n| 受注金額 | 1650000 |\n| 単価 | 12.5 |"


def test_rows_to_markdown_keeps_titles_and_separate_tables() -> None:
    rows: list[list[object]] = [
        ["3月度 報告"],
        [None, None, None],
        [None, "指標", "実績"],
        [None, "アポ|数", 21],
        [],
        ["指標", "目標"],
        ["商談数", 10],
    ]
    text = rows_to_markdown("Sheet1", rows)
    assert text.splitlines() == [
        "## Sheet1",
        "",
        "3月度 報告",
        "",
        "| 指標 | 実績 |",
        "|---|---|",
        "| アポ\\|数 | 21 |",
        "",
        "| 指標 | 目標 |",
        "|---|---|",
        "| 商談数 | 10 |",
    ]
    assert rows_to_markdown("空", [[None], []]) == ""


def test_every_sheet_with_merged_headers_percent_and_month_cells() -> None:
    text = spreadsheet_text("2月度.xlsx", monthly_report())
    assert "## 活動実績\n\n2026年2月度 活動報告\n\n" in text
    assert "| 指標 | 2026年1月 目標 | 2026年1月 実績 | 2026年2月 目標 | 2026年2月 実績 |" in text
    assert "| 架電数 | 1200 | 1250 | 1200 | 1320 |" in text
    assert "| 受注金額 |  | 1650000 |  | 2000000 |" in text
    assert "| 商談化率 | 60% | 64.5% | 60% | 58.3% |" in text
    assert "## 月別推移\n\n| 月 | アポ数 | 商談数 |" in text
    assert "| 2026年1月 | 16 | 9 |" in text
    assert "空のシート" not in text and "e+" not in text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_japanese_encodings(encoding: str) -> None:
    data = '指標,目標,実績\r\n架電数,"1,200",1250\r\nアポ数,20,①16\r\n'.encode(encoding)
    text = extract_text(filename="1月度.csv", data=data, max_bytes=LIMIT)
    assert text.splitlines() == [
        "## 1月度",
        "",
        "| 指標 | 目標 | 実績 |",
        "|---|---|---|",
        "| 架電数 | 1,200 | 1250 |",
        "| アポ数 | 20 | ①16 |",
    ]


def test_csv_numbers_in_excel_notation_read_as_numbers() -> None:
    text = spreadsheet_text("a.csv", "指標,実績\n受注金額,1.65E+06\n".encode())
    assert "| 受注金額 | 1650000 |" in text


def test_tab_separated_and_semicolon_csv() -> None:
    assert "| 商談数 | 9 |" in spreadsheet_text("a.tsv", "指標\t実績\n商談数\t9\n".encode())
    assert "| 商談数 | 9 |" in spreadsheet_text("a.csv", "指標;実績\n商談数;9\n".encode())


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (80 * 1024 * 1024) + b"</a>")
    return buffer.getvalue()


def test_bad_protected_bomb_and_huge_files_are_refused() -> None:
    with pytest.raises(InvalidInput, match="読み込めませんでした"):
        spreadsheet_text("a.xlsx", b"PK\x03\x04 not really a workbook")
    with pytest.raises(InvalidInput, match="パスワード"):
        spreadsheet_text("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    bomb = zip_bomb()
    assert len(bomb) < 1024 * 1024
    with pytest.raises(TooLarge, match="展開後"):
        spreadsheet_text("bomb.xlsx", bomb)
    with pytest.raises(TooLarge, match="セルが多すぎます"):
        spreadsheet_text("r.xlsx", monthly_report(), limits=SpreadsheetLimits(max_cells=20))
    with pytest.raises(TooLarge, match="シートが多すぎます"):
        spreadsheet_text("r.xlsx", monthly_report(), limits=SpreadsheetLimits(max_sheets=2))
    wide = Workbook()
    assert wide.active is not None
    wide.active.append(list(range(12)))
    with pytest.raises(TooLarge, match="列が多すぎます"):
        spreadsheet_text("w.xlsx", xlsx(wide), limits=SpreadsheetLimits(max_columns=10))
    csv_rows = "\n".join("1,2,3" for _ in range(10)).encode()
    with pytest.raises(TooLarge):
        spreadsheet_text("r.csv", csv_rows, limits=SpreadsheetLimits(max_cells=20))
    empty = Workbook()
    with pytest.raises(InvalidInput, match="データがありません"):
        spreadsheet_text("empty.xlsx", xlsx(empty))
    with pytest.raises(UnsupportedMediaType):
        extract_text(filename="old.xls", data=b"\xd0\xcf\x11\xe0", max_bytes=LIMIT)


def test_xlsx_and_csv_round_trip_through_the_upload_api(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        engagement = client.post(
            "/api/v1/engagements",
            json={
                "vendor_name": "株式会社シートテスト",
                "service": "インサイドセールス代行",
                "start_date": "2025-10-01",
                "renewal_date": "2026-09-30",
            },
        ).json()
        upload = f"/api/v1/engagements/{engagement['id']}/documents/upload"
        form = {"kind": "vendor_report", "date": "2026-03-05", "period": "2026-02"}
        stored = client.post(upload, data=form, files={"file": ("2月度.xlsx", monthly_report())})
        assert stored.status_code == 201, stored.text
        document = stored.json()["document"]
        assert document["source_filename"] == "2月度.xlsx"
        assert "| 架電数 | 1200 | 1250 | 1200 | 1320 |" in document["text"]
        for chunk in document["chunks"]:
            assert document["text"][chunk["start"] : chunk["end"]] == chunk["text"]

        csv_data = "指標,実績\n商談数,12\n受注件数,3\n".encode("cp932")
        stored = client.post(
            upload, data={**form, "period": "2026-01"}, files={"file": ("1月.csv", csv_data)}
        )
        assert stored.status_code == 201, stored.text
        assert "| 受注件数 | 3 |" in stored.json()["document"]["text"]

        for name, data, status in [
            ("bomb.xlsx", zip_bomb(), 413),
            ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, 422),
            ("broken.xlsx", b"PK\x03\x04", 422),
        ]:
            refused = client.post(upload, data=form, files={"file": (name, data)})
            assert refused.status_code == status, refused.text
            assert "ファイル" in refused.json()["error"]["message"]
        listed = client.get(f"/api/v1/engagements/{engagement['id']}/documents").json()
        assert [d["source_filename"] for d in listed] == ["2月度.xlsx", "1月.csv"]

        # The sheets go through the same table reader: each value cited to its own row.
        analysis = client.get(f"/api/v1/engagements/{engagement['id']}/analysis").json()
        february = next(m for m in analysis["kpi_table"] if m["period"] == "2026-02")
        values = {key: cell["value"] for key, cell in february["values"].items()}
        assert values["calls"] == 1320 and values["revenue"] == 2000000
        assert values["appointments"] == 18 and values["opportunity_rate"] == 58.3
        source = february["values"]["calls"]["source"]
        assert source["quote"] == "1320" and source["document_id"] == document["id"]
        text = document["text"]
        row_start = text.rfind("\n", 0, source["start"]) + 1
        assert text[row_start:].startswith("| 架電数 |")
        page = client.get(f"/engagements/{engagement['id']}").text
        assert "2,000,000円" in page and "e+06" not in page
