"""The chat API's request and response models (the tables are `app.store.chat_tables`)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from app.core.timestamps import IsoDate, UtcDateTime
from app.ingest.models import MAX_ID, StorableText

Engine = Literal["offline", "llm"]
Role = Literal["user", "assistant"]
MAX_QUESTION_CHARS = 1000


class ChatRequest(BaseModel):
    question: StorableText = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    conversation_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="continue this conversation; omit to start a new one",
    )
    as_of: IsoDate | None = Field(
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
    created_at: UtcDateTime


class ConversationOut(BaseModel):
    id: int
    engagement_id: int | None
    title: str
    created_at: UtcDateTime
    updated_at: UtcDateTime
    messages: list[MessageOut] = []
