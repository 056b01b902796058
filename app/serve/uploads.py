"""Read an upload within the size limit and turn it into text (shared by API and pages)."""

from __future__ import annotations

from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from app.errors import InvalidInput, TooLarge
from app.ingest.extract import extract_text


async def read_upload(upload: UploadFile, *, max_bytes: int) -> tuple[str, str]:
    """Return (filename, text); stops reading past the limit instead of buffering it all."""
    filename = upload.filename or ""
    if not filename:
        raise InvalidInput("ファイルを選択してください。")
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(f"ファイルが大きすぎます（上限 {max_bytes // (1024 * 1024)} MB）。")
    # PDF and .docx parsing is CPU work: keep it off the event loop.
    text = await run_in_threadpool(extract_text, filename=filename, data=data, max_bytes=max_bytes)
    return filename, text
