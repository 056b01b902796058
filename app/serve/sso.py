"""SSO sign-in pages: `/login/sso` sends the visitor to the provider, the callback signs in.

Both answer 404 when no provider is configured. The OAuth state and nonce live in the signed
session until the callback; signing in then starts a fresh session (`sessions.start`).
"""

from __future__ import annotations

import time
from typing import Any

from authlib.integrations.base_client import OAuthError
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.auth import sessions
from app.auth.oidc import user_for_claims
from app.errors import Forbidden, NotFound
from app.serve.auth import same_site_next
from app.serve.deps import ContainerDep

pages = APIRouter(include_in_schema=False)
NEXT_KEY = "sso_next"


def _client(request: Request) -> Any:
    client = getattr(request.app.state, "oidc", None)
    if client is None:
        raise NotFound("シングルサインオンは設定されていません。")
    return client


@pages.get("/login/sso")
async def sso_start(request: Request, next: str = "/") -> Response:
    client = _client(request)
    request.session[NEXT_KEY] = same_site_next(next)
    redirect_uri = str(request.url_for("sso_callback"))
    response: Response = await client.authorize_redirect(request, redirect_uri)
    return response


@pages.get("/login/sso/callback", name="sso_callback")
async def sso_callback(request: Request, container: ContainerDep) -> Response:
    client = _client(request)
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as error:
        raise Forbidden(
            f"シングルサインオンを完了できませんでした（{error.error}）。もう一度お試しください。"
        ) from None
    claims = dict(token.get("userinfo") or {})
    user = await run_in_threadpool(
        user_for_claims, db=container.session_factory, claims=claims, settings=container.settings
    )
    target = same_site_next(request.session.get(NEXT_KEY))
    sessions.start(request.session, user_id=user.id, now=time.time())
    return RedirectResponse(target, status_code=303)
