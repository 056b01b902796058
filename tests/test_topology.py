"""The team topology without containers: two app server processes on one throwaway
PostgreSQL and one `chroma run` server. A report pasted through one is found through the
other by hybrid search at once; a delete through one disappears from both."""

from __future__ import annotations

import os
import secrets
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from scripts.bench_common import run_cli, serve_process
from tests.conftest import free_port
from tests.servers import chroma_server, postgres_cluster

REPORT = (
    "11月度のご報告です。物流業界向けの新しいトークで、決裁者への接続率が改善しました。"
    "来月は冷凍倉庫を持つ企業へ対象を広げます。"
)


def _env(database_url: str, chroma_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RENEWAL_DESK_DATA_DIR": str(data_dir),
        "RENEWAL_DESK_DATABASE_URL": database_url,
        "RENEWAL_DESK_CHROMA_URL": chroma_url,
        "RENEWAL_DESK_SECRET_KEY": secrets.token_urlsafe(48),
        "ANONYMIZED_TELEMETRY": "False",
    }


def _hits(client: httpx.Client, query: str) -> list[int]:
    response = client.get("/api/v1/search", params={"q": query, "mode": "hybrid"})
    assert response.status_code == 200, response.text
    return [hit["document_id"] for hit in response.json()["hits"]]


@pytest.mark.postgres
@pytest.mark.chroma_server
def test_two_processes_share_search_and_deletes(tmp_path: Path) -> None:
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_cluster())
        chroma_url = stack.enter_context(chroma_server(tmp_path / "chroma"))
        env = _env(database_url, chroma_url, tmp_path / "data")
        run_cli(env, "migrate")
        email = "owner@renewal-desk-test.invalid"
        password = secrets.token_urlsafe(16)
        run_cli(env, "user", "add", email, "--role", "admin", "--password-stdin", stdin=password)
        token = run_cli(env, "token", "create", email, "--name", "topology").splitlines()[-1]
        headers = {"Authorization": f"Bearer {token.strip()}"}
        first_url = stack.enter_context(serve_process(env, free_port()))
        second_url = stack.enter_context(serve_process(env, free_port()))
        first = stack.enter_context(httpx.Client(base_url=first_url, headers=headers, timeout=180))
        second = stack.enter_context(
            httpx.Client(base_url=second_url, headers=headers, timeout=180)
        )

        # both processes have built their keyword index before anything is stored
        assert _hits(first, "冷凍倉庫") == [] and _hits(second, "冷凍倉庫") == []
        engagement = first.post(
            "/api/v1/engagements",
            json={
                "vendor_name": "株式会社二拠点テスト",
                "service": "テレアポ代行",
                "start_date": "2026-04-01",
                "renewal_date": "2027-03-31",
            },
        )
        assert engagement.status_code == 201, engagement.text
        stored = first.post(
            f"/api/v1/engagements/{engagement.json()['id']}/documents",
            json={"kind": "vendor_report", "date": "2026-11-30", "title": "11月度", "text": REPORT},
        )
        assert stored.status_code == 201, stored.text
        document_id = stored.json()["document"]["id"]

        # found through the other process at once, by keyword alone and by hybrid search
        bm25 = second.get("/api/v1/search", params={"q": "冷凍倉庫", "mode": "bm25"})
        assert [h["document_id"] for h in bm25.json()["hits"]] == [document_id]
        assert document_id in _hits(second, "冷凍倉庫")

        assert second.delete(f"/api/v1/documents/{document_id}").status_code == 204
        assert _hits(first, "冷凍倉庫") == [] and _hits(second, "冷凍倉庫") == []
