"""The JSON API over real HTTP (uvicorn on loopback)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
from sqlalchemy import event, update

from app.container import Container
from tests.conftest import LiveServer
from tests.files import docx_bytes, pdf_bytes

REPORT = {
    "kind": "vendor_report",
    "date": "2025-07-08",
    "period": "2025-06",
    "title": "6月度 活動報告",
    "text": "6月度の実績です。アポ獲得数は３１件（目標28件）、商談化率は64.5%でした。\n"
    "7月からは質問型のスクリプトに全面的に切り替えます。",
}


def create_engagement(client: httpx.Client) -> int:
    response = client.post(
        "/api/v1/engagements",
        json={
            "vendor_name": "株式会社APIテスト",
            "service": "テレアポ代行",
            "start_date": "2025-04-01",
            "renewal_date": "2026-03-31",
            "notice_days": 60,
            "monthly_fee_jpy": 900000,
            "kpi_targets": {"appointments": 28},
        },
    )
    assert response.status_code == 201, response.text
    engagement_id: int = response.json()["id"]
    return engagement_id


def test_engagement_document_search_delete_cycle(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        engagement_id = create_engagement(client)
        listed = client.get("/api/v1/engagements").json()
        assert [e["id"] for e in listed] == [engagement_id]
        assert listed[0]["vendor"]["name"] == "株式会社APIテスト"

        created = client.post(f"/api/v1/engagements/{engagement_id}/documents", json=REPORT)
        assert created.status_code == 201
        body = created.json()
        assert body["created"] is True
        document = body["document"]
        for chunk in document["chunks"]:
            assert document["text"][chunk["start"] : chunk["end"]] == chunk["text"]

        again = client.post(f"/api/v1/engagements/{engagement_id}/documents", json=REPORT)
        assert again.status_code == 200
        assert again.json()["created"] is False and again.json()["document"]["id"] == document["id"]

        search = client.get(
            "/api/v1/search", params={"q": "アポ獲得数", "engagement_id": engagement_id}
        )
        hits = search.json()["hits"]
        assert hits[0]["document_id"] == document["id"]
        assert document["text"][hits[0]["start"] : hits[0]["end"]] == hits[0]["quote"]

        assert client.get(f"/api/v1/documents/{document['id']}").status_code == 200
        assert client.delete(f"/api/v1/documents/{document['id']}").status_code == 204
        assert client.get(f"/api/v1/documents/{document['id']}").status_code == 404
        after = client.get("/api/v1/search", params={"q": "アポ獲得数"}).json()["hits"]
        assert document["id"] not in {hit["document_id"] for hit in after}


def test_uploads_of_each_supported_type(live_server: LiveServer) -> None:
    files = {
        "report.txt": "８月度 報告\nアポ獲得数は30件でした。".encode("shift_jis"),
        "notes.md": "# 9月度 定例\n- 担当者の交代について合意した。".encode(),
        "mail.docx": docx_bytes(["研修のご提案", "ロープレ研修を隔週で実施します。"]),
        "report.pdf": pdf_bytes(["10月度 報告", "競合の低価格プランが商談で話題になりました。"]),
    }
    with live_server.client(timeout=60) as client:
        engagement_id = create_engagement(client)
        for name, data in files.items():
            response = client.post(
                f"/api/v1/engagements/{engagement_id}/documents/upload",
                data={"kind": "vendor_report", "date": "2025-09-01", "period": "2025-08"},
                files={"file": (name, data)},
            )
            assert response.status_code == 201, (name, response.text)
            assert response.json()["document"]["source_filename"] == name
        hits = client.get("/api/v1/search", params={"q": "ロープレ研修", "mode": "bm25"}).json()[
            "hits"
        ]
        assert hits and "ロープレ研修" in hits[0]["quote"]
        assert (
            "アポ獲得数は30件"
            in client.get("/api/v1/search", params={"q": "アポ獲得数", "mode": "bm25"}).json()[
                "hits"
            ][0]["quote"]
        )


def test_bad_input_gets_clear_json_errors_and_stores_nothing(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        engagement_id = create_engagement(client)
        documents = f"/api/v1/engagements/{engagement_id}/documents"
        upload = f"{documents}/upload"
        form = {"kind": "vendor_report", "date": "2025-09-01"}
        cases = [
            (client.post(documents, json={**REPORT, "text": "  "}), 422),
            (client.post(documents, json={**REPORT, "text": "あ" * 200_001}), 413),
            (client.post(documents, json={**REPORT, "date": "2025-02-30"}), 422),
            (client.post(documents, json={**REPORT, "period": "2025/6/1"}), 422),
            (
                client.post(
                    documents,
                    json={
                        **REPORT,
                        "period": None,
                        "title": "活動報告",
                        "text": "アポは12件でした。",
                    },
                ),
                422,
            ),
            (client.post(documents, json={**REPORT, "kind": "memo"}), 422),
            (client.post("/api/v1/engagements/9999/documents", json=REPORT), 404),
            (client.post(upload, data=form, files={"file": ("a.xls", b"PK")}), 415),
            (client.post(upload, data=form, files={"file": ("a.xlsx", b"PK")}), 422),
            (client.post(upload, data=form, files={"file": ("a.txt", bytes(range(256)) * 8)}), 422),
            (
                client.post(
                    upload, data=form, files={"file": ("big.txt", b"a" * (10 * 1024 * 1024 + 1))}
                ),
                413,
            ),
            (
                client.post(
                    upload, data={**form, "period": "13-2025"}, files={"file": ("a.txt", b"ok")}
                ),
                422,
            ),
            (
                client.post(
                    "/api/v1/engagements/9999/documents/upload",
                    data=form,
                    files={"file": ("a.txt", b"ok")},
                ),
                404,
            ),
        ]
        for response, expected in cases:
            assert response.status_code == expected, response.text
            error = response.json()["error"]
            assert error["message"] and any(
                "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in error["message"]
            )
        assert client.get(documents).json() == []
        assert client.get("/api/v1/search", params={"q": "アポ"}).json()["hits"] == []


def test_engagement_validation_and_delete(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        bad = client.post(
            "/api/v1/engagements",
            json={
                "vendor_name": "株式会社X",
                "service": "代行",
                "start_date": "2026-04-01",
                "renewal_date": "2025-03-31",
            },
        )
        assert bad.status_code == 422 and "更新日" in bad.json()["error"]["message"]
        engagement_id = create_engagement(client)
        client.post(f"/api/v1/engagements/{engagement_id}/documents", json=REPORT)
        assert client.delete(f"/api/v1/engagements/{engagement_id}").status_code == 204
        assert client.get(f"/api/v1/engagements/{engagement_id}").status_code == 404
        assert client.get("/api/v1/search", params={"q": "アポ獲得数"}).json()["hits"] == []
        assert client.get("/openapi.json").json()["info"]["title"].startswith("Renewal Desk")


def _get_routes(app: object) -> set[str]:
    """Every GET path template the app serves, except FastAPI's own docs and /static."""
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)

    def walk(routes: list[Any], prefix: str = "") -> Iterator[str]:
        for route in routes:
            if hasattr(route, "original_router"):  # FastAPI ≥ 0.16x: included routers
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif "GET" in (getattr(route, "methods", None) or ()):
                yield prefix + route.path

    return {
        path
        for path in walk(app.router.routes)
        if not path.startswith(("/docs", "/redoc", "/openapi"))
    }


def test_get_requests_never_write(container: Container) -> None:
    """Every GET route, pages and API, issues no INSERT, UPDATE or DELETE.

    Two writes are bookkeeping, not data: a bearer token's last-used time (at most once a
    minute per token) and the append-only audit trail's record of an export.
    """
    from app.main import create_app

    app = create_app(container=container)
    writes: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().startswith(
            ("UPDATE api_tokens SET last_used_at", "INSERT INTO audit_events")
        ):
            return
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement.split("\n", 1)[0])

    with LiveServer(app) as server, server.client(timeout=180) as client:
        e = create_engagement(client)
        d = client.post(f"/api/v1/engagements/{e}/documents", json=REPORT).json()["document"]["id"]
        dr = client.post(f"/api/v1/engagements/{e}/drafts", json={"kind": "memo"}).json()["id"]
        client.post(f"/api/v1/engagements/{e}/chat", json={"question": "アポ数は？"})
        client.post("/api/v1/chat", json={"question": "商談化率が一番高い代行会社は？"})
        upload = (
            "7月度報告.txt",
            "7月度のご報告です。アポ獲得数は12件でした。".encode(),
            "text/plain",
        )
        batch = client.post(f"/api/v1/engagements/{e}/imports", files=[("files", upload)]).json()
        deadline = time.monotonic() + 300  # the job runner writes until the batch is done
        while (
            client.get(batch["url"].replace("/imports", "/api/v1/imports")).json()["finished"] < 1
        ):
            assert time.monotonic() < deadline, "the import batch did not finish"
            time.sleep(0.2)
        urls = {
            "/": "/",
            "/api/v1/vendors": "/api/v1/vendors",
            "/api/v1/engagements": "/api/v1/engagements",
            "/api/v1/engagements/{engagement_id}": f"/api/v1/engagements/{e}",
            "/api/v1/engagements/{engagement_id}/documents": f"/api/v1/engagements/{e}/documents",
            "/api/v1/engagements/{engagement_id}/analysis": f"/api/v1/engagements/{e}/analysis",
            "/api/v1/engagements/{engagement_id}/timeline": f"/api/v1/engagements/{e}/timeline",
            "/api/v1/engagements/{engagement_id}/drafts": f"/api/v1/engagements/{e}/drafts",
            "/api/v1/engagements/{engagement_id}/chat": f"/api/v1/engagements/{e}/chat",
            "/api/v1/engagements/{engagement_id}/chat/suggestions": f"/api/v1/engagements/{e}/chat/suggestions",
            "/api/v1/engagements/{engagement_id}/jobs": f"/api/v1/engagements/{e}/jobs",
            "/api/v1/documents/{document_id}": f"/api/v1/documents/{d}",
            "/api/v1/search": "/api/v1/search?q=アポ獲得数",
            "/api/v1/renewals": "/api/v1/renewals",
            "/api/v1/drafts/{draft_id}": f"/api/v1/drafts/{dr}",
            "/api/v1/drafts/{draft_id}/export": f"/api/v1/drafts/{dr}/export?format=docx",
            "/api/v1/chat": "/api/v1/chat",
            "/api/v1/chat/suggestions": "/api/v1/chat/suggestions",
            "/engagements/new": "/engagements/new",
            "/engagements/{engagement_id}": f"/engagements/{e}",
            "/engagements/{engagement_id}/delete": f"/engagements/{e}/delete",
            "/engagements/{engagement_id}/documents/new": f"/engagements/{e}/documents/new",
            "/engagements/{engagement_id}/drafts": f"/engagements/{e}/drafts",
            "/engagements/{engagement_id}/chat": f"/engagements/{e}/chat",
            "/engagements/{engagement_id}/calendar.ics": f"/engagements/{e}/calendar.ics",
            "/documents/{document_id}": f"/documents/{d}?start=0&end=4",
            "/documents/{document_id}/delete": f"/documents/{d}/delete",
            "/drafts/{draft_id}": f"/drafts/{dr}",
            "/drafts/{draft_id}/edit": f"/drafts/{dr}/edit",
            "/search": f"/search?q=アポ獲得数&engagement_id={e}",
            "/calendar.ics": "/calendar.ics",
            "/chat": "/chat",
            "/compare": "/compare",
            "/compare.csv": "/compare.csv",
            "/api/v1/compare": "/api/v1/compare",
            "/engagements/{engagement_id}/kpis.csv": f"/engagements/{e}/kpis.csv",
            "/login": "/login",
            "/logout": "/logout",
            "/admin/users": "/admin/users",
            "/api/v1/me": "/api/v1/me",
            "/api/v1/users": "/api/v1/users",
            "/api/v1/tokens": "/api/v1/tokens",
            "/login/sso": "/login/sso",
            "/login/sso/callback": "/login/sso/callback",
            "/admin/audit": "/admin/audit",
            "/admin/audit.csv": "/admin/audit.csv",
            "/api/v1/audit": "/api/v1/audit",
            "/api/v1/engagements/{engagement_id}/parties": f"/api/v1/engagements/{e}/parties",
            "/api/v1/engagements/{engagement_id}/owner": f"/api/v1/engagements/{e}/owner",
            "/imports/{batch_id}": batch["url"],
            "/api/v1/imports/{batch_id}": f"/api/v1/imports/{batch['batch_id']}",
        }
        # A signed-in visitor goes on from /login; SSO is not configured here.
        expected = {"/login": 303, "/login/sso": 404, "/login/sso/callback": 404}
        assert _get_routes(app) == set(urls), "a new GET route needs a case here"
        event.listen(container.engine, "before_cursor_execute", record)
        try:
            for template, url in urls.items():
                response = client.get(url)
                assert response.status_code == expected.get(template, 200), (
                    template,
                    response.text[:300],
                )
            as_of = client.get(f"/api/v1/engagements/{e}/analysis", params={"as_of": "2025-06-30"})
            assert as_of.status_code == 200
        finally:
            event.remove(container.engine, "before_cursor_execute", record)
    assert writes == []


def test_jobs_are_listed_and_shown_on_the_engagement_page(
    live_server: LiveServer, container: Container
) -> None:
    from app.jobs import enqueue, recent_jobs
    from app.store.models import Job

    with live_server.client(timeout=60) as client:
        engagement_id = create_engagement(client)
        assert client.get(f"/api/v1/engagements/{engagement_id}/jobs").json() == []
        page = client.get(f"/engagements/{engagement_id}").text
        assert 'id="jobs"' not in page  # no jobs, no status line
        assert client.get("/api/v1/engagements/9999/jobs").status_code == 404

        job_id = enqueue(container=container, kind="analysis", engagement_id=engagement_id)
        with container.session_factory() as session:
            session.execute(update(Job).where(Job.id == job_id).values(status="running"))
            session.commit()
        listed = client.get(f"/api/v1/engagements/{engagement_id}/jobs").json()
        assert [(j["id"], j["kind"], j["status"]) for j in listed] == [
            (job_id, "analysis", "running")
        ]
        assert "LLMによる分析: 実行中" in client.get(f"/engagements/{engagement_id}").text

        with container.session_factory() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(status="failed", error="LLMが応答しません")
            )
            session.commit()
        assert recent_jobs(container=container, engagement_id=engagement_id)[0].status == "failed"
        page = client.get(f"/engagements/{engagement_id}").text
        assert "LLMによる分析: 失敗" in page and "LLMが応答しません" in page
        assert "オフラインの分析結果を表示しています。" in page
        failed = client.get(f"/api/v1/engagements/{engagement_id}/jobs").json()[0]
        assert failed["status_label"] == "失敗" and failed["error"] == "LLMが応答しません"


def test_periods_typed_inferred_and_warned(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        engagement_id = create_engagement(client)
        documents = f"/api/v1/engagements/{engagement_id}/documents"
        typed = client.post(documents, json={**REPORT, "period": "2025年6月"}).json()
        assert typed["document"]["period"] == "2025-06" and typed["warnings"] == []
        inferred = client.post(
            documents,
            json={**REPORT, "period": None, "title": "7月度 活動報告", "text": "7月度の報告です。"},
        ).json()
        assert inferred["document"]["period"] == "2025-07"
        missing = client.post(
            documents, json={**REPORT, "period": None, "title": "活動報告", "text": "アポ12件。"}
        )
        assert missing.status_code == 422
        assert "対象期間を「2026年2月」のように入力" in missing.json()["error"]["message"]
        early = client.post(
            documents,
            json={**REPORT, "date": "2025-03-10", "period": "2025-02", "text": "2月度の報告です。"},
        )
        assert early.status_code == 201
        assert any("契約開始日" in warning for warning in early.json()["warnings"])
        page = client.get(f"/documents/{early.json()['document']['id']}").text
        assert 'id="period-warnings"' in page and "契約開始日（2025年4月1日）より前" in page

        form = client.post(
            f"/engagements/{engagement_id}/documents",
            data={
                "kind": "vendor_report",
                "date": "2025-08-05",
                "title": "活動報告",
                "text": "アポは14件でした。",
            },
        )
        assert form.status_code == 422
        assert "何月分の報告か" in form.text and 'aria-invalid="true"' in form.text
        assert "アポは14件でした。" in form.text  # the pasted text is kept
        stored = client.post(
            f"/engagements/{engagement_id}/documents",
            data={
                "kind": "vendor_report",
                "date": "2025-08-05",
                "period": "2025/7",
                "title": "活動報告",
                "text": "アポは14件でした。",
            },
        )
        assert stored.status_code == 303
