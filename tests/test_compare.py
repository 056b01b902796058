"""Vendor comparison: figures from each analysis, sortable page, CSV Excel opens as Japanese."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from app.container import Container
from app.core.spreadsheet_text import BOM
from app.ingest.service import DocumentInput
from app.renewals.compare import latest_with, unit_cost
from app.workflows import store_document
from tests.browser import chromium, open_page
from tests.conftest import LiveServer, make_engagement


def report(appointments: int, opportunities: int) -> str:
    return (
        "ご担当者様\n11月度の活動をご報告します。\n"
        "| 指標 | 目標 | 実績 |\n|---|---|---|\n"
        f"| アポ獲得数 | 30件 | {appointments}件 |\n| 商談数 | 10件 | {opportunities}件 |\n\n"
        "業種別の反応を分析し、来月は製造業向けのトークを改善する提案をいたします。"
    )


@pytest.fixture()
def two_vendors(container: Container) -> dict[str, int]:
    ids = {}
    for vendor, appointments, opportunities in (
        ("株式会社ハヤテコール", 33, 12),
        ("株式会社アオバ営業支援", 16, 4),
    ):
        engagement_id = make_engagement(container, vendor=vendor)
        store_document(
            container=container,
            data=DocumentInput(
                engagement_id=engagement_id,
                kind="vendor_report",
                date=dt.date(2025, 12, 5),
                period="2025-11",
                title="11月度 活動報告",
                text=report(appointments, opportunities),
            ),
        )
        ids[vendor] = engagement_id
    return ids


def test_latest_with_and_unit_cost() -> None:
    values = {"2025-10": {"deals": 2}, "2025-11": {"appointments": 5}, "2025-12": {"deals": 3}}
    assert latest_with(values, "deals") == ("2025-12", 3)
    assert latest_with(values, "deals", until="2025-11") == ("2025-10", 2)
    assert latest_with(values, "leads") is None
    assert unit_cost(800_000, 16) == 50_000
    assert unit_cost(800_000, 0) is None and unit_cost(None, 5) is None


def test_comparison_api_and_csv(live_server: LiveServer, two_vendors: dict[str, int]) -> None:
    client = live_server.client()
    rows = client.get("/api/v1/compare").json()
    by_vendor = {row["vendor_name"]: row for row in rows}
    fast = by_vendor["株式会社ハヤテコール"]
    assert fast["main_kpi"] == "appointments" and fast["actual"] == 33
    assert fast["achievement"] == pytest.approx(1.1)
    costs = {cost["key"]: cost["cost"] for cost in fast["costs"]}
    assert costs["appointments"] == pytest.approx(800_000 / 33)
    assert costs["opportunities"] == pytest.approx(800_000 / 12)
    assert costs["deals"] is None
    assert fast["decision_label"] in {"更新", "条件付き更新", "更新しない", "判断保留"}

    response = client.get("/compare.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith(BOM)
    table = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    assert table[0][0] == "代行会社" and "アポ単価(円)" in table[0]
    assert {line[0] for line in table[1:]} == set(two_vendors)

    engagement_id = two_vendors["株式会社アオバ営業支援"]
    kpis = client.get(f"/engagements/{engagement_id}/kpis.csv")
    kpi_table = list(csv.reader(io.StringIO(kpis.content.decode("utf-8").removeprefix(BOM))))
    assert kpis.content.startswith(BOM.encode("utf-8"))
    assert kpi_table[0][:4] == ["月", "アポ数", "アポ数目標", "アポ数達成率(%)"]
    assert kpi_table[1][:4] == ["2025-11", "16", "30", "53"]


@pytest.mark.browser
def test_comparison_page_sorts_and_links_the_csv(
    live_server: LiveServer, two_vendors: dict[str, int]
) -> None:
    with chromium() as browser:
        page = live_server.login(open_page(browser, accept_downloads=True))
        page.goto(live_server.url + "/")
        page.get_by_role("link", name="代行会社の比較").click()
        page.wait_for_url("**/compare")

        def vendors() -> list[str]:
            return [
                name.split("\n")[0]
                for name in page.locator("#compare tbody tr td:first-child").all_inner_texts()
            ]

        header = page.locator("#compare th", has_text="アポ単価")
        header.get_by_role("link").click()  # sorted on the server, every row
        page.wait_for_url("**/compare?sort=cost_appointments&order=asc")
        assert header.get_attribute("aria-sort") == "ascending"
        assert vendors() == ["株式会社ハヤテコール", "株式会社アオバ営業支援"]
        header.get_by_role("link").click()
        page.wait_for_url("**/compare?sort=cost_appointments&order=desc")
        assert header.get_attribute("aria-sort") == "descending"
        assert vendors() == ["株式会社アオバ営業支援", "株式会社ハヤテコール"]

        with page.expect_download() as download_info:
            page.click("#compare-csv")
        download = download_info.value
        assert download.suggested_filename.endswith(".csv")
        assert "株式会社アオバ営業支援" in Path(download.path()).read_text(encoding="utf-8-sig")
