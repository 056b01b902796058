"""Chat about one engagement or across all: the pages and their /api/v1 twins.

The pages work without JavaScript (the form posts, the answer appears after a redirect);
/static/chat.js streams answers from the JSON API instead when it can.

`POST /api/v1/.../chat` answers with JSON, or streams the answer as server-sent events when
the request says `Accept: text/event-stream`: `meta` (conversation id), `token` (text as it
is produced), `replace` (discard the streamed text: the LLM answer did not verify), `done`
(the final answer with citations) and `error`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from app.chat import service
from app.chat.models import ChatAnswer, ChatCitation, ChatRequest, ConversationOut, MessageOut
from app.container import Container
from app.errors import InvalidInput, RenewalDeskError
from app.ingest import engagements
from app.serve.deps import ContainerDep, TemplatesDep
from app.serve.schemas import Cleared, IdPath, IdQuery, Suggestions

api = APIRouter(prefix="/api/v1", tags=["chat"])
pages = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
_MARKER = re.compile(r"\[(\d+)\]")


# --- view-models ----------------------------------------------------------------------------


def answer_html(text: str, citations: list[ChatCitation]) -> Markup:
    """Escaped answer text whose [n] markers link to the cited passage."""

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if not 1 <= number <= len(citations):
            return match.group(0)
        url = escape(citations[number - 1].url)
        return f'<sup><a class="cite-ref" href="{url}">[{number}]</a></sup>'

    escaped = str(escape(text))
    return Markup(_MARKER.sub(link, escaped).replace("\n", "<br>"))


def _message_view(message: MessageOut) -> dict[str, Any]:
    return {
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "html": answer_html(message.content, message.citations),
        "citations": message.citations,
        "engine": message.engine,
        "note": message.note,
    }


def chat_view(
    *, container: Container, engagement_id: int | None, conversation_id: int | None
) -> dict[str, Any]:
    """The chat page: the engagement (None = every engagement), its threads, suggestions."""
    engagement = (
        engagements.engagement_summary(container=container, engagement_id=engagement_id)
        if engagement_id is not None
        else None
    )
    threads: list[ConversationOut] = service.conversations(
        container=container, engagement_id=engagement_id
    )
    current = next((c for c in threads if c.id == conversation_id), None)
    return {
        "engagement": engagement,
        "conversations": threads,
        "conversation": current,
        "messages": [_message_view(m) for m in current.messages] if current else [],
        "suggestions": service.suggestions(container=container, engagement_id=engagement_id),
        "page_url": _page_url(engagement_id),
        "api_url": f"/api/v1{_page_url(engagement_id)}",
    }


def _page_url(engagement_id: int | None) -> str:
    return f"/engagements/{engagement_id}/chat" if engagement_id is not None else "/chat"


async def _page(
    request: Request,
    templates: TemplatesDep,
    container: Container,
    *,
    engagement_id: int | None,
    conversation_id: int | None,
    error: str | None = None,
    question: str = "",
    status_code: int = 200,
) -> Response:
    context = await run_in_threadpool(
        chat_view,
        container=container,
        engagement_id=engagement_id,
        conversation_id=conversation_id,
    )
    context.update(error=error, question=question)
    return templates.TemplateResponse(request, "chat.html", context, status_code=status_code)


# --- /api/v1 -------------------------------------------------------------------------------


def _sse(events: Iterator[service.ChatEvent]) -> Iterator[str]:
    """Format events; a failure mid-stream becomes an `error` event, not a broken stream."""
    try:
        for event in events:
            data = json.dumps(event.data, ensure_ascii=False)
            yield f"event: {event.event}\ndata: {data}\n\n"
    except RenewalDeskError as error:
        yield f"event: error\ndata: {json.dumps({'message': error.message}, ensure_ascii=False)}\n\n"
    except Exception:
        log.exception("chat stream failed")
        message = {"message": "回答の作成中にエラーが発生しました。もう一度お試しください。"}
        yield f"event: error\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"


async def _answer(
    request: Request, container: Container, engagement_id: int | None, body: ChatRequest
) -> Response | ChatAnswer:
    if EVENT_STREAM in request.headers.get("accept", ""):
        turn = await run_in_threadpool(
            service.start_turn,
            container=container,
            engagement_id=engagement_id,
            question=body.question,
            conversation_id=body.conversation_id,
            as_of=body.as_of,
        )
        # A sync iterator: Starlette runs each step in the thread pool.
        return StreamingResponse(
            _sse(service.stream_turn(container=container, turn=turn)),
            media_type=EVENT_STREAM,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await run_in_threadpool(
        service.ask,
        container=container,
        engagement_id=engagement_id,
        question=body.question,
        conversation_id=body.conversation_id,
        as_of=body.as_of,
    )


@api.post(
    "/engagements/{engagement_id}/chat",
    response_model=ChatAnswer,
    responses={200: {"content": {EVENT_STREAM: {}}}},
)
async def ask(
    engagement_id: IdPath, body: ChatRequest, request: Request, container: ContainerDep
) -> Response | ChatAnswer:
    """Ask about one engagement's history; every citation is an exact stored passage."""
    return await _answer(request, container, engagement_id, body)


@api.get("/engagements/{engagement_id}/chat", response_model=list[ConversationOut])
async def history(engagement_id: IdPath, container: ContainerDep) -> list[ConversationOut]:
    return await run_in_threadpool(
        service.conversations, container=container, engagement_id=engagement_id
    )


@api.delete("/engagements/{engagement_id}/chat", response_model=Cleared)
async def clear(engagement_id: IdPath, container: ContainerDep) -> Cleared:
    deleted = await run_in_threadpool(
        service.clear_history, container=container, engagement_id=engagement_id
    )
    return Cleared(deleted=deleted)


@api.get("/engagements/{engagement_id}/chat/suggestions", response_model=Suggestions)
async def suggestions(engagement_id: IdPath, container: ContainerDep) -> Suggestions:
    questions = await run_in_threadpool(
        service.suggestions, container=container, engagement_id=engagement_id
    )
    return Suggestions(questions=questions)


@api.post("/chat", response_model=ChatAnswer, responses={200: {"content": {EVENT_STREAM: {}}}})
async def ask_portfolio(
    body: ChatRequest, request: Request, container: ContainerDep
) -> Response | ChatAnswer:
    """Ask across every engagement (「商談化率が一番高い代行会社は？」)."""
    return await _answer(request, container, None, body)


@api.get("/chat", response_model=list[ConversationOut])
async def portfolio_history(container: ContainerDep) -> list[ConversationOut]:
    return await run_in_threadpool(service.conversations, container=container, engagement_id=None)


@api.delete("/chat", response_model=Cleared)
async def clear_portfolio(container: ContainerDep) -> Cleared:
    deleted = await run_in_threadpool(
        service.clear_history, container=container, engagement_id=None
    )
    return Cleared(deleted=deleted)


@api.get("/chat/suggestions", response_model=Suggestions)
async def portfolio_suggestions(container: ContainerDep) -> Suggestions:
    questions = await run_in_threadpool(
        service.suggestions, container=container, engagement_id=None
    )
    return Suggestions(questions=questions)


# --- pages ---------------------------------------------------------------------------------


async def _ask(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    *,
    engagement_id: int | None,
    question: str,
    conversation_id: str,
) -> Response:
    digits = conversation_id.strip()
    thread = int(digits) if digits.isdigit() and len(digits) <= 18 else None
    try:
        answer = await run_in_threadpool(
            service.ask,
            container=container,
            engagement_id=engagement_id,
            question=question,
            conversation_id=thread,
        )
    except InvalidInput as error:
        return await _page(
            request,
            templates,
            container,
            engagement_id=engagement_id,
            conversation_id=thread,
            error=error.message,
            question=question,
            status_code=error.status_code,
        )
    base = _page_url(engagement_id)
    return RedirectResponse(f"{base}?conversation_id={answer.conversation_id}#latest", 303)


@pages.get("/engagements/{engagement_id}/chat", response_class=HTMLResponse)
async def engagement_chat(
    engagement_id: IdPath,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    conversation_id: IdQuery = None,
) -> Response:
    return await _page(
        request, templates, container, engagement_id=engagement_id, conversation_id=conversation_id
    )


@pages.post("/engagements/{engagement_id}/chat", response_class=HTMLResponse)
async def engagement_ask(
    engagement_id: IdPath,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    question: Annotated[str, Form()] = "",
    conversation_id: Annotated[str, Form()] = "",
) -> Response:
    return await _ask(
        request,
        container,
        templates,
        engagement_id=engagement_id,
        question=question,
        conversation_id=conversation_id,
    )


@pages.post("/engagements/{engagement_id}/chat/clear")
async def engagement_clear(engagement_id: IdPath, container: ContainerDep) -> Response:
    await run_in_threadpool(service.clear_history, container=container, engagement_id=engagement_id)
    return RedirectResponse(f"/engagements/{engagement_id}/chat?cleared=1", 303)


@pages.get("/chat", response_class=HTMLResponse)
async def portfolio_chat(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    conversation_id: IdQuery = None,
) -> Response:
    return await _page(
        request, templates, container, engagement_id=None, conversation_id=conversation_id
    )


@pages.post("/chat", response_class=HTMLResponse)
async def portfolio_ask(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    question: Annotated[str, Form()] = "",
    conversation_id: Annotated[str, Form()] = "",
) -> Response:
    return await _ask(
        request,
        container,
        templates,
        engagement_id=None,
        question=question,
        conversation_id=conversation_id,
    )


@pages.post("/chat/clear")
async def portfolio_clear(container: ContainerDep) -> Response:
    await run_in_threadpool(service.clear_history, container=container, engagement_id=None)
    return RedirectResponse("/chat?cleared=1", 303)
