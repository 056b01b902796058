"""JSON API for chat: ask (JSON or server-sent events), history, clear, suggestions.

`POST .../chat` answers with JSON, or streams the answer as server-sent events when the
request says `Accept: text/event-stream`: `meta` (conversation id), `token` (text as it is
produced), `replace` (discard the streamed text: the LLM answer did not verify), `done`
(the final answer with citations) and `error`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.chat import service
from app.chat.models import ChatAnswer, ChatRequest, ConversationOut
from app.container import Container
from app.errors import RenewalDeskError
from app.serve.deps import ContainerDep

router = APIRouter(prefix="/api/v1", tags=["chat"])
log = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"


class Cleared(BaseModel):
    deleted: int


class Suggestions(BaseModel):
    questions: list[str]


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


@router.post(
    "/engagements/{engagement_id}/chat",
    response_model=ChatAnswer,
    responses={200: {"content": {EVENT_STREAM: {}}}},
)
async def ask(
    engagement_id: int, body: ChatRequest, request: Request, container: ContainerDep
) -> Response | ChatAnswer:
    """Ask about one engagement's history; every citation is an exact stored passage."""
    return await _answer(request, container, engagement_id, body)


@router.get("/engagements/{engagement_id}/chat", response_model=list[ConversationOut])
async def history(engagement_id: int, container: ContainerDep) -> list[ConversationOut]:
    return await run_in_threadpool(
        service.conversations, container=container, engagement_id=engagement_id
    )


@router.delete("/engagements/{engagement_id}/chat", response_model=Cleared)
async def clear(engagement_id: int, container: ContainerDep) -> Cleared:
    deleted = await run_in_threadpool(
        service.clear_history, container=container, engagement_id=engagement_id
    )
    return Cleared(deleted=deleted)


@router.get("/engagements/{engagement_id}/chat/suggestions", response_model=Suggestions)
async def suggestions(engagement_id: int, container: ContainerDep) -> Suggestions:
    questions = await run_in_threadpool(
        service.suggestions, container=container, engagement_id=engagement_id
    )
    return Suggestions(questions=questions)


@router.post("/chat", response_model=ChatAnswer, responses={200: {"content": {EVENT_STREAM: {}}}})
async def ask_portfolio(
    body: ChatRequest, request: Request, container: ContainerDep
) -> Response | ChatAnswer:
    """Ask across every engagement (「商談化率が一番高い代行会社は？」)."""
    return await _answer(request, container, None, body)


@router.get("/chat", response_model=list[ConversationOut])
async def portfolio_history(container: ContainerDep) -> list[ConversationOut]:
    return await run_in_threadpool(service.conversations, container=container, engagement_id=None)


@router.delete("/chat", response_model=Cleared)
async def clear_portfolio(container: ContainerDep) -> Cleared:
    deleted = await run_in_threadpool(
        service.clear_history, container=container, engagement_id=None
    )
    return Cleared(deleted=deleted)


@router.get("/chat/suggestions", response_model=Suggestions)
async def portfolio_suggestions(container: ContainerDep) -> Suggestions:
    questions = await run_in_threadpool(
        service.suggestions, container=container, engagement_id=None
    )
    return Suggestions(questions=questions)
