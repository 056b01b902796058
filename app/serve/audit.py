"""The audit trail at the edge: a middleware that records every audited request once it has
succeeded, and the admin page `/admin/audit` (filters, CSV) with its /api/v1 twin."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit import actions, trail
from app.audit.trail import AuditFilter, AuditRow
from app.container import Container
from app.core.timestamps import IsoDate, UtcDateTime
from app.serve.auth import auth_of, match_template
from app.serve.deps import ContainerDep, TemplatesDep
from app.serve.downloads import csv_download

log = logging.getLogger(__name__)

api = APIRouter(prefix="/api/v1", tags=["accounts"])
pages = APIRouter(include_in_schema=False)


class AuditEventOut(BaseModel):
    id: int
    at: UtcDateTime
    user_email: str | None
    action: str
    action_label: str
    target: str | None
    client_address: str | None


def client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def record_event(
    container: Container,
    *,
    action: str,
    user_id: int | None,
    target: str | None,
    address: str | None,
    detail: dict[str, object] | None = None,
) -> None:
    """One event in its own transaction; a failure to audit is logged, never shown."""
    try:
        with container.session_factory() as session:
            trail.record(
                session,
                action=action,
                user_id=user_id,
                target=target,
                detail=dict(detail or {}),
                client_address=address,
            )
            session.commit()
    except Exception:
        log.exception("could not write the audit event %s", action)


def record_request(
    request: Request,
    action: str,
    *,
    user_id: int | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    """For routes that audit themselves (login, failed login, logout); call from a thread."""
    container: Container = request.app.state.container
    record_event(
        container,
        action=action,
        user_id=user_id,
        target=request.url.path,
        address=client_address(request.scope),
        detail=detail,
    )


class AuditMiddleware:
    """Records a request after it succeeded (status < 400) when `actions` says it is audited."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, capture)
        if not status or status[0] >= 400:
            return
        fastapi_app: FastAPI = scope["app"]
        method = str(scope["method"])
        action = actions.action_for(method, match_template(fastapi_app, method, scope["path"]))
        if action is None:
            return
        request = Request(scope)
        auth = auth_of(request)
        await run_in_threadpool(
            record_event,
            fastapi_app.state.container,
            action=action,
            user_id=auth.user.id if auth.user else None,
            target=scope["path"],
            address=client_address(scope),
            detail={"method": method, "status": status[0], "via": auth.via or ""},
        )


def install(app: FastAPI) -> None:
    app.add_middleware(AuditMiddleware)


def _query(container: Container, wanted: AuditFilter) -> list[AuditRow]:
    with container.session_factory() as session:
        return trail.query(session, wanted)


UserQuery = Annotated[str | None, Query(max_length=320)]
ActionQuery = Annotated[str | None, Query(max_length=64)]
DateQuery = Annotated[IsoDate | None, Query()]  # YYYY-MM-DD only ("0" is not a date)


def audit_filter(
    user: UserQuery = None,
    action: ActionQuery = None,
    since: DateQuery = None,
    until: DateQuery = None,
) -> AuditFilter:
    """The same query parameters for the page, its CSV and the API."""
    return AuditFilter(user_email=user or None, action=action or None, since=since, until=until)


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@api.get("/audit", response_model=list[AuditEventOut])
async def list_audit(container: ContainerDep, wanted: FilterDep) -> list[AuditEventOut]:
    """Who did what and when, newest first (admins only)."""
    rows = await run_in_threadpool(_query, container, wanted)
    return [AuditEventOut.model_validate(row, from_attributes=True) for row in rows]


@pages.get("/admin/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request, container: ContainerDep, templates: TemplatesDep, wanted: FilterDep
) -> Response:
    rows = await run_in_threadpool(_query, container, wanted)
    return templates.TemplateResponse(
        request,
        "audit.html",
        {"rows": rows, "wanted": wanted, "labels": actions.LABELS},
    )


@pages.get("/admin/audit.csv")
async def audit_csv(container: ContainerDep, wanted: FilterDep) -> Response:
    rows = await run_in_threadpool(_query, container, wanted)
    return csv_download(trail.to_csv(rows), f"操作履歴_{dt.date.today().isoformat()}.csv")
