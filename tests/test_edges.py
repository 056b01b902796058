"""Edges answer 4xx, never 500: out-of-range ids and numbers, dates that are not dates,
text that cannot be stored (NUL, lone surrogates) on every path, page forms held to the API's
limits, a paste up to the documented 200,000 characters, and a Japanese 500 with a request id.
All over real HTTP against the real app."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import httpx
import pytest

from app.container import Container
from app.main import create_app
from app.serve.deps import get_container
from tests.conftest import LiveServer, hidden_fields

TOO_BIG_ID = 2**63  # one past int64: SQLite overflowed on it
ENGAGEMENT = {
    "vendor_name": "株式会社境界テスト",
    "service": "インサイドセールス代行",
    "start_date": "2026-04-01",
    "renewal_date": "2027-03-31",
    "notice_days": 60,
    "monthly_fee_jpy": 800000,
    "kpi_targets": {"appointments": 30},
}
REPORT = {
    "kind": "vendor_report",
    "date": "2026-05-08",
    "period": "2026-04",
    "title": "4月度 活動報告",
    "text": "4月度の実績です。アポ獲得数は24件（目標30件）でした。",
}


def _engagement(client: httpx.Client, **changes: Any) -> httpx.Response:
    return client.post("/api/v1/engagements", json={**ENGAGEMENT, **changes})


def _japanese_error(response: httpx.Response, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    error: dict[str, Any] = response.json()["error"]
    assert any("\u3040" <= char <= "\u9fff" for char in error["message"]), error
    return error


def _raw_json(client: httpx.Client, url: str, body: str) -> httpx.Response:
    """JSON as a client may really send it: escapes, NaN literals and all."""
    return client.post(url, content=body.encode(), headers={"Content-Type": "application/json"})


def test_ids_past_int64_are_refused_on_every_kind_of_route(live_server: LiveServer) -> None:
    with live_server.client(timeout=300) as client:
        for path in (
            f"/api/v1/engagements/{TOO_BIG_ID}",
            f"/api/v1/engagements/{TOO_BIG_ID}/analysis",
            f"/api/v1/engagements/{TOO_BIG_ID}/documents",
            f"/api/v1/engagements/{TOO_BIG_ID}/jobs",
            f"/api/v1/engagements/{TOO_BIG_ID}/timeline",
            f"/api/v1/documents/{TOO_BIG_ID}",
            f"/api/v1/drafts/{TOO_BIG_ID}",
            f"/api/v1/drafts/1?version={TOO_BIG_ID}",
            f"/api/v1/search?q=アポ&engagement_id={TOO_BIG_ID}",
            "/api/v1/engagements/0",
            "/api/v1/engagements/-1",
        ):
            _japanese_error(client.get(path), (404, 422))
        _japanese_error(client.delete(f"/api/v1/documents/{TOO_BIG_ID}"), (404, 422))
        chat = client.post(
            f"/api/v1/engagements/{TOO_BIG_ID}/chat", json={"question": "担当者は誰？"}
        )
        _japanese_error(chat, (404, 422))
        # The largest id that can exist is simply not there.
        _japanese_error(client.get(f"/api/v1/engagements/{2**63 - 1}"), 404)
        for page in (
            f"/engagements/{TOO_BIG_ID}",
            f"/engagements/{TOO_BIG_ID}/kpis.csv",
            f"/engagements/{TOO_BIG_ID}/calendar.ics",
            f"/engagements/{TOO_BIG_ID}/drafts",
            f"/documents/{TOO_BIG_ID}",
            f"/drafts/{TOO_BIG_ID}",
            "/engagements/1?as_of=0",
        ):
            response = client.get(page)
            assert response.status_code in (404, 422)
            assert response.headers["content-type"].startswith("text/html")
            assert "エラー" in response.text


def test_numbers_and_dates_that_are_not_what_they_claim(live_server: LiveServer) -> None:
    with live_server.client(timeout=300) as client:
        for changes in (
            {"monthly_fee_jpy": 10**20},
            {"monthly_fee_jpy": -1},
            {"notice_days": 10**6},
            {"kpi_targets": {"appointments": -5}},
            {"vendor_id": TOO_BIG_ID},
            {"start_date": 0},
            {"start_date": "1700000000"},
        ):
            _japanese_error(_engagement(client, **changes), 422)
        for literal in ("NaN", "Infinity", "-Infinity"):
            body = (
                '{"vendor_name": "株式会社境界テスト", "service": "代行", '
                '"start_date": "2026-04-01", "renewal_date": "2027-03-31", '
                f'"kpi_targets": {{"appointments": {literal}}}}}'
            )
            _japanese_error(_raw_json(client, "/api/v1/engagements", body), 422)
        assert client.get("/api/v1/engagements").json() == []

        engagement = _engagement(client).json()
        engagement_id = engagement["id"]
        _japanese_error(client.get(f"/api/v1/engagements/{engagement_id}/analysis?as_of=0"), 422)
        ok = client.get(f"/api/v1/engagements/{engagement_id}/analysis?as_of=2026-05-01")
        assert ok.status_code == 200
        chat = client.post(
            f"/api/v1/engagements/{engagement_id}/chat", json={"question": "目標は？", "as_of": 0}
        )
        _japanese_error(chat, 422)

        stored = client.post(f"/api/v1/engagements/{engagement_id}/documents", json=REPORT)
        assert stored.status_code == 201, stored.text
        document = stored.json()["document"]
        for value in (-5, 10**13):
            correction = client.put(
                f"/api/v1/documents/{document['id']}/kpis/appointments", json={"value": value}
            )
            _japanese_error(correction, 422)
        nan = _raw_json(
            client,
            f"/api/v1/documents/{document['id']}/kpis",
            '{"key": "appointments", "value": NaN}',
        )
        _japanese_error(nan, 422)
        for typed in ("nan", "1e300", "-5"):  # the dashboard's correction form, same bounds
            page = client.post(
                f"/documents/{document['id']}/kpis", data={"key": "appointments", "value": typed}
            )
            assert page.status_code == 422, (typed, page.status_code)
            assert "0以上1,000,000,000,000以下の数値" in page.text

        # Datetimes say which time zone they are in (stored UTC; SQLite forgets it).
        draft = client.post(f"/api/v1/engagements/{engagement_id}/drafts", json={"kind": "memo"})
        for served in (
            client.get(f"/api/v1/documents/{document['id']}").json()["created_at"],
            client.get(f"/api/v1/drafts/{draft.json()['id']}").json()["created_at"],
            client.get("/api/v1/me").json()["created_at"],
            client.get("/api/v1/audit").json()[0]["at"],
        ):
            assert dt.datetime.fromisoformat(served).utcoffset() == dt.timedelta(0), served


@pytest.mark.parametrize(
    ("bad", "what"), [("\x00", "NUL"), ("\ud800", "不正な文字コード")], ids=["nul", "surrogate"]
)
def test_unstorable_text_is_refused_the_same_on_every_path(
    live_server: LiveServer, bad: str, what: str
) -> None:
    escaped = "\\u0000" if bad == "\x00" else "\\ud800"
    with live_server.client(timeout=300) as client:
        engagement_id = _engagement(client).json()["id"]
        documents = f"/api/v1/engagements/{engagement_id}/documents"

        body = (
            '{"kind": "vendor_report", "date": "2026-05-08", "period": "2026-04", '
            f'"text": "4月度の実績です。{escaped}アポは24件でした。"}}'
        )
        error = _japanese_error(_raw_json(client, documents, body), 422)
        assert what in str(error)
        title_body = body.replace('"text"', f'"title": "報告{escaped}", "text"')
        _japanese_error(_raw_json(client, documents, title_body), 422)
        vendor = _raw_json(client, "/api/v1/vendors", f'{{"name": "株式会社{escaped}"}}')
        _japanese_error(vendor, 422)
        service = _raw_json(
            client,
            "/api/v1/engagements",
            '{"vendor_name": "株式会社境界テスト", '
            f'"service": "代行{escaped}", "start_date": "2026-04-01", "renewal_date": "2027-03-31"}}',
        )
        _japanese_error(service, 422)

        if bad == "\x00":  # a lone surrogate cannot be written to a file or a form at all
            upload = client.post(
                f"{documents}/upload",
                data={"kind": "vendor_report", "date": "2026-05-08", "period": "2026-04"},
                files={"file": ("report.txt", "4月度の実績です。\x00アポは24件。".encode())},
            )
            assert "保存できない文字（NUL）" in _japanese_error(upload, 422)["message"]

        assert client.get(documents).json() == []
        assert [v["name"] for v in client.get("/api/v1/vendors").json()] == ["株式会社境界テスト"]

    if bad == "\x00":
        with live_server.session(timeout=300) as browser:
            form_url = f"/engagements/{engagement_id}/documents/new"
            fields = hidden_fields(browser.get(form_url).text)
            text = "4月度の実績です。\x00アポは24件でした。"
            page = browser.post(
                f"/engagements/{engagement_id}/documents",
                data={**fields, "kind": "vendor_report", "date": "2026-05-08", "text": text},
            )
            assert page.status_code == 422
            assert "保存できない文字（NUL）" in page.text
            assert "アポは24件でした。" in page.text  # the text is kept in the form
            chat_url = f"/engagements/{engagement_id}/chat"
            chat_fields = hidden_fields(browser.get(chat_url).text)
            asked = browser.post(chat_url, data={**chat_fields, "question": "担当者は\x00誰？"})
            assert asked.status_code == 422
            assert "保存できない文字（NUL）" in asked.text
            with live_server.client(timeout=300) as client:
                draft = client.post(
                    f"/api/v1/engagements/{engagement_id}/drafts", json={"kind": "memo"}
                )
            edit_url = f"/drafts/{draft.json()['id']}/edit"
            edit_fields = hidden_fields(browser.get(edit_url).text)
            saved = browser.post(edit_url, data={**edit_fields, "markdown": "# 判断メモ\n\x00本文"})
            assert saved.status_code == 422
            assert "保存できない文字（NUL）" in saved.text
        with live_server.client(timeout=300) as client:
            assert client.get(documents).json() == []


def test_page_forms_have_the_api_limits(live_server: LiveServer) -> None:
    with live_server.session(timeout=300) as browser:
        form = browser.get("/engagements/new").text
        assert 'name="service" required maxlength="300"' in form
        assert 'name="vendor_name" required maxlength="200"' in form
        fields = hidden_fields(form)
        values = {
            **fields,
            "vendor_name": "株式会社境界テスト",
            "service": "代" * 5000,
            "start_date": "2026-04-01",
            "renewal_date": "2027-03-31",
        }
        response = browser.post("/engagements", data=values)
        assert response.status_code == 422
        assert "サービス内容は300文字以内で入力してください。" in response.text
        fee = browser.post(
            "/engagements", data={**values, "service": "代行", "kpi_appointments": "nan"}
        )
        assert fee.status_code == 422
        assert "KPI目標" in fee.text
    with live_server.client(timeout=300) as client:
        assert client.get("/api/v1/engagements").json() == []
        # The same 300 the API refuses.
        refused = _japanese_error(_engagement(client, service="代" * 301), 422)
        assert refused["message"] == "サービス内容は300文字以内で入力してください。"


def test_paste_form_takes_the_documented_size_and_keeps_the_text_beyond_it(
    live_server: LiveServer,
) -> None:
    """Starlette's 1 MB form-field default cut urlencoded Japanese at ~116,000 characters."""
    with live_server.client(timeout=300) as client:
        engagement_id = _engagement(client).json()["id"]
    with live_server.session(timeout=300) as browser:
        fields = hidden_fields(browser.get(f"/engagements/{engagement_id}/documents/new").text)
        form = {**fields, "kind": "vendor_report", "date": "2026-05-08", "period": "2026-04"}
        # 150,000 characters (1.35 MB as a form) reach the ingest checks: here the NUL rule.
        long_text = "営業活動の報告です。" * 15_000 + "\x00"
        parsed = browser.post(
            f"/engagements/{engagement_id}/documents", data={**form, "text": long_text}
        )
        assert parsed.status_code == 422
        assert "保存できない文字（NUL）が150,001文字目に含まれています。" in parsed.text
        # Over the 200,000-character limit: a Japanese 413 with the text still in the form.
        too_long = "営業活動の報告です。" * 20_001
        refused = browser.post(
            f"/engagements/{engagement_id}/documents", data={**form, "text": too_long}
        )
        assert refused.status_code == 413
        assert "本文が長すぎます（200,010文字。上限は200,000文字です）。" in refused.text
        assert refused.text.count("営業活動の報告です。") >= 20_001
    with live_server.client(timeout=300) as client:
        assert client.get(f"/api/v1/engagements/{engagement_id}/documents").json() == []


def _failing_server(container: Container) -> LiveServer:
    """The real app whose container cannot be had: every route that needs it fails."""

    def broken() -> Container:
        raise RuntimeError("simulated failure")

    app = create_app(container=container)
    app.dependency_overrides[get_container] = broken
    return LiveServer(app)


def test_unexpected_error_is_a_japanese_page_or_json_with_a_request_id(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="app.serve.middleware")
    with _failing_server(container) as server, server.client(timeout=300) as client:
        api = client.get("/api/v1/engagements")
        assert api.status_code == 500
        error = api.json()["error"]
        assert error["code"] == "internal_error"
        assert "予期しないエラー" in error["message"]
        assert error["request_id"] == api.headers["X-Request-ID"]
        assert api.headers["X-Content-Type-Options"] == "nosniff"

        page = client.get("/")
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        assert "予期しないエラーが発生しました" in page.text
        assert page.headers["X-Request-ID"] in page.text
        assert page.headers["X-Request-ID"] != api.headers["X-Request-ID"]

    logged = [r for r in caplog.records if api.headers["X-Request-ID"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log


def test_openapi_documents_every_error_with_the_error_body(live_server: LiveServer) -> None:
    with live_server.client(timeout=300) as client:
        spec = client.get("/openapi.json").json()
        operations = [
            (method, path, operation)
            for path, methods in spec["paths"].items()
            for method, operation in methods.items()
        ]
        assert len(operations) >= 40
        for method, path, operation in operations:
            for status in ("400", "401", "403", "404", "409", "413", "415", "422", "429"):
                documented = operation["responses"].get(status)
                assert documented is not None, (method, path, status)
                schema = documented["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)
        # What the gate and the handlers answer really has that shape.
        with live_server.anonymous() as anonymous:
            refused = anonymous.get("/api/v1/engagements")
        assert refused.status_code == 401
        assert set(refused.json()["error"]) >= {"code", "message"}
        missing = client.get("/api/v1/engagements/12345").json()
        assert set(missing["error"]) >= {"code", "message", "request_id"}
        timestamps = spec["components"]["schemas"]["DocumentOut"]["properties"]["created_at"]
        assert timestamps["format"] == "date-time"
