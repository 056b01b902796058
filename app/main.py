"""App factory: builds the container from settings and mounts the web pages and the JSON API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app.container import Container, build_container
from app.settings import Settings

SERVE_DIR = Path(__file__).parent / "serve"


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    """Nothing happens at import; everything is wired here (tests pass their own container)."""
    from app.auth.bind import secret_key
    from app.ingest.models import form_part_bytes
    from app.jobs import JobRunner
    from app.remind.schedule import start_scheduler
    from app.serve import (
        admin,
        analysis,
        audit,
        chat,
        compare,
        docs,
        documents,
        drafts,
        engagements,
        imports,
        jobs,
        login,
        renewals,
        search,
        sso,
        vendors,
    )
    from app.serve.auth import install as install_auth
    from app.serve.auth import verify_csrf
    from app.serve.errors import ERROR_RESPONSES, install_error_handlers, render_unexpected
    from app.serve.middleware import EdgeMiddleware
    from app.serve.templating import make_templates
    from app.serve.uploads import BodyLimitMiddleware, request_body_limit
    from app.workflows import refresh_stale

    owns_container = container is None
    container = container or build_container(settings or Settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Bulk-import files, and with an LLM the assisted analysis and drafts, run off the
        # request path; it polls every `settings.job_poll_s`; the database row is the queue.
        runner = JobRunner(container)
        runner.start()
        # Reminders on `remind_schedule` and the re-analysis of stale analyses on
        # `analysis_schedule` (both off by default; `renewal-desk remind` / `reanalyse`).
        reminders = start_scheduler(
            container,
            also={
                "analysis": (
                    container.settings.analysis_schedule,
                    partial(refresh_stale, container=container),
                )
            },
        )
        try:
            yield
        finally:
            if reminders is not None:
                reminders.shutdown(wait=False)
            runner.stop()
            if owns_container:
                container.close()

    app = FastAPI(
        title="Renewal Desk（更新デスク）",
        description="営業代行の契約更新を、証拠つきで判断するための API",
        version="0.1.0",
        lifespan=lifespan,
        # Every route: the CSRF check (app/serve/auth.py) and the bearer scheme in OpenAPI.
        dependencies=[Depends(HTTPBearer(auto_error=False)), Depends(verify_csrf)],
        # Our own /docs and /redoc serve the vendored assets under the CSP (app/serve/docs.py).
        docs_url=None,
        redoc_url=None,
        # A paste of the documented max_text_chars must reach the size check (Japanese message).
        form_limits={"max_part_size": form_part_bytes(container.settings.max_text_chars)},
    )
    app.state.container = container
    templates: Jinja2Templates = make_templates(
        SERVE_DIR / "templates", vocabulary=container.knowledge.vocabulary
    )
    app.state.templates = templates
    # Who may do what: one gate (app/serve/auth.py) over the table in app/auth/policy.py.
    # Audited requests are recorded after they succeed (inside the gate: it knows the user).
    audit.install(app)
    install_auth(app, secret_key=secret_key(container.settings), settings=container.settings)
    app.mount("/static", StaticFiles(directory=SERVE_DIR / "static"), name="static")
    for module in (vendors, engagements, documents, search, analysis, renewals, drafts, chat, jobs):
        app.include_router(module.api, responses=ERROR_RESPONSES)
    app.include_router(imports.api, responses=ERROR_RESPONSES)
    app.include_router(compare.api, responses=ERROR_RESPONSES)
    app.include_router(admin.api, responses=ERROR_RESPONSES)
    app.include_router(audit.api, responses=ERROR_RESPONSES)
    # Pages after the API; within engagements, /engagements/new precedes /engagements/{id}.
    for module in (renewals, compare, engagements, documents, analysis, search, drafts, chat):
        app.include_router(module.pages)
    app.include_router(login.pages)
    app.include_router(sso.pages)
    app.include_router(admin.pages)
    app.include_router(audit.pages)
    app.include_router(docs.pages)
    app.include_router(imports.pages)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=request_body_limit(container.settings))
    # Request id, security headers, and a Japanese answer to any unexpected exception.
    app.add_middleware(EdgeMiddleware, render_error=render_unexpected)
    return app
