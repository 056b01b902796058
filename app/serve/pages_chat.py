"""Chat pages: one per engagement and one across all engagements (thin: parse, call, render).

The pages work without JavaScript (the form posts, the answer appears after a redirect);
/static/chat.js streams answers from the JSON API instead when it can.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from app.chat import service
from app.chat.models import ChatCitation, ConversationOut, MessageOut
from app.errors import InvalidInput
from app.serve import views
from app.serve.deps import ContainerDep, TemplatesDep
from app.store import repository

router = APIRouter(include_in_schema=False)

_MARKER = re.compile(r"\[(\d+)\]")


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


def _page(
    request: Request,
    templates: TemplatesDep,
    container: ContainerDep,
    *,
    engagement_id: int | None,
    conversation_id: int | None,
    error: str | None = None,
    question: str = "",
    status_code: int = 200,
) -> Response:
    engagement = None
    if engagement_id is not None:
        with container.session_factory() as session:
            engagement = views.engagement_out(
                repository.get_engagement(session, engagement_id), today=dt.date.today()
            )
    threads: list[ConversationOut] = service.conversations(
        container=container, engagement_id=engagement_id
    )
    current = next((c for c in threads if c.id == conversation_id), None)
    base = f"/engagements/{engagement_id}/chat" if engagement_id is not None else "/chat"
    api = (
        f"/api/v1/engagements/{engagement_id}/chat" if engagement_id is not None else "/api/v1/chat"
    )
    return templates.TemplateResponse(
        request,
        "chat.html",
        {
            "engagement": engagement,
            "conversations": threads,
            "conversation": current,
            "messages": [_message_view(m) for m in current.messages] if current else [],
            "suggestions": service.suggestions(container=container, engagement_id=engagement_id),
            "page_url": base,
            "api_url": api,
            "error": error,
            "question": question,
        },
        status_code=status_code,
    )


async def _ask(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    *,
    engagement_id: int | None,
    question: str,
    conversation_id: str,
) -> Response:
    thread = int(conversation_id) if conversation_id.strip().isdigit() else None
    try:
        answer = await run_in_threadpool(
            service.ask,
            container=container,
            engagement_id=engagement_id,
            question=question,
            conversation_id=thread,
        )
    except InvalidInput as error:
        return await run_in_threadpool(
            _page,
            request,
            templates,
            container,
            engagement_id=engagement_id,
            conversation_id=thread,
            error=error.message,
            question=question,
            status_code=error.status_code,
        )
    base = f"/engagements/{engagement_id}/chat" if engagement_id is not None else "/chat"
    return RedirectResponse(f"{base}?conversation_id={answer.conversation_id}#latest", 303)


@router.get("/engagements/{engagement_id}/chat", response_class=HTMLResponse)
async def engagement_chat(
    engagement_id: int,
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    conversation_id: int | None = None,
) -> Response:
    return await run_in_threadpool(
        _page,
        request,
        templates,
        container,
        engagement_id=engagement_id,
        conversation_id=conversation_id,
    )


@router.post("/engagements/{engagement_id}/chat", response_class=HTMLResponse)
async def engagement_ask(
    engagement_id: int,
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


@router.post("/engagements/{engagement_id}/chat/clear")
async def engagement_clear(engagement_id: int, container: ContainerDep) -> Response:
    await run_in_threadpool(service.clear_history, container=container, engagement_id=engagement_id)
    return RedirectResponse(f"/engagements/{engagement_id}/chat?cleared=1", 303)


@router.get("/chat", response_class=HTMLResponse)
async def portfolio_chat(
    request: Request,
    container: ContainerDep,
    templates: TemplatesDep,
    conversation_id: int | None = None,
) -> Response:
    return await run_in_threadpool(
        _page, request, templates, container, engagement_id=None, conversation_id=conversation_id
    )


@router.post("/chat", response_class=HTMLResponse)
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


@router.post("/chat/clear")
async def portfolio_clear(container: ContainerDep) -> Response:
    await run_in_threadpool(service.clear_history, container=container, engagement_id=None)
    return RedirectResponse("/chat?cleared=1", 303)
