"""Sign-in and sign-out pages (`/login`, `/logout`); the checks live in `app.auth`."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import ratelimit, sessions
from app.auth.users import authenticate
from app.serve.audit import record_request
from app.serve.auth import auth_of, same_site_next
from app.serve.deps import ContainerDep, TemplatesDep

pages = APIRouter(include_in_schema=False)

FAILED = "メールアドレスまたはパスワードが正しくありません。"


def _page(
    request: Request,
    templates: TemplatesDep,
    *,
    next_url: str,
    error: str | None = None,
    notice: str | None = None,
    email: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return templates.TemplateResponse(
        request,
        "login.html",
        {"next": next_url, "error": error, "notice": notice, "email": email},
        status_code=status_code,
        headers=headers,
    )


@pages.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, templates: TemplatesDep, next: str = "/", logged_out: bool = False
) -> Response:
    target = same_site_next(next)
    if auth_of(request).user is not None:
        return RedirectResponse(target, status_code=303)
    notice = "ログアウトしました。" if logged_out else None
    return _page(request, templates, next_url=target, notice=notice)


@pages.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Sync on purpose: FastAPI runs it in a thread, so argon2 never blocks the event loop."""
    settings = container.settings
    target = same_site_next(next)
    address = request.client.host if request.client else None
    key = ratelimit.attempt_key(email, address)
    db = container.session_factory
    wait = ratelimit.retry_after(db=db, key=key)
    if wait:
        return _locked(request, templates, target, email, wait)
    user = authenticate(db=db, email=email, password=password)
    if user is None:
        record_request(request, "login.failed", detail={"email": email})
        locked = ratelimit.record_failure(
            db=db, key=key, free=settings.login_free_attempts, max_s=settings.login_backoff_max_s
        )
        if locked:
            return _locked(request, templates, target, email, locked)
        return _page(
            request, templates, next_url=target, error=FAILED, email=email, status_code=401
        )
    ratelimit.clear(db=db, key=key)
    sessions.start(request.session, user_id=user.id, now=time.time())
    record_request(request, "login", user_id=user.id)
    return RedirectResponse(target, status_code=303)


def _locked(
    request: Request, templates: TemplatesDep, target: str, email: str, seconds: int
) -> Response:
    wait = f"{seconds}秒" if seconds < 120 else f"{(seconds + 59) // 60}分"
    message = (
        f"ログインの失敗が続いたため、このアカウントへのログインを一時的に止めています。"
        f"{wait}ほど待ってからもう一度お試しください。"
    )
    return _page(
        request,
        templates,
        next_url=target,
        error=message,
        email=email,
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


@pages.get("/logout", response_class=HTMLResponse)
def logout_form(request: Request, templates: TemplatesDep) -> Response:
    if auth_of(request).user is None:
        return RedirectResponse("/login", status_code=303)
    return templates.TemplateResponse(request, "logout.html", {})


@pages.post("/logout")
def logout(request: Request) -> Response:
    user = auth_of(request).user
    record_request(request, "logout", user_id=user.id if user else None)
    sessions.end(request.session)
    return RedirectResponse("/login?logged_out=1", status_code=303)
