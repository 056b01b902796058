"""FastAPI dependencies: routes receive the container, never build services themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from app.container import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


ContainerDep = Annotated[Container, Depends(get_container)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
