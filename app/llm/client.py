"""The OpenAI-compatible chat model and the two ways features call it.

Structured output uses `response_format` json_schema (LangChain's default for ChatOpenAI):
the reply is plain JSON in `message.content`, which local OpenAI-compatible servers (vLLM,
llama.cpp, Ollama) enforce with grammar-guided decoding without needing a tool-calling chat
template, and which OpenAI enforces with strict schemas. `method="function_calling"` stays
available for servers that only do tools. Every failure becomes `LLMUnavailable` so callers
fall back to the offline engine instead of crashing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Literal, TypeVar

import httpx
import httpx2
import openai
from langchain_core.exceptions import ModelError, ModelTimeoutError
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr

from app.errors import LLMBadResponse, LLMTimeout, LLMUnavailable
from app.settings import Settings

logger = logging.getLogger(__name__)

SchemaT = TypeVar("SchemaT", bound=BaseModel)
StructuredMethod = Literal["json_schema", "function_calling"]

# Local servers (Ollama, llama.cpp, vLLM without --api-key) ignore the key, but the openai
# client refuses to start without one.
_PLACEHOLDER_API_KEY = "not-needed"


_TIMEOUTS = (
    openai.APITimeoutError,
    ModelTimeoutError,
    httpx.TimeoutException,
    httpx2.TimeoutException,
)
_TRANSPORT = (openai.OpenAIError, ModelError, httpx.HTTPError, httpx2.HTTPError, httpx2.StreamError)


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """A ChatOpenAI for the configured server, or None for the offline engine."""
    if not settings.llm_enabled or settings.llm_base_url is None or settings.llm_model is None:
        return None
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=SecretStr(settings.llm_api_key or _PLACEHOLDER_API_KEY),
        model=settings.llm_model,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        temperature=0,
        # OpenAI-compatible servers speak Chat Completions; never switch to /v1/responses.
        use_responses_api=False,
    )


def _to_unavailable(error: BaseException) -> LLMUnavailable:
    """Translate any model-side failure into a Japanese, user-safe error."""
    logger.warning("LLM call failed: %s: %s", type(error).__name__, error)
    if isinstance(error, _TIMEOUTS):
        return LLMTimeout(
            "LLMの応答が制限時間内に返りませんでした。時間をおいて再度お試しください。"
        )
    if isinstance(error, openai.APIStatusError):
        return LLMUnavailable(
            f"LLMサーバーがエラーを返しました（HTTP {error.status_code}）。"
            "設定とサーバーの状態を確認してください。"
        )
    if isinstance(error, openai.APIConnectionError | httpx.HTTPError | httpx2.HTTPError):
        return LLMUnavailable(
            "LLMサーバーに接続できませんでした。URLとサーバーの状態を確認してください。"
        )
    if isinstance(error, ValueError | openai.OpenAIError | ModelError | httpx2.StreamError):
        # ValueError covers pydantic.ValidationError (invalid JSON or wrong shape) and
        # OutputParserException; OpenAIError covers length/content-filter stops.
        return LLMBadResponse("LLMの応答を解釈できませんでした（形式が不正です）。")
    return LLMUnavailable("LLMの呼び出しに失敗しました。")


def invoke_structured(
    model: BaseChatModel,
    messages: LanguageModelInput,
    schema: type[SchemaT],
    *,
    method: StructuredMethod = "json_schema",
) -> SchemaT:
    """Ask for an instance of `schema`; any transport, timeout or parsing failure raises LLMUnavailable."""
    runnable = model.with_structured_output(schema, method=method)
    try:
        result = runnable.invoke(messages)
    except (*_TRANSPORT, ValueError) as error:
        raise _to_unavailable(error) from error
    if not isinstance(result, schema):  # e.g. a tool-less reply to a function-calling request
        logger.warning("LLM structured output was %r, not %s", type(result), schema.__name__)
        raise LLMBadResponse("LLMの応答を解釈できませんでした（形式が不正です）。")
    return result


def stream_text(model: BaseChatModel, messages: LanguageModelInput) -> Iterator[str]:
    """Yield text tokens as they arrive; failures (even mid-stream) raise LLMUnavailable."""
    try:
        for chunk in model.stream(messages):
            text = chunk.text
            if text:
                yield str(text)
    except _TRANSPORT as error:
        raise _to_unavailable(error) from error


def complete_text(model: BaseChatModel, messages: LanguageModelInput) -> str:
    """The whole text reply at once, with the same error mapping as `stream_text`."""
    try:
        reply = model.invoke(messages)
    except _TRANSPORT as error:
        raise _to_unavailable(error) from error
    return str(reply.text)
