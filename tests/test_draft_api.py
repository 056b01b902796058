"""Drafts, timeline and calendars over real HTTP (uvicorn on loopback), JSON and pages."""

from __future__ import annotations

import io

from docx import Document as read_docx
from pypdf import PdfReader

from app.container import Container
from tests.conftest import LiveServer
from tests.test_draft_llm import add_engagement


def test_draft_api_cycle(live_server: LiveServer, container: Container) -> None:
    engagement_id = add_engagement(container, vendor="株式会社APIドラフト")
    with live_server.client(timeout=60) as client:
        timeline = client.get(f"/api/v1/engagements/{engagement_id}/timeline")
        assert timeline.status_code == 200
        body = timeline.json()
        assert body["notice_deadline"] == "2026-01-30" and body["review_end"] == "2026-01-30"
        assert body["status"] in {"upcoming", "review_due", "notice_soon", "overdue"}
        renewals = client.get("/api/v1/renewals").json()
        assert [r["engagement_id"] for r in renewals] == [engagement_id]

        created = client.post(f"/api/v1/engagements/{engagement_id}/drafts", json={"kind": "memo"})
        assert created.status_code == 201, created.text
        memo = created.json()
        assert {"id", "kind", "version", "markdown", "citations", "decision"} <= memo.keys()
        assert memo["kind"] == "memo" and memo["version"] == 1
        assert memo["author"] == live_server.admin_email  # the signed-in user, never typed
        assert memo["decision"] in {"renew", "renew_with_conditions", "do_not_renew"}
        assert {"document_id", "start", "end", "quote"} <= memo["citations"][0].keys()
        for citation in memo["citations"]:
            document = client.get(f"/api/v1/documents/{citation['document_id']}").json()
            assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
        for kind in ("agenda", "proposal_request"):
            other = client.post(f"/api/v1/engagements/{engagement_id}/drafts", json={"kind": kind})
            assert other.status_code == 201 and other.json()["decision"] is None
        bad = client.post(f"/api/v1/engagements/{engagement_id}/drafts", json={"kind": "letter"})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
        listed = client.get(f"/api/v1/engagements/{engagement_id}/drafts").json()
        assert [d["kind"] for d in listed] == ["agenda", "memo", "proposal_request"]

        draft_id = memo["id"]
        edited_markdown = memo["markdown"] + "\n追記：稟議は部長まで。\n"
        edited = client.put(
            f"/api/v1/drafts/{draft_id}",
            json={"markdown": edited_markdown, "base_version": 1},
        )
        assert edited.status_code == 200 and edited.json()["version"] == 2
        assert edited.json()["origin"] == "edited"
        stale_edit = client.put(
            f"/api/v1/drafts/{draft_id}", json={"markdown": "古い版からの編集", "base_version": 1}
        )
        assert stale_edit.status_code == 409
        assert stale_edit.json()["error"]["code"] == "conflict"
        first = client.get(f"/api/v1/drafts/{draft_id}", params={"version": 1}).json()
        assert first["markdown"] == memo["markdown"] and first["latest_version"] == 2
        latest = client.get(f"/api/v1/drafts/{draft_id}").json()
        assert latest["markdown"] == edited_markdown
        assert [v["origin"] for v in latest["versions"]] == ["generated", "edited"]
        preview = client.post(f"/api/v1/drafts/{draft_id}/preview", json={"markdown": "本文[77]"})
        assert 'class="cite missing"' in preview.json()["html"]
        assert any("[77]" in p for p in preview.json()["problems"])

        exported = client.get(f"/api/v1/drafts/{draft_id}/export", params={"format": "md"})
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/markdown")
        assert "filename*=UTF-8''" in exported.headers["content-disposition"]
        assert "追記：稟議は部長まで。" in exported.text and "## 出典" in exported.text
        docx = client.get(f"/api/v1/drafts/{draft_id}/export", params={"format": "docx"})
        assert docx.status_code == 200
        paragraphs = [p.text for p in read_docx(io.BytesIO(docx.content)).paragraphs]
        assert "追記：稟議は部長まで。" in paragraphs
        pdf = client.get(f"/api/v1/drafts/{draft_id}/export", params={"format": "pdf"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert b"/FontFile" in pdf.content  # the Japanese font is embedded, not referenced
        first = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().replace("\x00", "")
        assert "更新判断メモ" in first
        assert client.get(f"/api/v1/drafts/{draft_id}/export?format=odt").status_code == 422

        missing = client.get("/api/v1/drafts/999999")
        assert missing.status_code == 404 and "見つかりません" in missing.json()["error"]["message"]

        ics = client.get(f"/engagements/{engagement_id}/calendar.ics")
        assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
        assert ics.text.count("BEGIN:VEVENT") == 3 and "\r\n" in ics.text
        assert client.get("/calendar.ics").text.count("BEGIN:VEVENT") == 3

        dashboard = client.get("/")
        assert dashboard.status_code == 200 and "株式会社APIドラフト" in dashboard.text
        assert 'class="tl-badge tl-' in dashboard.text and "/calendar.ics" in dashboard.text
        hub = client.get(f"/engagements/{engagement_id}/drafts")
        assert hub.status_code == 200 and "2026年1月30日" in hub.text
        page = client.get(f"/drafts/{draft_id}?version=1")
        assert page.status_code == 200 and 'class="cite"' in page.text
        not_found = client.get("/drafts/999999")
        assert not_found.status_code == 404 and "見つかりません" in not_found.text

        assert client.delete(f"/api/v1/engagements/{engagement_id}").status_code == 204
        assert client.get(f"/api/v1/drafts/{draft_id}").status_code == 404  # deleted with it
