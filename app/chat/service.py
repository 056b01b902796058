"""Chat service: the entry points the routes call (a turn, streamed or whole; history;
suggested questions).

A turn gathers the engagement's evidence, answers offline, lets the LLM (if configured)
rewrite the answer from the same evidence, and keeps both messages. Evidence loading, the
offline engine and storage are the modules beside this one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from app.analyse.service import get_analysis
from app.chat import llm as chat_llm
from app.chat.answering import answer_offline, answer_portfolio
from app.chat.evidence import kpi_labels, rules_for
from app.chat.history import (
    citation_out,
    delete_conversations,
    last_context,
    list_conversations,
    open_conversation,
    recent_messages,
    store_turn,
)
from app.chat.models import MAX_QUESTION_CHARS, ChatAnswer, ConversationOut
from app.chat.suggest import portfolio_questions, suggest_questions
from app.container import Container
from app.core.normalize import unstorable_text_problem
from app.errors import InvalidInput, LLMUnavailable
from app.llm.model import LLMNotConfigured
from app.store import repository

__all__ = [
    "ChatEvent",
    "Turn",
    "answer_offline",
    "answer_portfolio",
    "ask",
    "clear_history",
    "conversations",
    "start_turn",
    "stream_turn",
    "suggestions",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatEvent:
    """One server-sent event: `token` (text delta), `replace` (discard the streamed text),
    `done` (the final ChatAnswer) or `error`."""

    event: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Turn:
    """A validated question in a stored conversation, ready to be answered."""

    engagement_id: int | None
    conversation_id: int
    question: str
    as_of: dt.date | None
    history: tuple[tuple[str, str], ...]
    previous: dict[str, Any]


def _clean_question(question: str) -> str:
    cleaned = question.strip()
    if not cleaned:
        raise InvalidInput("質問を入力してください。")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"質問は{MAX_QUESTION_CHARS}文字以内で入力してください。")
    if (problem := unstorable_text_problem(cleaned)) is not None:
        raise InvalidInput(problem)
    return cleaned


def start_turn(
    *,
    container: Container,
    engagement_id: int | None,
    question: str,
    conversation_id: int | None = None,
    as_of: dt.date | None = None,
) -> Turn:
    """Validate the question and find or open the conversation (errors surface here, before
    any streaming starts, so they become ordinary HTTP errors)."""
    question = _clean_question(question)
    with container.session_factory() as session:
        if engagement_id is not None:
            repository.require_engagement(session, engagement_id)
        conversation = open_conversation(
            session, engagement_id=engagement_id, conversation_id=conversation_id, question=question
        )
        turns = recent_messages(conversation)
        history = tuple((m.role, m.content) for m in turns)
        previous = last_context(turns)
        session.commit()
        return Turn(engagement_id, conversation.id, question, as_of, history, previous)


def stream_turn(*, container: Container, turn: Turn) -> Iterator[ChatEvent]:
    """Answer the turn, yielding events as the answer is produced; stores both messages."""
    yield ChatEvent("meta", {"conversation_id": turn.conversation_id})
    if turn.engagement_id is None:
        result = yield from _portfolio_events(container=container, turn=turn)
        context: dict[str, Any] = {}
    else:
        result, context = yield from _engagement_events(container=container, turn=turn)
    with container.session_factory() as session:
        store_turn(
            session,
            conversation_id=turn.conversation_id,
            question=turn.question,
            answer=result,
            context=context,
        )
        session.commit()
    yield ChatEvent("done", result.model_dump(mode="json"))


def _engagement_events(
    *, container: Container, turn: Turn
) -> Generator[ChatEvent, None, tuple[ChatAnswer, dict[str, Any]]]:
    assert turn.engagement_id is not None
    offline, intent, evidence = answer_offline(
        container=container,
        engagement_id=turn.engagement_id,
        question=turn.question,
        as_of=turn.as_of,
        previous=turn.previous,
    )
    engine = "offline"
    note: str | None = None
    text, spans = offline.text, list(offline.citations)
    streamed = False
    try:
        for event in chat_llm.stream_answer(
            model=container.chat_model,
            prompts=container.knowledge.prompts,
            evidence=evidence,
            intent=intent,
            question=turn.question,
            history=turn.history,
            offline=offline,
            injection=rules_for(container).injection,
            kpi_labels=kpi_labels(container),
        ):
            if event.kind == "token":
                streamed = True
                yield ChatEvent("token", {"text": event.text})
            elif event.kind == "final" and event.result is not None:
                text, spans = event.result.text, list(event.result.citations)
                engine = "llm"
            elif event.kind == "rejected":
                note = event.text
    except LLMNotConfigured:
        pass  # the offline answer is the answer
    except LLMUnavailable as error:
        log.warning("chat LLM unavailable: %s", error.message)
        note = f"LLMを利用できなかったため、オフラインの回答を表示しています（{error.message}）。"
    if engine == "offline" and streamed:
        yield ChatEvent("replace", {"note": note or ""})
    if engine == "offline":
        yield from (ChatEvent("token", {"text": piece}) for piece in _chunks(text))
    result = ChatAnswer(
        answer=text,
        citations=[citation_out(span) for span in spans],
        conversation_id=turn.conversation_id,
        engine=engine,  # type: ignore[arg-type]
        found=offline.found if engine == "offline" else bool(spans) or offline.found,
        question_type=intent.kind,
        note=note,
    )
    return result, {"kind": intent.kind, **offline.context}


def _portfolio_events(
    *, container: Container, turn: Turn
) -> Generator[ChatEvent, None, ChatAnswer]:
    as_of = turn.as_of or dt.date.today()
    result = answer_portfolio(container=container, question=turn.question, as_of=as_of)
    yield from (ChatEvent("token", {"text": piece}) for piece in _chunks(result.text))
    return ChatAnswer(
        answer=result.text,
        citations=[
            citation_out(c.span, engagement_id=c.engagement_id, vendor_name=c.vendor_name)
            for c in result.citations
        ],
        conversation_id=turn.conversation_id,
        engine="offline",
        found=result.found,
        question_type=result.kind,
    )


def _chunks(text: str) -> Iterator[str]:
    """Offline answers are ready at once; stream them line by line all the same."""
    yield from text.splitlines(keepends=True)


def ask(
    *,
    container: Container,
    engagement_id: int | None,
    question: str,
    conversation_id: int | None = None,
    as_of: dt.date | None = None,
) -> ChatAnswer:
    """One question answered whole: the JSON API and the no-JavaScript form use it."""
    turn = start_turn(
        container=container,
        engagement_id=engagement_id,
        question=question,
        conversation_id=conversation_id,
        as_of=as_of,
    )
    final: dict[str, Any] | None = None
    for event in stream_turn(container=container, turn=turn):
        if event.event == "done":
            final = event.data
    assert final is not None
    return ChatAnswer.model_validate(final)


def conversations(*, container: Container, engagement_id: int | None) -> list[ConversationOut]:
    """The engagement's (or the portfolio's) conversations, newest first, with messages."""
    with container.session_factory() as session:
        if engagement_id is not None:
            repository.require_engagement(session, engagement_id)
        return list_conversations(session, engagement_id=engagement_id)


def clear_history(*, container: Container, engagement_id: int | None) -> int:
    """Delete every conversation of the engagement (or of the portfolio); returns how many."""
    with container.session_factory() as session:
        if engagement_id is not None:
            repository.require_engagement(session, engagement_id)
        deleted = delete_conversations(session, engagement_id=engagement_id)
        session.commit()
        return deleted


def suggestions(*, container: Container, engagement_id: int | None) -> list[str]:
    """Questions worth asking: from the analysis, or the portfolio ones (reads only)."""
    knowledge = rules_for(container).chat
    if engagement_id is None:
        return portfolio_questions(knowledge)
    analysis = get_analysis(container=container, engagement_id=engagement_id)
    return suggest_questions(
        analysis=analysis, knowledge=knowledge, kpi_labels=kpi_labels(container)
    )
