"""A reviewer's path through the drafts in headless Chromium: generate, edit, save, download."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from docx import Document as read_docx

from app.container import Container
from tests.browser import chromium, open_page
from tests.conftest import LiveServer
from tests.test_draft_llm import add_engagement

pytestmark = pytest.mark.browser

ADDED = "- 部長確認：ノウハウ移管の費用は次期予算で確保する"


def test_generate_memo_edit_a_line_save_and_download_docx(
    live_server: LiveServer, container: Container, tmp_path: Path
) -> None:
    engagement_id = add_engagement(container, vendor="株式会社ブラウザドラフト")
    with chromium() as browser:
        page = live_server.login(open_page(browser, accept_downloads=True))
        page.goto(live_server.url + "/")
        row = page.locator(f"tr[data-engagement='{engagement_id}']")
        assert row.locator(".tl-badge").count() == 1
        row.get_by_role("link", name="更新準備").click()
        page.wait_for_selector("#renewal-timeline")
        assert "解約予告期限" in page.inner_text("#renewal-timeline")

        page.click("#generate-memo")
        page.wait_for_url("**/drafts/*")
        body = page.inner_text("#draft-body")
        assert "判断：" in body and "KPIサマリー" in body
        first_link = page.locator("#draft-body sup.cite a").first
        assert (first_link.get_attribute("href") or "").startswith("/documents/")

        page.click("#edit-link")
        page.wait_for_selector("#draft-markdown")
        original = page.input_value("#draft-markdown")
        assert "## リスク" in original
        page.fill("#draft-markdown", original.replace("## リスク\n", f"## リスク\n\n{ADDED}\n", 1))
        page.wait_for_function(
            "text => document.getElementById('preview').innerText.includes(text)",
            arg="部長確認：ノウハウ移管の費用",
        )
        assert page.locator("#preview-problems").is_hidden()
        page.click("#save-draft")
        page.wait_for_url("**/drafts/*?saved=2")
        assert "第2版として保存しました" in page.inner_text("#saved")
        assert page.locator("#versions li").count() == 2
        assert live_server.admin_email in page.inner_text("#versions")  # who saved it
        assert "部長確認：ノウハウ移管の費用は次期予算で確保する" in page.inner_text("#draft-body")

        with page.expect_download() as download_info:
            page.click("#download-docx")
        download = download_info.value
        assert download.suggested_filename.endswith(".docx")
        saved = tmp_path / "memo.docx"
        download.save_as(saved)
        paragraphs = [p.text for p in read_docx(str(saved)).paragraphs]
        assert "部長確認：ノウハウ移管の費用は次期予算で確保する" in paragraphs
        assert any(p.startswith("更新判断メモ：株式会社ブラウザドラフト") for p in paragraphs)
        if shots := os.environ.get("RENEWAL_DESK_SCREENSHOTS"):
            page.screenshot(path=str(Path(shots) / "draft.png"), full_page=True)
