"""The edge every response passes: a request id, the security headers, and the last-resort
answer to an unexpected exception (a Japanese page or JSON, never Starlette's plain text).

Plain ASGI rather than `BaseHTTPMiddleware`, so streamed answers (chat over SSE) pass through
unbuffered.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"

# No inline script anywhere: pages load /static/*.js only. The API docs (Swagger UI, ReDoc)
# inject their own styles and ReDoc runs its search in a blob: worker, so they get a
# slightly wider style/worker policy; scripts stay 'self' there too.
_BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
_DOCS_POLICY = _BASE_POLICY | {
    "style-src": "'self' 'unsafe-inline'",
    "worker-src": "'self' blob:",
}
DOCS_PATHS = ("/docs", "/redoc")


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CONTENT_SECURITY_POLICY = _policy(_BASE_POLICY)
DOCS_CONTENT_SECURITY_POLICY = _policy(_DOCS_POLICY)

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_FALLBACK = "予期しないエラーが発生しました。時間をおいてもう一度お試しください。"

ErrorRenderer = Callable[[Request, str], Awaitable[Any]]


def content_security_policy(path: str) -> str:
    """The policy for a path: the docs pages get their wider one, everything else the strict one."""
    return DOCS_CONTENT_SECURITY_POLICY if path in DOCS_PATHS else CONTENT_SECURITY_POLICY


class EdgeMiddleware:
    """Gives each request an id (`request.state.request_id`, the `X-Request-ID` header),
    adds the security headers, and answers an unhandled exception with `render_error`."""

    def __init__(self, app: ASGIApp, *, render_error: ErrorRenderer) -> None:
        self.app = app
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        policy = content_security_policy(scope["path"])
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers["Content-Security-Policy"] = policy
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception(
                "unexpected error, request_id=%s %s %s", request_id, scope["method"], scope["path"]
            )
            if started:  # the status line is gone; all we can do is end the response
                raise
            try:
                response = await self.render_error(Request(scope, receive), request_id)
            except Exception:  # the error page itself failed: still no plain-text 500
                log.exception("error page failed, request_id=%s", request_id)
                response = PlainTextResponse(f"{_FALLBACK}（リクエスト ID: {request_id}）", 500)
            await response(scope, receive, send_with_headers)
