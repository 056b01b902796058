"""Read an upload within the size limit and turn it into text (shared by API and pages)."""

from __future__ import annotations

from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import InvalidInput, TooLarge
from app.ingest.extract import extract_text_isolated
from app.ingest.models import form_part_bytes
from app.settings import Settings


async def read_upload(upload: UploadFile, *, max_bytes: int, timeout_s: float) -> tuple[str, str]:
    """Return (filename, text); stops reading past the limit instead of buffering it all."""
    filename = upload.filename or ""
    if not filename:
        raise InvalidInput("ファイルを選択してください。")
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(f"ファイルが大きすぎます（上限 {max_bytes // (1024 * 1024)} MB）。")
    # Parsing is CPU work in C and Python: a worker process with a time limit, waited for in
    # a thread, so neither the event loop nor the server's memory carries it.
    text = await run_in_threadpool(
        extract_text_isolated,
        filename=filename,
        data=data,
        max_bytes=max_bytes,
        timeout_s=timeout_s,
    )
    return filename, text


def request_body_limit(settings: Settings) -> int:
    """The largest request body any route needs: an upload, or a paste of the longest text
    (urlencoded), plus room for the other form fields and multipart boundaries."""
    return max(settings.max_upload_bytes, form_part_bytes(settings.max_text_chars)) + 1024 * 1024


class BodyLimitMiddleware:
    """Refuse an oversized request body from its `Content-Length` before reading it, and stop
    a body sent without one (chunked) at the limit: Starlette's multipart parser would
    otherwise spool all of a 300 MB upload to disk before any route could say 413."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self.app(scope, self._refuse, send)
            return
        received = 0

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    await self._refuse()
            return message

        await self.app(scope, capped, send)

    async def _refuse(self) -> Message:
        # Raised where the route reads its body; FastAPI passes HTTPException through and the
        # one error handler answers the Japanese 413 (JSON on the API, a page on the web).
        raise HTTPException(
            status_code=413,
            detail=f"リクエストが大きすぎます（上限 {self.max_bytes // (1024 * 1024)} MB）。",
        )
