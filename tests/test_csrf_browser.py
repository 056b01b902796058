"""CSRF in a real browser: a signed-in person opens a page on another origin that submits
forms (and a no-CORS fetch) to Renewal Desk; the cookie goes along, and nothing changes.

The other origin is 127.0.0.1 on another port: same *site*, so SameSite=Lax does not stop
the cookie. What stops the request is the app's own check (Origin and the CSRF token).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser import chromium, open_page
from tests.conftest import LiveServer, free_port

pytestmark = pytest.mark.browser

ENGAGEMENT = {
    "vendor_name": "株式会社クロスサイト検証",
    "service": "インサイドセールス代行",
    "start_date": "2025-04-01",
    "renewal_date": "2026-03-31",
}
REPORT = {
    "kind": "vendor_report",
    "date": "2025-07-08",
    "period": "2025-06",
    "title": "6月度 活動報告",
    "text": "6月度の実績です。アポ獲得数は３１件でした。",
}


def _attack_pages(target: str, engagement_id: int) -> dict[str, str]:
    delete = f"""<form method="post" action="{target}/engagements/{engagement_id}/delete">
      </form><script>document.forms[0].submit()</script>"""
    paste = f"""<form method="post" action="{target}/engagements/{engagement_id}/documents">
      <input name="kind" value="client_minutes"><input name="date" value="2025-07-01">
      <input name="period" value="2025-06"><input name="title" value="偽の議事録">
      <textarea name="text">契約は更新しないことで合意した。</textarea>
      </form><script>document.forms[0].submit()</script>"""
    # A "simple" request needs no CORS preflight: the browser sends it with the cookie.
    fetch = f"""<p id="sent">…</p><script>
      fetch("{target}/api/v1/engagements/{engagement_id}/documents", {{
        method: "POST", mode: "no-cors", credentials: "include",
        headers: {{"Content-Type": "text/plain"}},
        body: JSON.stringify({{kind: "client_minutes", date: "2025-07-02", period: "2025-06",
                              title: "偽のメモ", text: "解約を決定した。"}})
      }}).finally(() => {{ document.getElementById("sent").textContent = "done"; }});
    </script>"""
    return {"/delete": delete, "/paste": paste, "/fetch": fetch}


@contextmanager
def other_origin(pages: dict[str, str]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"<!doctype html><html><body>{pages.get(self.path, '')}</body></html>"
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_cross_origin_forms_and_fetch_change_nothing(live_server: LiveServer) -> None:
    with live_server.client() as admin:
        engagement_id = admin.post("/api/v1/engagements", json=ENGAGEMENT).json()["id"]
        admin.post(f"/api/v1/engagements/{engagement_id}/documents", json=REPORT).raise_for_status()

    with other_origin(_attack_pages(live_server.url, engagement_id)) as attacker, chromium() as b:
        page = live_server.login(open_page(b))
        page.goto(f"{live_server.url}/engagements/{engagement_id}")
        assert "株式会社クロスサイト検証" in page.inner_text("h1")  # signed in, cookie set

        for attack in ("/delete", "/paste"):
            page.goto(attacker + attack)
            page.wait_for_url(f"{live_server.url}/**")
            page.wait_for_load_state()
            assert "別のサイトから送信されたため受け付けませんでした" in page.inner_text("main")
        page.goto(attacker + "/fetch")
        page.wait_for_function("document.getElementById('sent').textContent === 'done'")

        with live_server.client() as admin:
            assert admin.get(f"/api/v1/engagements/{engagement_id}").status_code == 200
            documents = admin.get(f"/api/v1/engagements/{engagement_id}/documents").json()
        assert [d["title"] for d in documents] == ["6月度 活動報告"]

        # The same session, on the app's own pages, may delete: the cookie was valid all along.
        page.goto(f"{live_server.url}/engagements/{engagement_id}/delete")
        page.click("#confirm-delete")
        page.wait_for_url(f"{live_server.url}/?deleted=1")
        with live_server.client() as admin:
            assert admin.get(f"/api/v1/engagements/{engagement_id}").status_code == 404
