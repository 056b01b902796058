"""Chat storage (conversations and messages) and the API's request and response models."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.store.models import Base, utcnow

Engine = Literal["offline", "llm"]
Role = Literal["user", "assistant"]
MAX_QUESTION_CHARS = 1000


# --- storage ---------------------------------------------------------------------------------


class Conversation(Base):
    """One thread of questions; `engagement_id` None is a portfolio conversation."""

    __tablename__ = "chat_conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), index=True, nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Message.id",
    )


class Message(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    engine: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What the question resolved to (class, KPI, period): lets a follow-up inherit it.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


# --- API -------------------------------------------------------------------------------------


class ChatRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    conversation_id: int | None = Field(
        default=None, description="continue this conversation; omit to start a new one"
    )
    as_of: dt.date | None = Field(
        default=None, description="answer as of this date (later documents are ignored)"
    )


class ChatCitation(BaseModel):
    """A passage that exists: exactly `document.text[start:end]`."""

    document_id: int
    start: int
    end: int
    quote: str
    title: str = ""
    period: str | None = None
    date: dt.date | None = None
    engagement_id: int | None = None
    vendor_name: str | None = None

    @property
    def url(self) -> str:
        return f"/documents/{self.document_id}?start={self.start}&end={self.end}#passage"


class ChatAnswer(BaseModel):
    answer: str
    citations: list[ChatCitation]
    conversation_id: int
    engine: Engine
    found: bool = Field(description="false when the documents do not answer the question")
    question_type: str = ""
    note: str | None = Field(default=None, description="why the LLM answer was not used, if so")


class MessageOut(BaseModel):
    id: int
    role: Role
    content: str
    citations: list[ChatCitation] = []
    engine: Engine | None = None
    note: str | None = None
    created_at: dt.datetime


class ConversationOut(BaseModel):
    id: int
    engagement_id: int | None
    title: str
    created_at: dt.datetime
    updated_at: dt.datetime
    messages: list[MessageOut] = []
