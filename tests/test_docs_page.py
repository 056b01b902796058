"""The API docs work offline under the CSP: vendored Swagger UI and ReDoc, no CDN, no inline
script, in real Chromium with every outside host unresolvable."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Request

from tests.browser import chromium, open_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_swagger_ui_and_redoc_list_the_operations_offline(live_server: LiveServer) -> None:
    outside: list[str] = []
    violations: list[str] = []

    def on_request(request: Request) -> None:
        host = urlsplit(request.url).hostname
        if request.url.startswith(("http:", "https:")) and host != "127.0.0.1":
            outside.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(message.text)

    with chromium() as browser:
        page = live_server.login(open_page(browser))
        page.on("request", on_request)
        page.on("console", on_console)

        page.goto(f"{live_server.url}/docs")
        page.wait_for_selector(".opblock-summary-path")
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any(path.startswith("/api/v1/engagements") for path in paths)
        assert len(paths) >= 20
        assert "Renewal Desk" in page.locator(".info .title").inner_text()

        page.goto(f"{live_server.url}/redoc")
        page.wait_for_selector("[data-section-id^='operation/']", state="attached")
        assert page.locator("[data-section-id^='operation/']").count() >= 20

    # ReDoc's footer asks for its maker's logo from a CDN; the CSP refuses it (img-src 'self')
    # and the footer reads the same without it. Nothing else leaves the machine.
    assert set(outside) <= {REDOC_LOGO}
    assert [text for text in violations if REDOC_LOGO not in text] == []
