"""Asking a question in a real headless Chromium and opening its citation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.container import Container
from app.main import create_app
from tests.browser import chromium, open_page
from tests.chat_support import Seeded
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_ask_stream_and_open_the_cited_passage(
    chat_container: Container, seeded: Seeded, tmp_path: Path
) -> None:
    with LiveServer(create_app(container=chat_container)) as server, chromium() as browser:
        page = server.login(open_page(browser))
        page.goto(f"{server.url}/engagements/{seeded.engagement_id}")
        page.click("#chat-link")
        page.wait_for_url("**/chat")
        page.fill("#question", "担当の交代はいつでしたか？")
        page.get_by_role("button", name="質問する").click()
        answer = page.locator("li.message.assistant").last
        answer.locator("ol.citations a.citation").first.wait_for()
        assert "7月1日" in answer.locator(".bubble").inner_text()
        assert "conversation_id=" in page.url  # the thread survives a reload
        if shots := os.environ.get("RENEWAL_DESK_SCREENSHOTS"):
            page.screenshot(path=str(Path(shots) / "chat.png"), full_page=True)

        # A suggested question is one click; its answer streams into the same thread.
        page.locator("button.suggestion").first.click()
        page.locator("li.message.assistant").nth(1).locator(".engine").filter(
            has_text="回答"
        ).wait_for()

        answer.locator("sup a.cite-ref").first.click()
        page.wait_for_selector("mark#passage")
        assert "鈴木 一郎に交代" in page.inner_text("mark#passage")
        page.screenshot(path=str(tmp_path / "chat-passage.png"), full_page=True)

        # The history is kept and can be cleared.
        page.go_back()
        page.wait_for_selector("#conversations li")
        page.click("details.clear-history summary")
        page.click("#clear-history")
        page.wait_for_url("**/chat?cleared=1")
        assert "会話の履歴を削除しました" in page.inner_text("main")
        assert page.locator("#conversations li").count() == 0
