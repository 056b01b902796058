"""The JSON API over real HTTP (uvicorn on loopback)."""

from __future__ import annotations

import httpx

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
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
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
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
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
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        engagement_id = create_engagement(client)
        documents = f"/api/v1/engagements/{engagement_id}/documents"
        upload = f"{documents}/upload"
        form = {"kind": "vendor_report", "date": "2025-09-01"}
        cases = [
            (client.post(documents, json={**REPORT, "text": "  "}), 422),
            (client.post(documents, json={**REPORT, "text": "あ" * 200_001}), 413),
            (client.post(documents, json={**REPORT, "date": "2025-02-30"}), 422),
            (client.post(documents, json={**REPORT, "period": "2025/6月"}), 422),
            (client.post(documents, json={**REPORT, "kind": "memo"}), 422),
            (client.post("/api/v1/engagements/9999/documents", json=REPORT), 404),
            (client.post(upload, data=form, files={"file": ("a.xlsx", b"PK")}), 415),
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
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
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
