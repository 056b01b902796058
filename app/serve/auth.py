"""Who is asking, and may they: the one gate every request passes (pages, API, docs, static).

`AuthMiddleware` finds the route a request will reach, looks its requirement up in
`app.auth.policy` and answers 401 / a redirect to /login / 403 itself, before any route runs.
It also refuses a cookie-authenticated state change whose Origin (or Referer) is another
site. `verify_csrf`, an app-wide dependency, then checks the per-session CSRF token of every
state-changing request that did not come with a bearer token.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth import policy, sessions
from app.auth.oidc import build_client
from app.auth.roles import Role
from app.auth.tokens import resolve_token
from app.auth.users import UserInfo, get_user
from app.errors import Forbidden
from app.settings import Settings

SESSION_COOKIE = "renewal_desk_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CSRF_MESSAGE = (
    "フォームの有効期限が切れたか、別のサイトから送信されたため受け付けませんでした。"
    "ページを読み込み直してから、もう一度操作してください。"
)


@dataclass(frozen=True)
class Auth:
    """The request's identity: `via` says how it was proven (a CSRF token is needed for cookies)."""

    user: UserInfo | None
    via: Literal["bearer", "cookie"] | None = None


ANONYMOUS = Auth(user=None)


def auth_of(request: Request) -> Auth:
    found = request.scope.get("state", {}).get("auth")
    return found if isinstance(found, Auth) else ANONYMOUS


# --- which route a request reaches -----------------------------------------------------


@dataclass(frozen=True)
class RouteEntry:
    template: str
    methods: frozenset[str] | None  # None: a mount (any method reaches it)
    pattern: re.Pattern[str]


def walk_routes(routes: list[Any], prefix: str = "") -> Iterator[RouteEntry]:
    """Every route in serving order, included routers flattened with their prefix."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI ≥ 0.16x: an included router
            yield from walk_routes(
                route.original_router.routes, prefix + route.include_context.prefix
            )
        elif isinstance(route, Mount):
            path = prefix + route.path
            yield RouteEntry(path, None, compile_path(path + "/{path:path}")[0])
        elif isinstance(route, Route):
            path = prefix + route.path
            methods = frozenset(route.methods or {"GET", "HEAD"})
            yield RouteEntry(path, methods, compile_path(path)[0])


def route_table(app: FastAPI) -> list[RouteEntry]:
    table: list[RouteEntry] | None = getattr(app.state, "auth_routes", None)
    if table is None:  # routes are complete once the app serves
        table = list(walk_routes(app.router.routes))
        app.state.auth_routes = table
    return table


def match_template(app: FastAPI, method: str, path: str) -> str | None:
    """The template of the route that will answer, as Starlette picks it (first full match)."""
    partial: str | None = None
    for entry in route_table(app):
        if not entry.pattern.match(path):
            continue
        if entry.methods is None or method in entry.methods:
            return entry.template
        partial = partial or entry.template
    return partial


# --- the gate --------------------------------------------------------------------------


def _timeouts(settings: Settings) -> sessions.Timeouts:
    return sessions.Timeouts(
        idle=dt.timedelta(minutes=settings.session_idle_minutes),
        absolute=dt.timedelta(hours=settings.session_absolute_hours),
    )


def _session_user(
    db: sessionmaker[Session], session: MutableMapping[str, Any], settings: Settings
) -> UserInfo | None:
    now = time.time()
    uid = sessions.current_user_id(session, now=now, timeouts=_timeouts(settings))
    if uid is None:
        return None
    user = get_user(db=db, user_id=uid)
    if user is None or not user.is_active:
        sessions.end(session)
        return None
    # A password change ends the sessions that started before it.
    if (
        sessions.current_user_id(
            session, now=now, timeouts=_timeouts(settings), valid_after=user.password_changed_at
        )
        is None
    ):
        return None
    return user


def wants_json(path: str, _headers: dict[str, str]) -> bool:
    """The API and its schema answer JSON; every other path is a page (redirect, HTML)."""
    return path.startswith("/api/") or path == "/openapi.json"


def same_site_next(value: str | None) -> str:
    """Only a path on this site: `//evil.example` or `https://…` fall back to the start page."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _origin_ok(headers: dict[str, str], *, required: bool) -> bool:
    """A browser names the page a form or fetch came from; it must be this site."""
    host = headers.get("host", "")
    source = headers.get("origin") or headers.get("referer")
    if not source:
        return not required
    return bool(host) and urlsplit(source).netloc == host


class AuthMiddleware:
    """Plain ASGI, inside the session middleware (it reads `scope["session"]`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fastapi_app: FastAPI = scope["app"]
        container = fastapi_app.state.container
        request = Request(scope)
        headers = {
            key.decode("latin-1").lower(): value.decode("latin-1")
            for key, value in scope["headers"]
        }
        method, path = scope["method"], scope["path"]
        requirement = policy.required(method, match_template(fastapi_app, method, path))

        auth = ANONYMOUS
        bearer = headers.get("authorization", "")
        if bearer[:7].lower() == "bearer ":
            user = await run_in_threadpool(
                lambda: resolve_token(db=container.session_factory, token=bearer[7:].strip())
            )
            if user is None:
                await _unauthorized(path, headers, invalid_token=True)(scope, receive, send)
                return
            auth = Auth(user=user, via="bearer")
        elif "session" in scope:
            user = await run_in_threadpool(
                _session_user, container.session_factory, scope["session"], container.settings
            )
            auth = Auth(user=user, via="cookie") if user is not None else ANONYMOUS
        scope.setdefault("state", {})["auth"] = auth

        # A browser's cookie is ambient authority: a state change must come from this site.
        # (An API call with the cookie must say where it came from; a bare form post may not.)
        required = auth.via == "cookie" and path.startswith("/api/")
        cross_site = not _origin_ok(headers, required=required)
        if method not in SAFE_METHODS and auth.via != "bearer" and cross_site:
            await _forbidden(request, path, headers, CSRF_MESSAGE)(scope, receive, send)
            return
        if requirement != policy.PUBLIC:
            assert isinstance(requirement, Role)
            if auth.user is None:
                await _unauthorized(path, headers, next_url=_here(scope))(scope, receive, send)
                return
            if not auth.user.role.allows(requirement):
                message = (
                    f"この操作には「{requirement.label}」以上の権限が必要です"
                    f"（あなたの権限: {auth.user.role.label}）。"
                )
                await _forbidden(request, path, headers, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _here(scope: Scope) -> str:
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    path: str = scope["path"]
    return path + (f"?{query}" if query else "")


def _unauthorized(
    path: str, headers: dict[str, str], *, next_url: str = "/", invalid_token: bool = False
) -> Response:
    if invalid_token or wants_json(path, headers):
        message = (
            "APIトークンが無効です（失効したか、誤っています）。"
            if invalid_token
            else "ログインが必要です。API は Authorization: Bearer でトークンを送ってください。"
        )
        challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
        return JSONResponse(
            {"error": {"code": "unauthorized", "message": message}},
            status_code=401,
            headers={"WWW-Authenticate": challenge},
        )
    return RedirectResponse(f"/login?next={quote(same_site_next(next_url), safe='')}", 303)


def _forbidden(request: Request, path: str, headers: dict[str, str], message: str) -> Response:
    if wants_json(path, headers):
        return JSONResponse({"error": {"code": "forbidden", "message": message}}, status_code=403)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"status": 403, "message": message}, status_code=403
    )


# --- CSRF token (an app-wide dependency: it may read the parsed form) -------------------


async def verify_csrf(request: Request) -> None:
    """Every state change not proven by a bearer token carries the session's CSRF token."""
    if request.method in SAFE_METHODS or auth_of(request).via == "bearer":
        return
    submitted = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if submitted is None and content_type.startswith(FORM_TYPES):
        # The app's own form limits, so a long paste parses here as it would in its route.
        limits: dict[str, int] = dict(getattr(request.app, "form_limits", None) or {})
        form = await request.form(
            **{k: v for k, v in limits.items() if k in {"max_files", "max_fields", "max_part_size"}}
        )
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if "session" not in request.scope or not sessions.csrf_matches(request.session, submitted):
        raise Forbidden(CSRF_MESSAGE)


def _token_for(request: Request) -> str:
    """Empty outside the session middleware (the last-resort error page renders there)."""
    if "session" not in request.scope:
        return ""
    return sessions.csrf_token(request.session)


@pass_context
def _csrf_field(context: dict[str, Any]) -> Markup:
    token = _token_for(context["request"])
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


@pass_context
def _csrf_value(context: dict[str, Any]) -> str:
    return _token_for(context["request"])


@pass_context
def _current_user(context: dict[str, Any]) -> UserInfo | None:
    return auth_of(context["request"]).user


class SchemeAwareSessions:
    """Starlette's signed-cookie sessions, with `Secure` set whenever the request is HTTPS."""

    def __init__(self, app: ASGIApp, *, secret_key: str, max_age: int) -> None:
        options: dict[str, Any] = {
            "secret_key": secret_key,
            "session_cookie": SESSION_COOKIE,
            "max_age": max_age,
            "same_site": "lax",
        }
        self.plain = SessionMiddleware(app, https_only=False, **options)
        self.secure = SessionMiddleware(app, https_only=True, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = self.secure if scope.get("scheme") in {"https", "wss"} else self.plain
        await chosen(scope, receive, send)


def install(app: FastAPI, *, secret_key: str, settings: Settings) -> None:
    """Gate inside sessions (add order: the last added runs first); template helpers."""
    app.add_middleware(AuthMiddleware)
    app.add_middleware(
        SchemeAwareSessions, secret_key=secret_key, max_age=settings.session_absolute_hours * 3600
    )
    templates: Jinja2Templates = app.state.templates
    templates.env.globals["csrf_field"] = _csrf_field
    templates.env.globals["csrf_token"] = _csrf_value
    templates.env.globals["current_user"] = _current_user
    templates.env.globals["role_labels"] = {role.value: role.label for role in Role}
    app.state.oidc = build_client(settings)
    templates.env.globals["sso_label"] = settings.oidc_provider_label if app.state.oidc else None
