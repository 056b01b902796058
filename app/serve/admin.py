"""Users and API tokens: the admin page `/admin/users` and its /api/v1 twins (admins only,
by the policy table). A new token is shown once, on the page that created it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from app.auth import tokens, users
from app.auth.roles import Role, parse_role
from app.auth.tokens import TokenInfo
from app.auth.users import UserInfo
from app.container import Container
from app.core.timestamps import UtcDateTime
from app.errors import NotFound, RenewalDeskError
from app.serve.deps import ContainerDep, CurrentUser, TemplatesDep
from app.serve.schemas import IdPath

api = APIRouter(prefix="/api/v1", tags=["accounts"])
pages = APIRouter(include_in_schema=False)


class UserOut(BaseModel):
    id: int
    email: str
    role: Role
    is_active: bool
    created_at: UtcDateTime


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320)
    role: Role = Role.VIEWER
    password: str = Field(min_length=10, max_length=1024)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class TokenOut(BaseModel):
    id: int
    user_id: int
    email: str
    role: Role
    name: str
    created_at: UtcDateTime
    last_used_at: UtcDateTime | None
    revoked_at: UtcDateTime | None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(default="api", max_length=100)


class TokenCreated(TokenOut):
    token: str = Field(description="The bearer token itself; shown only in this response.")


def _user_out(user: UserInfo) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        role=user.role,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def _token_out(token: TokenInfo) -> TokenOut:
    return TokenOut(**vars(token))


# --- /api/v1 ---------------------------------------------------------------------------


@api.get("/me", response_model=UserOut)
async def whoami(user: CurrentUser) -> UserOut:
    """The user the session or token acts as."""
    return _user_out(user)


@api.get("/users", response_model=list[UserOut])
async def list_users(container: ContainerDep) -> list[UserOut]:
    found = await run_in_threadpool(users.list_users, db=container.session_factory)
    return [_user_out(user) for user in found]


@api.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def add_user(body: UserIn, container: ContainerDep) -> UserOut:
    """Sync: hashing the password runs in FastAPI's thread pool."""
    created = users.create_user(
        db=container.session_factory, email=body.email, role=body.role, password=body.password
    )
    return _user_out(created)


@api.patch("/users/{user_id}", response_model=UserOut)
async def change_role(user_id: IdPath, body: UserPatch, container: ContainerDep) -> UserOut:
    changed = await run_in_threadpool(
        users.set_role, db=container.session_factory, user_id=user_id, role=body.role
    )
    return _user_out(changed)


@api.get("/tokens", response_model=list[TokenOut])
async def list_tokens(container: ContainerDep) -> list[TokenOut]:
    found = await run_in_threadpool(tokens.list_tokens, db=container.session_factory)
    return [_token_out(token) for token in found]


@api.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
async def create_token(body: TokenIn, container: ContainerDep) -> TokenCreated:
    db = container.session_factory
    owner = await run_in_threadpool(users.find_user, db=db, email=body.email)
    info, secret = await run_in_threadpool(
        tokens.create_token, db=db, user_id=owner.id, name=body.name
    )
    return TokenCreated(**vars(info), token=secret)


@api.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(token_id: IdPath, container: ContainerDep) -> Response:
    await run_in_threadpool(tokens.revoke_token, db=container.session_factory, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the page --------------------------------------------------------------------------


def users_view(*, container: Container) -> dict[str, Any]:
    db = container.session_factory
    return {
        "users": users.list_users(db=db),
        "tokens": tokens.list_tokens(db=db),
        "roles": list(Role),
    }


def _render(
    request: Request,
    templates: TemplatesDep,
    container: Container,
    *,
    error: str | None = None,
    notice: str | None = None,
    new_token: str | None = None,
    status_code: int = 200,
) -> Response:
    context = users_view(container=container)
    context.update({"error": error, "notice": notice, "new_token": new_token})
    return templates.TemplateResponse(request, "admin_users.html", context, status_code=status_code)


@pages.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request, container: ContainerDep, templates: TemplatesDep, done: str = ""
) -> Response:
    notices = {
        "added": "ユーザーを追加しました。",
        "role": "権限を変更しました。",
        "revoked": "トークンを失効させました。",
    }
    return _render(request, templates, container, notice=notices.get(done))


@pages.post("/admin/users", response_class=HTMLResponse)
def add_user_page(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[str, Form(max_length=16)] = "viewer",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        users.create_user(
            db=container.session_factory, email=email, role=parse_role(role), password=password
        )
    except RenewalDeskError as error:
        return _render(
            request, templates, container, error=error.message, status_code=error.status_code
        )
    return RedirectResponse("/admin/users?done=added", status_code=303)


@pages.post("/admin/users/{user_id}/role", response_class=HTMLResponse)
def change_role_page(
    user_id: IdPath,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    role: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        users.set_role(db=container.session_factory, user_id=user_id, role=parse_role(role))
    except RenewalDeskError as error:
        return _render(
            request, templates, container, error=error.message, status_code=error.status_code
        )
    return RedirectResponse("/admin/users?done=role", status_code=303)


@pages.post("/admin/users/{user_id}/tokens", response_class=HTMLResponse)
def create_token_page(
    user_id: IdPath,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    name: Annotated[str, Form(max_length=100)] = "api",
) -> Response:
    """Answers with the page itself (no redirect): the token must not travel in a URL."""
    if users.get_user(db=container.session_factory, user_id=user_id) is None:
        raise NotFound("ユーザーが見つかりません。")
    try:
        _info, secret = tokens.create_token(
            db=container.session_factory, user_id=user_id, name=name
        )
    except RenewalDeskError as error:
        return _render(
            request, templates, container, error=error.message, status_code=error.status_code
        )
    response = _render(request, templates, container, new_token=secret, status_code=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.post("/admin/tokens/{token_id}/revoke")
def revoke_token_page(token_id: IdPath, container: ContainerDep) -> Response:
    tokens.revoke_token(db=container.session_factory, token_id=token_id)
    return RedirectResponse("/admin/users?done=revoked", status_code=303)
