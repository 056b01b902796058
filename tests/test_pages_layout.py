"""Phone layout: at 390 px the page never scrolls sideways; wide tables scroll in their box."""

from __future__ import annotations

import datetime as dt

import pytest

from app.container import Container
from app.ingest.service import DocumentInput
from app.workflows import store_document
from tests.browser import chromium, open_page
from tests.conftest import LiveServer, make_engagement

pytestmark = pytest.mark.browser

REPORT = (
    "株式会社シオサイ物流 御中\n"
    "いつもお世話になっております。ホシゾラ営業代行の長谷部です。11月度の活動をご報告します。\n\n"
    "| 指標 | 目標 | 11月実績 | 前月実績 |\n|---|---|---|---|\n"
    "| 架電数 | 1,200件 | 1,264件 | 1,180件 |\n| 接続数 | ― | 331件 | 298件 |\n"
    "| アポ獲得数 | 25件 | 27件 | 22件 |\n| 商談数 | 12件 | 13件 | 10件 |\n"
    "| 受注数 | 3件 | 2件 | 1件 |\n\n"
    "倉庫管理の担当者に繋がった場合の反応が良く、来月は倉庫を持つ卸売業にリストを寄せることをご提案します。"
)


@pytest.fixture()
def engagement_with_table(container: Container) -> int:
    engagement_id = make_engagement(container, vendor="株式会社ホシゾラ営業代行")
    store_document(
        container=container,
        data=DocumentInput(
            engagement_id=engagement_id,
            kind="vendor_report",
            date=dt.date(2025, 12, 4),
            period="2025-11",
            title="11月度 活動報告（倉庫管理システム「ソウコミル」テレアポ）",
            text=REPORT,
        ),
    )
    return engagement_id


def test_main_pages_fit_a_390px_phone(live_server: LiveServer, engagement_with_table: int) -> None:
    paths = {
        "/": "#engagements",
        f"/engagements/{engagement_with_table}": "#kpi-table",
        "/compare": "#compare",
        "/search?q=倉庫管理": "#hits",
        f"/engagements/{engagement_with_table}/documents/new": "#paste-form",
    }
    with chromium() as browser:
        page = live_server.login(open_page(browser, viewport={"width": 390, "height": 844}))
        for path, present in paths.items():
            page.goto(live_server.url + path)
            assert page.locator(present).count() == 1, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width}px wide"
        # The KPI table is wider than the phone: it scrolls inside its own box.
        page.goto(f"{live_server.url}/engagements/{engagement_with_table}")
        box = page.locator("#kpi-table").locator("xpath=..")
        assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        # No column is squeezed to one character per line: each header stays on one line.
        heights = page.locator("#kpi-table thead th").evaluate_all(
            "cells => cells.map(c => c.getBoundingClientRect().height)"
        )
        assert max(heights) < 2.2 * min(heights)
        nav = page.locator("header.site nav")
        assert nav.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
