"""Read an upload within the size limit and turn it into text (shared by API and pages)."""

from __future__ import annotations

from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from app.errors import InvalidInput, TooLarge
from app.ingest.extract import extract_text_isolated


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
