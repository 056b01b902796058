"""The `ChatModel` protocol features call, with an offline and an OpenAI-compatible side.

Features never ask whether an LLM is configured: they call the model they were given and
fall back to the offline engine on `LLMUnavailable`. The offline model raises
`LLMNotConfigured` at once, which callers treat as "use the offline result, no note".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from pydantic import BaseModel

from app.errors import LLMUnavailable
from app.llm.client import StructuredMethod, complete_text, invoke_structured, stream_text

SchemaT = TypeVar("SchemaT", bound=BaseModel)


class LLMNotConfigured(LLMUnavailable):
    """No LLM is configured: the offline engine's answer is the answer."""

    code = "llm_not_configured"


class ChatModel(Protocol):
    """What features need from a language model."""

    @property
    def configured(self) -> bool:
        """True when calls can reach a model (used to decide whether to queue LLM jobs)."""
        ...

    def structured(self, messages: LanguageModelInput, schema: type[SchemaT]) -> SchemaT: ...

    def text(self, messages: LanguageModelInput) -> str: ...

    def stream(self, messages: LanguageModelInput) -> Iterator[str]: ...


class OfflineChatModel:
    """The model of an app with no LLM: every call says so at once."""

    configured = False

    def _refuse(self) -> LLMNotConfigured:
        return LLMNotConfigured("LLMは設定されていません（オフラインエンジンで判定しています）。")

    def structured(self, messages: LanguageModelInput, schema: type[SchemaT]) -> SchemaT:
        raise self._refuse()

    def text(self, messages: LanguageModelInput) -> str:
        raise self._refuse()

    def stream(self, messages: LanguageModelInput) -> Iterator[str]:
        raise self._refuse()


@dataclass(frozen=True)
class LangChainChatModel:
    """An OpenAI-compatible server through LangChain, every failure as `LLMUnavailable`."""

    model: BaseChatModel
    method: StructuredMethod = "json_schema"
    configured = True

    def structured(self, messages: LanguageModelInput, schema: type[SchemaT]) -> SchemaT:
        return invoke_structured(self.model, messages, schema, method=self.method)

    def text(self, messages: LanguageModelInput) -> str:
        return complete_text(self.model, messages)

    def stream(self, messages: LanguageModelInput) -> Iterator[str]:
        return stream_text(self.model, messages)
