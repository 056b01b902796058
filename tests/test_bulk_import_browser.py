"""The bulk-import page in real Chromium: the static script fills the progress in (CSP)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser import TIMEOUT_MS, chromium, open_page
from tests.conftest import LiveServer
from tests.test_bulk_import import good_and_bad_zip


def test_the_progress_page_updates_itself_and_after_a_reload(
    live_server: LiveServer, engagement_id: int, tmp_path: Path
) -> None:
    archive = tmp_path / "上期の報告.zip"
    archive.write_bytes(good_and_bad_zip())
    with chromium() as browser:
        page = live_server.login(open_page(browser))
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and ("/static/" in r.url or "/api/" in r.url)
                else None
            ),
        )
        page.goto(f"{live_server.url}/engagements/{engagement_id}")
        page.locator("#bulk-import summary").click()
        page.locator("#bulk-import-form input[type=file]").set_input_files(str(archive))
        page.locator("#bulk-import-form button[type=submit]").click()
        page.wait_for_url("**/imports/*")
        # No reload here: the script polls the JSON and shows the end state itself.
        expect(page.locator("#import-done")).to_be_visible(timeout=TIMEOUT_MS)
        summary = "4 / 4 件を処理しました（保存 3 件、保存済みと同じ内容 0 件、失敗 1 件）。"
        expect(page.locator("#import-summary")).to_have_text(summary)
        failed = page.locator("#import-files tr.status-failed")
        expect(failed).to_have_count(1)
        expect(failed).to_contain_text("何月分")
        page.reload()
        expect(page.locator("#import-summary")).to_have_text(summary)
        expect(page.locator("#import-files tr.status-done a")).to_have_count(3)
        assert errors == []
