"""An OpenAI-compatible chat server on loopback for tests: scripted replies, recorded requests.

The real ChatOpenAI client talks to it over HTTP, so tests exercise the exact bytes a real
server would see (request bodies are recorded) and the real error and timeout handling.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import BaseModel

JSONObject = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """One scripted answer; build it with the classmethods."""

    content: str | None = None
    tool_arguments: str | None = None
    tool_name: str | None = None
    status: int | None = None
    delay_s: float = 0.0
    chunks: tuple[str, ...] | None = None
    chunk_delay_s: float = 0.0
    finish_reason: str | None = None

    @classmethod
    def text(
        cls, content: str, *, chunks: list[str] | None = None, chunk_delay_s: float = 0.0
    ) -> Reply:
        """Plain content; `chunks` says how a streamed reply is split (default: per character)."""
        if chunks is not None and "".join(chunks) != content:
            raise ValueError("chunks must join to content")
        return cls(
            content=content,
            chunks=tuple(chunks) if chunks is not None else None,
            chunk_delay_s=chunk_delay_s,
        )

    @classmethod
    def json(cls, value: BaseModel | JSONObject) -> Reply:
        """A json_schema structured-output reply (JSON text in message.content)."""
        if isinstance(value, BaseModel):
            return cls(content=value.model_dump_json())
        return cls(content=json.dumps(value, ensure_ascii=False))

    @classmethod
    def tool_call(
        cls, arguments: BaseModel | JSONObject | str, *, name: str | None = None
    ) -> Reply:
        """A function-calling reply; `name` defaults to the tool the request forced."""
        if isinstance(arguments, BaseModel):
            encoded = arguments.model_dump_json()
        elif isinstance(arguments, str):
            encoded = arguments
        else:
            encoded = json.dumps(arguments, ensure_ascii=False)
        return cls(tool_arguments=encoded, tool_name=name)

    @classmethod
    def error(cls, status: int = 500, message: str = "scripted failure") -> Reply:
        return cls(status=status, content=message)

    @classmethod
    def slow(cls, delay_s: float, content: str = "遅すぎる応答") -> Reply:
        """Waits before sending anything, to trip the client's read timeout."""
        return cls(content=content, delay_s=delay_s)


@dataclass
class RecordedRequest:
    method: str
    path: str
    body: JSONObject | None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> list[JSONObject]:
        return list((self.body or {}).get("messages", []))

    def message_text(self, role: str) -> str:
        """All content of one role joined, for `in` assertions."""
        parts: list[str] = []
        for message in self.messages:
            if message.get("role") != role:
                continue
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts.extend(str(block.get("text", "")) for block in content)
        return "\n".join(parts)


class _QuietServer(ThreadingHTTPServer):
    """Daemon handler threads; a client that hung up (timeout tests) is not an error."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            super().handle_error(request, client_address)


class FakeLLM:
    """Serves `/v1/chat/completions` and `/v1/models` from a queue of `Reply` on 127.0.0.1."""

    def __init__(self, *, model: str = "fake-model") -> None:
        self.model = model
        self.replies: queue.Queue[Reply] = queue.Queue()
        self.requests: list[RecordedRequest] = []
        self.unscripted: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.port: int = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def enqueue(self, *replies: Reply) -> None:
        for reply in replies:
            self.replies.put(reply)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path.endswith("/chat/completions")]

    @property
    def last_request(self) -> RecordedRequest:
        return self.chat_requests[-1]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def wait(self, seconds: float) -> bool:
        """Sleep unless the server is stopping; True if it is."""
        return self._stopping.wait(seconds)

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stopping.set()  # wakes handlers sleeping on a slow reply
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


def _completion_id() -> str:
    return f"chatcmpl-fake-{time.monotonic_ns()}"


def _handler_for(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection and a streamed body ends at close, like SSE
        # behind a simple proxy; avoids implementing chunked transfer encoding.
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence per-request logging on stderr."""

        def _headers(self) -> dict[str, str]:
            return {key.lower(): value for key, value in self.headers.items()}

        def _send_json(self, status: int, payload: JSONObject) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status >= 400:
                self.send_header("retry-after-ms", "10")  # keeps retry tests fast
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            fake._record(RecordedRequest("GET", self.path, None, self._headers()))
            if self.path.rstrip("/") == "/v1/models":
                self._send_json(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {"id": fake.model, "object": "model", "created": 0, "owned_by": "fake"}
                        ],
                    },
                )
            else:
                self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body: JSONObject = json.loads(self.rfile.read(length) or b"{}")
            request = RecordedRequest("POST", self.path, body, self._headers())
            fake._record(request)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})
                return
            try:
                reply = fake.replies.get_nowait()
            except queue.Empty:
                fake.unscripted.append(request)
                self._send_json(
                    500, {"error": {"message": "no scripted reply left", "type": "fake_llm"}}
                )
                return
            if reply.delay_s and fake.wait(reply.delay_s):
                return
            if reply.status is not None:
                self._send_json(
                    reply.status,
                    {"error": {"message": reply.content or "error", "type": "server_error"}},
                )
            elif body.get("stream"):
                self._stream(body, reply)
            else:
                self._send_json(200, _completion(body, reply))

        def _stream(self, body: JSONObject, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            base = {
                "id": _completion_id(),
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body.get("model", fake.model),
            }

            def send(choices: list[JSONObject], **extra: Any) -> None:
                event = {**base, "choices": choices, **extra}
                line = "data: " + json.dumps(event, ensure_ascii=False) + "\n\n"
                self.wfile.write(line.encode("utf-8"))
                self.wfile.flush()

            send(
                [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
            )
            if reply.tool_arguments is not None:
                call = _tool_call(body, reply)
                call["index"] = 0
                send([{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}])
            else:
                content = reply.content or ""
                for piece in reply.chunks if reply.chunks is not None else tuple(content):
                    if reply.chunk_delay_s and fake.wait(reply.chunk_delay_s):
                        return
                    send([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
            send([{"index": 0, "delta": {}, "finish_reason": _finish_reason(reply)}])
            if (body.get("stream_options") or {}).get("include_usage"):
                send([], usage=_usage(body, reply))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def _tool_call(body: JSONObject, reply: Reply) -> JSONObject:
    name = reply.tool_name
    if name is None:
        choice = body.get("tool_choice")
        if isinstance(choice, dict):
            name = choice.get("function", {}).get("name")
        elif body.get("tools"):
            name = body["tools"][0]["function"]["name"]
    return {
        "id": "call_fake_1",
        "type": "function",
        "function": {"name": name or "unknown", "arguments": reply.tool_arguments},
    }


def _finish_reason(reply: Reply) -> str:
    if reply.finish_reason:
        return reply.finish_reason
    return "tool_calls" if reply.tool_arguments is not None else "stop"


def _usage(body: JSONObject, reply: Reply) -> JSONObject:
    prompt_tokens = len(json.dumps(body.get("messages", []), ensure_ascii=False))
    completion_tokens = len(reply.content or reply.tool_arguments or "")
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _completion(body: JSONObject, reply: Reply) -> JSONObject:
    message: JSONObject = {"role": "assistant", "content": reply.content, "refusal": None}
    if reply.tool_arguments is not None:
        message["content"] = None
        message["tool_calls"] = [_tool_call(body, reply)]
    return {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": _finish_reason(reply),
                "logprobs": None,
            }
        ],
        "usage": _usage(body, reply),
    }
