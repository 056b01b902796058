"""The API documentation pages, served from the vendored Swagger UI and ReDoc (no CDN).

FastAPI's own `/docs` page starts Swagger UI with an inline script, which the
Content-Security-Policy (`script-src 'self'`) forbids; these pages load a static init file.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

pages = APIRouter(include_in_schema=False)

VENDOR = "/static/vendor"

_SWAGGER_PAGE = """<!doctype html>
<html lang="ja">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} - API（Swagger UI）</title>
  <link rel="stylesheet" href="{vendor}/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{vendor}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""

_REDOC_PAGE = """<!doctype html>
<html lang="ja">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} - API（ReDoc）</title>
</head>
<body>
<redoc spec-url="{openapi_url}"></redoc>
<script src="{vendor}/redoc/redoc.standalone.js"></script>
</body>
</html>
"""


def _page(request: Request, template: str) -> HTMLResponse:
    app = request.app
    return HTMLResponse(
        template.format(
            title=escape(app.title), openapi_url=escape(app.openapi_url or ""), vendor=VENDOR
        )
    )


@pages.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    """Try the API in the browser (Swagger UI 5, vendored)."""
    return _page(request, _SWAGGER_PAGE)


@pages.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    """Read the API reference (ReDoc 2, vendored)."""
    return _page(request, _REDOC_PAGE)
