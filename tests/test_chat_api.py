"""The chat API and pages over real HTTP: JSON, server-sent events, history, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, event, select

from app.container import Container
from app.main import create_app
from app.store.chat_tables import Conversation
from app.store.models import AnalysisResult
from tests.chat_support import Seeded, assert_exact, seed_new_engagement
from tests.conftest import LiveServer, make_engagement

SSE = {"Accept": "text/event-stream"}


def read_events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    for block in response.text.split("\n\n"):
        if not block.strip():
            continue
        name = data = ""
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
        events.append((name, json.loads(data)))
    return events


@pytest.fixture(scope="module")
def server(chat_container: Container) -> Iterator[LiveServer]:
    with LiveServer(create_app(container=chat_container)) as live:
        yield live


def test_ask_stream_history_and_clear(
    server: LiveServer, chat_container: Container, seeded: Seeded
) -> None:
    live_server, container = server, chat_container
    url = f"/api/v1/engagements/{seeded.engagement_id}/chat"
    with live_server.client(timeout=60) as client:
        first = client.post(
            url, json={"question": "担当の交代はいつでしたか？", "as_of": "2025-07-15"}
        )
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["answer"].startswith("2025年7月1日") and body["engine"] == "offline"
        assert body["found"] is True and body["question_type"] == "when"
        assert body["citations"][0]["document_id"] == seeded.handover
        for citation in body["citations"]:
            assert_exact(container, citation)
        conversation_id = body["conversation_id"]

        # The same endpoint streams when asked to; the follow-up keeps the conversation.
        with client.stream(
            "POST",
            url,
            json={"question": "4月度のアポ数は？", "conversation_id": conversation_id},
            headers=SSE,
        ) as streamed:
            assert streamed.status_code == 200
            assert streamed.headers["content-type"].startswith("text/event-stream")
            streamed.read()
        events = read_events(streamed)
        names = [name for name, _ in events]
        assert names[0] == "meta" and names[-1] == "done" and "token" in names
        done = events[-1][1]
        tokens = "".join(data["text"] for name, data in events if name == "token")
        assert tokens == done["answer"] and "24件" in done["answer"]
        assert done["conversation_id"] == conversation_id
        assert_exact(container, done["citations"][0])

        follow_up = client.post(
            url, json={"question": "5月は？", "conversation_id": conversation_id}
        ).json()
        assert "2025年5月度のアポ数は30件" in follow_up["answer"]

        history = client.get(url).json()
        assert len(history) == 1 and len(history[0]["messages"]) == 6
        assert [m["role"] for m in history[0]["messages"][:2]] == ["user", "assistant"]

        page = client.get(
            f"/engagements/{seeded.engagement_id}/chat", params={"conversation_id": conversation_id}
        )
        assert page.status_code == 200
        assert f'href="/documents/{seeded.handover}?start=' in page.text
        assert "質問する" in page.text and "担当の交代はいつでしたか？" in page.text

        # Without JavaScript the form posts and redirects back to the conversation.
        posted = client.post(
            f"/engagements/{seeded.engagement_id}/chat",
            data={
                "question": "前回の定例の宿題は何ですか？",
                "conversation_id": str(conversation_id),
            },
        )
        assert posted.status_code == 303
        assert posted.headers["location"].endswith(f"conversation_id={conversation_id}#latest")

        assert client.delete(url).json() == {"deleted": 1}
        assert client.get(url).json() == []


def test_errors_are_plain_json_before_any_streaming(
    server: LiveServer, chat_container: Container, seeded: Seeded
) -> None:
    live_server, container = server, chat_container
    url = f"/api/v1/engagements/{seeded.engagement_id}/chat"
    with live_server.client(timeout=60) as client:
        missing = client.post("/api/v1/engagements/9999/chat", json={"question": "q"}, headers=SSE)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        blank = client.post(url, json={"question": "   "})
        assert (
            blank.status_code == 422
            and blank.json()["error"]["message"] == "質問を入力してください。"
        )
        too_long = client.post(url, json={"question": "あ" * 1001})
        assert too_long.status_code == 422
        other = make_engagement(container, vendor="株式会社ほかの会社")
        foreign = client.post(url, json={"question": "アポ数は？"}).json()["conversation_id"]
        wrong = client.post(
            f"/api/v1/engagements/{other}/chat",
            json={"question": "アポ数は？", "conversation_id": foreign},
        )
        assert wrong.status_code == 404
        asked = client.post(f"/api/v1/engagements/{other}/chat", json={"question": "アポ数は？"})
        assert asked.status_code == 200 and asked.json()["found"] is False  # no documents yet
        assert client.delete(f"/api/v1/engagements/{other}").status_code == 204
        with container.session_factory() as session:  # its conversations went with it
            left = session.scalars(select(Conversation).where(Conversation.engagement_id == other))
            assert list(left) == []

        # Portfolio: across engagements, each citation names its engagement.
        ranked = client.post(
            "/api/v1/chat", json={"question": "アポ数が一番多い代行会社は？"}
        ).json()
        assert "株式会社テストセールス" in ranked["answer"] and ranked["found"]
        assert ranked["citations"][0]["engagement_id"] == seeded.engagement_id
        assert_exact(container, ranked["citations"][0])
        assert client.get("/api/v1/chat/suggestions").json()["questions"]
        assert client.get("/chat").status_code == 200


def test_suggestions_and_the_chat_page_write_nothing(
    server: LiveServer, chat_container: Container
) -> None:
    """A GET computes a missing analysis for its suggestions but never stores it (or anything)."""
    container = chat_container
    engagement_id = seed_new_engagement(container).engagement_id
    with container.session_factory() as session:
        session.execute(delete(AnalysisResult).where(AnalysisResult.engagement_id == engagement_id))
        session.commit()
    writes: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(container.engine, "before_cursor_execute", record)
    try:
        with server.client(timeout=60) as client:
            found = client.get(f"/api/v1/engagements/{engagement_id}/chat/suggestions")
            assert found.status_code == 200 and found.json()["questions"]
            assert client.get(f"/engagements/{engagement_id}/chat").status_code == 200
            assert client.get("/api/v1/chat/suggestions").status_code == 200
    finally:
        event.remove(container.engine, "before_cursor_execute", record)
    assert writes == []
    with container.session_factory() as session:
        stored = session.scalars(
            select(AnalysisResult).where(AnalysisResult.engagement_id == engagement_id)
        )
        assert list(stored) == []
