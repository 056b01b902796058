"""Security headers on every kind of response (pages, API, static files, errors, docs), and
no inline script anywhere the CSP would have to allow it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.conftest import LiveServer

TEMPLATES = Path(__file__).parent.parent / "app" / "serve" / "templates"
REQUIRED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
DIRECTIVES = (
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def _assert_hardened(response: httpx.Response) -> None:
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, (response.url, name)
    policy = response.headers["Content-Security-Policy"]
    for directive in DIRECTIVES:
        assert directive in policy, (response.url, directive)
    assert "'unsafe-eval'" not in policy
    assert re.search(r"script-src [^;]*'unsafe-inline'", policy) is None
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_every_kind_of_response_carries_the_headers(live_server: LiveServer) -> None:
    with live_server.client(timeout=300) as client:
        engagement = client.post(
            "/api/v1/engagements",
            json={
                "vendor_name": "株式会社ヘッダー検証",
                "service": "テレアポ代行",
                "start_date": "2026-04-01",
                "renewal_date": "2027-03-31",
            },
        )
        engagement_id = engagement.json()["id"]
        responses = [
            engagement,
            client.get("/"),
            client.get(f"/engagements/{engagement_id}"),
            client.get("/search?q=アポ"),
            client.get("/api/v1/engagements"),
            client.get("/api/v1/engagements/999999"),  # a 404
            client.get("/no-such-page"),
            client.get("/static/style.css"),
            client.get("/static/app.js"),
            client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js"),
            client.get("/docs"),
            client.get("/redoc"),
            client.get("/openapi.json"),
            client.get(f"/engagements/{engagement_id}/calendar.ics"),
        ]
        with live_server.anonymous() as anonymous:
            responses.append(anonymous.get("/api/v1/engagements"))  # refused before any route
        for response in responses:
            _assert_hardened(response)
        ids = {response.headers["X-Request-ID"] for response in responses}
        assert len(ids) == len(responses)  # one per request


def test_templates_have_no_inline_script_or_handler() -> None:
    """`script-src 'self'` would silently break them: scripts live in app/serve/static/."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
    javascript_url = re.compile(r"""(href|action|src)\s*=\s*["']\s*javascript:""", re.IGNORECASE)
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in (inline_script, handler, javascript_url):
            assert pattern.search(text) is None, (template.name, pattern.pattern)
