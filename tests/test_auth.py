"""Sign-in, sessions, rate limit, API tokens (CLI and API), CSRF outside the browser, bind."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import itsdangerous
import pytest
from pydantic import SecretStr

from app.auth import ratelimit, sessions
from app.auth.bind import KEY_FILE, is_loopback, refusal
from app.auth.roles import Role
from app.auth.tokens import list_tokens
from app.auth.users import create_user, set_password
from app.container import Container
from app.serve.auth import SESSION_COOKIE, same_site_next
from app.settings import Settings
from tests.conftest import LiveServer, hidden_fields

CLI = str(Path(sys.executable).parent / "renewal-desk")


def _japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def _login(client: httpx.Client, email: str, password: str, next_url: str = "/") -> httpx.Response:
    form = hidden_fields(client.get("/login", params={"next": next_url}).text)
    form.update({"email": email, "password": password})
    return client.post("/login", data=form)


# --- pages and sessions ------------------------------------------------------------------


def test_anonymous_pages_redirect_to_login_and_the_api_answers_401(
    live_server: LiveServer,
) -> None:
    with live_server.anonymous() as client:
        page = client.get("/engagements/new?x=1")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Fengagements%2Fnew%3Fx%3D1"
        api = client.get("/api/v1/engagements")
        assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"
        assert _japanese(api.json()["error"]["message"])
        assert client.get("/openapi.json").status_code == 401
        assert client.get("/docs").status_code == 303
        assert client.get("/static/style.css").status_code == 200
        login = client.get("/login")
        assert login.status_code == 200 and "ログイン" in login.text
        bad = client.get("/api/v1/engagements", headers={"Authorization": "Bearer rdk_nope"})
        assert bad.status_code == 401 and "invalid_token" in bad.headers["www-authenticate"]


def test_login_logout_and_only_same_site_next(live_server: LiveServer) -> None:
    with live_server.anonymous(headers={"Origin": live_server.url}) as client:
        wrong = _login(client, live_server.admin_email, "not-the-password")
        assert wrong.status_code == 401
        assert "メールアドレスまたはパスワードが正しくありません" in wrong.text
        assert client.get("/").status_code == 303

        before = client.cookies.get(SESSION_COOKIE)
        done = _login(client, live_server.admin_email, live_server.admin_password, "/search")
        assert done.status_code == 303 and done.headers["location"] == "/search"
        assert client.cookies.get(SESSION_COOKIE) != before  # a new session at sign-in
        cookie = done.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        home = client.get("/")
        assert home.status_code == 200 and live_server.admin_email in home.text
        assert "ログアウト" in home.text
        assert client.get("/docs").status_code == 200
        assert client.get("/api/v1/me").json()["role"] == "admin"

        logout_page = client.get("/logout")
        assert logout_page.status_code == 200
        out = client.post("/logout", data=hidden_fields(logout_page.text))
        assert out.status_code == 303 and out.headers["location"] == "/login?logged_out=1"
        assert "ログアウトしました" in client.get("/login?logged_out=1").text
        assert client.get("/").status_code == 303

    for hostile in ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"]:
        assert same_site_next(hostile) == "/"
    assert same_site_next("/engagements/3?tab=kpi") == "/engagements/3?tab=kpi"
    with live_server.anonymous() as client:
        away = _login(client, live_server.admin_email, live_server.admin_password, "//evil.example")
        assert away.headers["location"] == "/"


def test_session_cookie_is_secure_under_https(live_server: LiveServer) -> None:
    """uvicorn trusts X-Forwarded-Proto from loopback, as from a local TLS proxy."""
    with live_server.anonymous(headers={"X-Forwarded-Proto": "https"}) as client:
        response = client.get("/login")
        assert "secure" in response.headers["set-cookie"].lower()


def _forged_cookie(server: LiveServer, data: dict[str, object]) -> str:
    settings: Settings = server.app.state.container.settings
    key = (settings.data_dir / KEY_FILE).read_text(encoding="utf-8").strip()
    payload = base64.b64encode(json.dumps(data).encode())
    return itsdangerous.TimestampSigner(key).sign(payload).decode()


def test_idle_and_absolute_timeouts_and_password_change_end_a_session(
    live_server: LiveServer,
) -> None:
    container: Container = live_server.app.state.container
    settings = container.settings
    uid = 1  # the admin LiveServer made first
    now = round(time.time(), 3)
    idle = now - settings.session_idle_minutes * 60 - 5
    started = now - settings.session_absolute_hours * 3600 - 5
    cases = {
        "fresh": ({"uid": uid, "sid": "a", "iat": now, "seen": now}, 200),
        "idle": ({"uid": uid, "sid": "b", "iat": idle, "seen": idle}, 303),
        "too old": ({"uid": uid, "sid": "c", "iat": started, "seen": now - 10}, 303),
    }
    for name, (data, expected) in cases.items():
        with live_server.anonymous() as client:
            client.cookies.set(SESSION_COOKIE, _forged_cookie(live_server, data))
            assert client.get("/").status_code == expected, name

    with live_server.session() as client:
        assert client.get("/").status_code == 200
        set_password(db=container.session_factory, email=live_server.admin_email, password="x" * 12)
        assert client.get("/").status_code == 303  # signed out by the new password


def test_session_rules_as_pure_functions() -> None:
    timeouts = sessions.Timeouts(idle=dt.timedelta(minutes=30), absolute=dt.timedelta(hours=8))
    session: dict[str, object] = {}
    sessions.csrf_token(session)
    anonymous_token = session[sessions.CSRF_KEY]
    sessions.start(session, user_id=7, now=1_000_000)
    assert session[sessions.CSRF_KEY] != anonymous_token
    assert sessions.current_user_id(session, now=1_000_000 + 29 * 60, timeouts=timeouts) == 7
    assert session["seen"] == 1_000_000 + 29 * 60
    assert sessions.current_user_id(session, now=1_000_000 + 55 * 60, timeouts=timeouts) == 7
    assert sessions.current_user_id(session, now=1_000_000 + 95 * 60, timeouts=timeouts) is None
    assert session == {}


# --- rate limit --------------------------------------------------------------------------


def test_failed_logins_back_off_per_account_and_address(live_server: LiveServer) -> None:
    settings = live_server.app.state.container.settings
    email, password = live_server.user("viewer")
    with live_server.anonymous() as client:
        for _ in range(settings.login_free_attempts - 1):
            assert _login(client, email, "wrong-password").status_code == 401
        locked = _login(client, email, "wrong-password")
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) == ratelimit.BASE_SECONDS
        assert "30秒ほど待ってから" in locked.text
        still = _login(client, email, password)  # the right password waits too
        assert still.status_code == 429
        other = _login(client, live_server.admin_email, live_server.admin_password)
        assert other.status_code == 303  # another account from the same address is unaffected

    assert ratelimit.lock_seconds(4, free=5, max_s=900) == 0
    assert [ratelimit.lock_seconds(n, free=5, max_s=900) for n in (5, 6, 7, 10, 40)] == [
        30,
        60,
        120,
        900,
        900,
    ]


# --- roles, users and tokens -------------------------------------------------------------


def test_roles_answer_403_in_japanese(live_server: LiveServer) -> None:
    email, password = live_server.user("viewer")
    with live_server.session(email, password) as client:
        page = client.get("/admin/users")
        assert page.status_code == 403 and "「管理者」以上の権限が必要です" in page.text
        assert client.get("/").status_code == 200
    with live_server.client(token=live_server.token("viewer")) as viewer:
        denied = viewer.post("/api/v1/engagements", json={})
        assert denied.status_code == 403 and "編集者" in denied.json()["error"]["message"]


def test_tokens_through_the_api_inherit_the_role_and_can_be_revoked(
    live_server: LiveServer,
) -> None:
    with live_server.client() as admin:
        added = admin.post(
            "/api/v1/users",
            json={"email": "Tanaka@Example.invalid", "role": "editor", "password": "p" * 12},
        )
        assert added.status_code == 201 and added.json()["email"] == "tanaka@example.invalid"
        created = admin.post(
            "/api/v1/tokens", json={"email": "tanaka@example.invalid", "name": "集計"}
        )
        assert created.status_code == 201
        token = created.json()["token"]
        assert token.startswith("rdk_") and created.json()["role"] == "editor"
        listed = admin.get("/api/v1/tokens").json()
        assert all("token" not in row for row in listed)
        schemes = admin.get("/openapi.json").json()["components"]["securitySchemes"]
        assert {"type": "http", "scheme": "bearer"}.items() <= schemes["HTTPBearer"].items()
        admin_id = admin.get("/api/v1/me").json()["id"]
        last_admin = admin.patch(f"/api/v1/users/{admin_id}", json={"role": "viewer"})
        assert last_admin.status_code == 409

    with live_server.client(token=token) as client:
        assert client.get("/api/v1/me").json()["email"] == "tanaka@example.invalid"
        assert client.get("/api/v1/users").status_code == 403
    db = live_server.app.state.container.session_factory
    mine = next(t for t in list_tokens(db=db) if t.name == "集計")
    assert mine.last_used_at is not None

    with live_server.client() as admin:
        assert admin.delete(f"/api/v1/tokens/{mine.id}").status_code == 204
    with live_server.client(token=token) as client:
        assert client.get("/api/v1/me").status_code == 401


def _cli(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RENEWAL_DESK_DATA_DIR": str(data_dir)}
    env.pop("RENEWAL_DESK_SECRET_KEY", None)
    return subprocess.run(
        [CLI, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_users_and_tokens(container: Container) -> None:
    data_dir = container.settings.data_dir
    added = _cli(
        data_dir,
        "user",
        "add",
        "sato@example.invalid",
        "--role",
        "editor",
        "--password-stdin",
        stdin="a-long-password\n",
    )
    assert added.returncode == 0, added.stderr
    refused = _cli(
        data_dir, "user", "add", "kato@example.invalid", "--password-stdin", stdin="short\n"
    )
    assert refused.returncode == 2 and "10文字以上" in refused.stderr
    listed = _cli(data_dir, "user", "list").stdout
    assert "sato@example.invalid\teditor" in listed and "kato" not in listed

    created = _cli(data_dir, "token", "create", "sato@example.invalid", "--name", "nightly")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("rdk_") and " " not in token

    from app.main import create_app

    with LiveServer(create_app(container=container)) as server:
        with server.client(token=token) as client:
            assert client.get("/api/v1/me").json()["role"] == "editor"
        token_id = next(
            t.id for t in list_tokens(db=container.session_factory) if t.name == "nightly"
        )
        revoked = _cli(data_dir, "token", "revoke", str(token_id))
        assert revoked.returncode == 0 and "失効" in revoked.stdout
        with server.client(token=token) as client:
            assert client.get("/api/v1/me").status_code == 401

        changed = _cli(
            data_dir,
            "user",
            "set-password",
            "sato@example.invalid",
            "--password-stdin",
            stdin="another-long-password\n",
        )
        assert changed.returncode == 0
        with server.anonymous() as client:
            assert (
                _login(client, "sato@example.invalid", "another-long-password").status_code == 303
            )


def test_make_run_prints_a_demo_admin_once(tmp_path: Path) -> None:
    first = _cli(tmp_path, "user", "ensure-demo-admin")
    assert first.returncode == 0 and "パスワード" in first.stdout
    password = first.stdout.strip().splitlines()[-1].split()[-1]
    second = _cli(tmp_path, "user", "ensure-demo-admin")
    assert second.returncode == 0 and password not in second.stdout
    assert "admin@renewal-desk.invalid\tadmin" in _cli(tmp_path, "user", "list").stdout


# --- CSRF without a browser ------------------------------------------------------------


def test_cookie_state_changes_need_the_csrf_token_and_this_origin(
    live_server: LiveServer,
) -> None:
    with live_server.session() as client:
        form = {
            "vendor_name": "株式会社トークン確認",
            "service": "テレアポ代行",
            "start_date": "2025-04-01",
            "renewal_date": "2026-03-31",
        }
        without = client.post("/engagements", data=form)
        assert without.status_code == 403 and "別のサイトから送信" in without.text
        token = hidden_fields(client.get("/engagements/new").text)["csrf_token"]
        other_site = client.post(
            "/engagements",
            data={**form, "csrf_token": token},
            headers={"Origin": "http://127.0.0.2:9999"},
        )
        assert other_site.status_code == 403
        done = client.post("/engagements", data={**form, "csrf_token": token})
        assert done.status_code == 303
        api = client.post(
            "/api/v1/vendors", json={"name": "株式会社ヘッダー確認"}, headers={"Origin": ""}
        )
        assert api.status_code == 403  # a cookie API call must say where it came from
        api = client.post(
            "/api/v1/vendors",
            json={"name": "株式会社ヘッダー確認"},
            headers={"X-CSRF-Token": token},
        )
        assert api.status_code == 201
    with live_server.client() as bearer:  # a bearer token needs neither
        assert bearer.post("/api/v1/vendors", json={"name": "株式会社ベアラー"}).status_code == 201


# --- bind ------------------------------------------------------------------------------


def test_serve_beyond_loopback_needs_a_secret_key_and_an_admin(tmp_path: Path) -> None:
    refused = _cli(tmp_path, "serve", "--host", "0.0.0.0", "--port", "1")
    assert refused.returncode == 2
    assert "RENEWAL_DESK_SECRET_KEY" in refused.stderr and "管理者ユーザー" in refused.stderr

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.10")
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("k" * 40))
    assert refusal("127.0.0.1", settings=Settings(data_dir=tmp_path), admins=0) is None
    assert refusal("0.0.0.0", settings=settings, admins=1) is None
    assert "管理者ユーザー" in (refusal("0.0.0.0", settings=settings, admins=0) or "")
    short = Settings(data_dir=tmp_path, secret_key=SecretStr("short"))
    assert "RENEWAL_DESK_SECRET_KEY" in (refusal("0.0.0.0", settings=short, admins=1) or "")


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_every_role_can_sign_in(container: Container, role: str) -> None:
    from app.auth.users import authenticate

    db = container.session_factory
    create_user(db=db, email=f"{role}@example.invalid", role=Role(role), password="p" * 12)
    user = authenticate(db=db, email=f"{role.upper()}@example.invalid", password="p" * 12)
    assert user is not None and user.role == Role(role)
    assert authenticate(db=db, email=f"{role}@example.invalid", password="q" * 12) is None
