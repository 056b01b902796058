"""FastAPI dependencies: routes receive the container, never build services themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from app.auth.users import UserInfo
from app.container import Container
from app.errors import Forbidden
from app.serve.auth import auth_of


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def get_current_user(request: Request) -> UserInfo:
    """The signed-in user (session or token); the gate in app/serve/auth.py already let them in."""
    user = auth_of(request).user
    if user is None:  # only on a public route, which should not ask for a user
        raise Forbidden("ログインが必要です。")
    return user


ContainerDep = Annotated[Container, Depends(get_container)]
CurrentUser = Annotated[UserInfo, Depends(get_current_user)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
