"""One place that turns errors into JSON (API) or a Japanese error page (web)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import RenewalDeskError

HTTP_MESSAGES = {
    404: "ページが見つかりません。",
    405: "この操作は許可されていません。",
    413: "入力が大きすぎます。",
    422: "入力内容に誤りがあります。",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _render(
    request: Request, status: int, code: str, message: str, details: object = None
) -> Response:
    if _wants_json(request):
        body: dict[str, object] = {"error": {"code": code, "message": message}}
        if details is not None:
            body["error"] = {"code": code, "message": message, "details": details}
        return JSONResponse(body, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


def install_error_handlers(app: FastAPI) -> None:
    async def domain_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RenewalDeskError)
        return _render(request, error.status_code, error.code, error.message)

    async def validation_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        details = [
            {"loc": list(item.get("loc", ())), "msg": item.get("msg", "")}
            for item in error.errors()
        ]
        fields = "、".join(str(d["loc"][-1]) for d in details if d["loc"])
        message = f"入力内容に誤りがあります（{fields}）。" if fields else HTTP_MESSAGES[422]
        return _render(request, 422, "invalid_input", message, details)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        message = HTTP_MESSAGES.get(error.status_code, str(error.detail))
        return _render(request, error.status_code, "http_error", message)

    app.add_exception_handler(RenewalDeskError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
