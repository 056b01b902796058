"""One place that turns errors into JSON (API) or a Japanese error page (web).

`ERROR_RESPONSES` documents the same JSON body in OpenAPI for every 4xx a route can answer;
`render_unexpected` is what the edge middleware answers when a bug escapes a route.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import RenewalDeskError
from app.ingest.models import describe_error
from app.serve.schemas import ErrorBody

HTTP_MESSAGES = {
    400: "リクエストの形式に誤りがあります。",
    401: "ログインが必要です。",
    403: "この操作を行う権限がありません。",
    404: "ページが見つかりません。",
    405: "この操作は許可されていません。",
    409: "現在の状態と矛盾するため実行できませんでした。",
    413: "入力が大きすぎます。",
    415: "この形式には対応していません。",
    422: "入力内容に誤りがあります。",
    429: "リクエストが多すぎます。しばらく待ってからもう一度お試しください。",
    500: "予期しないエラーが発生しました。お手数ですが、時間をおいてもう一度お試しください。",
}

# Every 4xx an /api/v1 route may answer, with the one error body; applied on the routers.
_DESCRIPTIONS = {
    400: "リクエストの形式に誤り",
    401: "未ログイン、またはトークンが無効",
    403: "権限がない",
    404: "対象が見つからない（範囲外の id も含む）",
    409: "現在の状態と矛盾（新しい版がある など）",
    413: "本文またはファイルが上限を超えた",
    415: "対応していないファイル形式",
    422: "入力内容の誤り",
    429: "リクエストが多すぎる",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in _DESCRIPTIONS.items()
}
# The paste and upload routes' own 409 (the near-duplicate warning names the stored one).
DUPLICATE_RESPONSE: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "同じ内容の文書が既にある（details.duplicate_of）"}
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _request_id(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def _render(
    request: Request, status: int, code: str, message: str, details: object = None
) -> Response:
    request_id = _request_id(request)
    if _wants_json(request):
        error: dict[str, object] = {"code": code, "message": message}
        if details is not None:
            error["details"] = details
        if request_id is not None:
            error["request_id"] = request_id
        return JSONResponse({"error": error}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message, "request_id": request_id},
        status_code=status,
    )


async def render_unexpected(request: Request, request_id: str) -> Response:
    """A bug escaped a route: say so in Japanese with the id the log line carries."""
    request.state.request_id = request_id
    return _render(request, 500, "internal_error", HTTP_MESSAGES[500])


def install_error_handlers(app: FastAPI) -> None:
    async def domain_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RenewalDeskError)
        return _render(request, error.status_code, error.code, error.message)

    async def validation_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        sentences = [describe_error(item) for item in error.errors()]
        details = [
            {"loc": [str(part) for part in item.get("loc", ())], "msg": sentence}
            for item, sentence in zip(error.errors(), sentences, strict=True)
        ]
        # The same Japanese sentences the page forms show, the first few in the message.
        sentences = list(dict.fromkeys(sentences))
        message = " ".join(sentences[:5]) or HTTP_MESSAGES[422]
        return _render(request, 422, "invalid_input", message, details)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        message = HTTP_MESSAGES.get(error.status_code, str(error.detail))
        response = _render(request, error.status_code, "http_error", message)
        if error.headers:
            response.headers.update(error.headers)
        return response

    app.add_exception_handler(RenewalDeskError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
