"""Conversation storage: open a thread, keep each question with its answer, list and clear.

A message's `context` (what the question resolved to) lets a follow-up inherit the class,
KPI or period the previous answer was about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from app.chat.answers import SourceSpan
from app.chat.models import ChatAnswer, ChatCitation, ConversationOut, MessageOut
from app.errors import NotFound
from app.store.chat_tables import Conversation, Message
from app.store.models import Document

HISTORY_TURNS = 6
TITLE_CHARS = 60


def open_conversation(
    session: Session, *, engagement_id: int | None, conversation_id: int | None, question: str
) -> Conversation:
    """The conversation to continue, or a new one titled by its first question."""
    if conversation_id is not None:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.engagement_id != engagement_id:
            raise NotFound(f"会話（ID {conversation_id}）が見つかりません。")
        return conversation
    conversation = Conversation(engagement_id=engagement_id, title=question[:TITLE_CHARS])
    session.add(conversation)
    session.flush()
    return conversation


def recent_messages(conversation: Conversation) -> list[Message]:
    """The last turns, what the model sees of the conversation."""
    return list(conversation.messages)[-2 * HISTORY_TURNS :]


def last_context(messages: Sequence[Message]) -> dict[str, Any]:
    for message in reversed(messages):
        if message.role == "assistant" and message.context:
            return dict(message.context)
    return {}


def citation_out(span: SourceSpan, **extra: Any) -> ChatCitation:
    return ChatCitation(
        document_id=span.document_id,
        start=span.start,
        end=span.end,
        quote=span.quote,
        title=span.title,
        period=span.period,
        date=span.date,
        **extra,
    )


def store_turn(
    session: Session,
    *,
    conversation_id: int,
    question: str,
    answer: ChatAnswer,
    context: dict[str, Any],
) -> None:
    """Keep the question and its answer (if the conversation still exists)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return
    session.add(Message(conversation_id=conversation.id, role="user", content=question, context={}))
    session.add(
        Message(
            conversation_id=conversation.id,
            role="assistant",
            content=answer.answer,
            citations=[c.model_dump(mode="json") for c in answer.citations],
            engine=answer.engine,
            note=answer.note,
            context=context,
        )
    )
    conversation.updated_at = dt.datetime.now(dt.UTC)


def _of(engagement_id: int | None) -> ColumnElement[bool]:
    """The engagement's conversations, or the portfolio's (no engagement)."""
    if engagement_id is None:
        return Conversation.engagement_id.is_(None)
    return Conversation.engagement_id == engagement_id


def _message_out(message: Message, existing: set[int]) -> MessageOut:
    citations = [ChatCitation.model_validate(c) for c in message.citations or []]
    return MessageOut(
        id=message.id,
        role=message.role,  # type: ignore[arg-type]
        content=message.content,
        # A citation of a document deleted since is dropped rather than left dangling.
        citations=[c for c in citations if c.document_id in existing],
        engine=message.engine,  # type: ignore[arg-type]
        note=message.note,
        created_at=message.created_at,
    )


def list_conversations(session: Session, *, engagement_id: int | None) -> list[ConversationOut]:
    """Newest first, with their messages."""
    statement = (
        select(Conversation)
        .where(_of(engagement_id))
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
    )
    rows = list(session.scalars(statement))
    cited = {c["document_id"] for row in rows for m in row.messages for c in (m.citations or [])}
    existing = (
        set(session.scalars(select(Document.id).where(Document.id.in_(cited)))) if cited else set()
    )
    return [
        ConversationOut(
            id=row.id,
            engagement_id=row.engagement_id,
            title=row.title,
            created_at=row.created_at,
            updated_at=row.updated_at,
            messages=[_message_out(m, existing) for m in row.messages],
        )
        for row in rows
    ]


def delete_conversations(session: Session, *, engagement_id: int | None) -> int:
    """Delete every conversation of the engagement (or of the portfolio); returns how many."""
    ids = list(session.scalars(select(Conversation.id).where(_of(engagement_id))))
    if ids:
        # Explicit: SQLite enforces ON DELETE CASCADE only with its pragma on.
        session.execute(delete(Message).where(Message.conversation_id.in_(ids)))
        session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    return len(ids)
