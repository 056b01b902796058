"""A person's path through the pages, in a real headless Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import chromium, open_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

REPORT = (
    "ミナトセールスの佐藤です。6月度の活動をご報告します。\n"
    "| 指標 | 目標 | 実績 |\n|---|---|---|\n| アポ獲得数 | 28件 | ３１件 |\n\n"
    "リストの約4割を運送業・建設業に振り替えた結果、アポ獲得の効率が上がりました。"
)


def test_create_engagement_paste_report_and_find_it(
    live_server: LiveServer, tmp_path: Path
) -> None:
    with chromium() as browser:
        page = live_server.login(open_page(browser))
        page.goto(live_server.url + "/")
        page.get_by_role("link", name="＋ 契約を登録").click()
        page.fill("input[name=vendor_name]", "株式会社ブラウザテスト")
        page.fill("input[name=service]", "インサイドセールス代行")
        page.fill("input[name=start_date]", "2025-04-01")
        page.fill("input[name=renewal_date]", "2026-03-31")
        page.fill("input[name=notice_days]", "60")
        page.fill("input[name=kpi_appointments]", "28")
        page.get_by_role("button", name="登録する").click()
        page.wait_for_url("**/engagements/*")
        assert "株式会社ブラウザテスト" in page.inner_text("h1")

        page.click("#paste-link")
        form = page.locator("#paste-form")
        form.locator("input[name=date]").fill("2025-07-08")
        form.locator("input[name=period]").fill("2025-06")
        form.locator("input[name=title]").fill("6月度 活動報告")
        form.locator("textarea[name=text]").fill(REPORT)
        form.get_by_role("button", name="保存する").click()
        page.wait_for_url("**/documents/*")
        assert "保存しました" in page.inner_text("#stored")
        assert "運送業・建設業" in page.inner_text("#document-text")

        page.get_by_role("link", name="株式会社ブラウザテスト").click()
        timeline = page.inner_text("#timeline")
        assert "2025年6月" in timeline and "6月度 活動報告" in timeline

        page.fill("form.search input[name=q]", "運送業へのリスト振り替え")
        page.get_by_role("button", name="検索").click()
        page.wait_for_selector("#hits")
        first = page.locator("#hits li").first
        assert "運送業" in first.inner_text()
        assert first.locator("mark").count() >= 1
        first.get_by_role("link").click()
        page.wait_for_selector("mark#passage")
        assert "運送業" in page.inner_text("mark#passage")
        page.screenshot(path=str(tmp_path / "passage.png"), full_page=True)
        if shots := os.environ.get("RENEWAL_DESK_SCREENSHOTS"):
            page.screenshot(path=str(Path(shots) / "passage.png"), full_page=True)


def test_form_error_is_japanese_and_keeps_the_pasted_text(live_server: LiveServer) -> None:
    with chromium() as browser:
        page = live_server.login(open_page(browser))
        page.goto(live_server.url + "/engagements/new")
        page.fill("input[name=vendor_name]", "株式会社エラー確認")
        page.fill("input[name=service]", "テレアポ代行")
        page.fill("input[name=start_date]", "2025-04-01")
        page.fill("input[name=renewal_date]", "2026-03-31")
        page.get_by_role("button", name="登録する").click()
        page.wait_for_url("**/engagements/*")
        page.click("#paste-link")
        form = page.locator("#paste-form")
        form.locator("input[name=period]").fill("2025-13")
        form.locator("textarea[name=text]").fill(REPORT)
        form.get_by_role("button", name="保存する").click()
        page.wait_for_selector("#form-error")
        assert "年と月で入力してください" in page.inner_text("#form-error")
        assert page.locator("#paste-form textarea[name=text]").input_value() == REPORT


KPI_REPORT = (
    "7月度の実績です。\n| 指標 | 目標 | 実績 |\n|---|---|---|\n"
    "| 架電数 | 1,200件 | 1,250件 |\n| キーマン到達数 | | 42件 |\n"
)


def test_map_an_unrecognised_label_and_correct_a_value(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        engagement_id = client.post(
            "/api/v1/engagements",
            json={
                "vendor_name": "株式会社ブラウザKPI",
                "service": "インサイドセールス代行",
                "start_date": "2025-04-01",
                "renewal_date": "2026-03-31",
            },
        ).json()["id"]
        client.post(
            f"/api/v1/engagements/{engagement_id}/documents",
            json={
                "kind": "vendor_report",
                "date": "2025-08-06",
                "period": "2025-07",
                "title": "7月度 活動報告",
                "text": KPI_REPORT,
            },
        ).raise_for_status()
    with chromium() as browser:
        page = live_server.login(open_page(browser))
        page.goto(f"{live_server.url}/engagements/{engagement_id}")
        row = page.locator("#kpi-unrecognised tr[data-label='キーマン到達数']")
        assert "42件" in row.inner_text()
        assert page.locator("#kpi-table td[data-kpi='connections']").count() == 0
        row.get_by_label("「キーマン到達数」に対応するKPI").select_option(label="接続数")
        row.get_by_role("button", name="登録").click()
        page.wait_for_url("**mapped=1**")
        assert "KPIとして登録し" in page.inner_text("#kpis ~ .alert.ok")
        july = page.locator("#kpi-table tr[data-period='2025-07']")
        assert july.locator("td[data-kpi='connections'] .value").inner_text() == "42"
        assert page.locator("#kpi-unrecognised").count() == 0

        calls = july.locator("td[data-kpi='calls']")
        assert calls.locator(".value").inner_text() == "1,250"
        calls.locator("details.edit summary").click()
        calls.get_by_label("2025年7月の架電数").fill("1,300")
        calls.get_by_role("button", name="保存").click()
        page.wait_for_url("**corrected=1**")
        calls = page.locator("#kpi-table tr[data-period='2025-07'] td[data-kpi='calls']")
        assert calls.locator(".value").inner_text() == "1,300"
        assert "corrected" in (calls.locator(".value").get_attribute("class") or "")
