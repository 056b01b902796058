"""Analysis over HTTP: re-analysis after ingest, as-of dates, KPI corrections, dashboard."""

from __future__ import annotations

import httpx

from tests.browser import chromium, open_page
from tests.conftest import LiveServer

DOCS = [
    {
        "kind": "vendor_report",
        "date": "2025-05-08",
        "period": "2025-04",
        "title": "4月度 報告",
        "text": "4月度の活動結果をご報告いたします。\n- アポ獲得数：22件（目標20件）\n業種別に集計したところ、物流業の反応が良いことがわかりました。",
    },
    {
        "kind": "vendor_report",
        "date": "2025-06-06",
        "period": "2025-05",
        "title": "5月度 報告",
        "text": "5月度の活動結果をご報告いたします。\n- アポ獲得数：２４件\n6月からはトーク冒頭を質問型に変えるA/Bテストを行います。",
    },
    {
        "kind": "meeting_notes",
        "date": "2025-07-10",
        "period": "2025-06",
        "title": "6月度 定例",
        "text": "6月度の定例会議。\n- アポ獲得数23件。\n- 社内には営業担当がいないため、リスト作成から商談まで、すべて代行会社に任せている。",
    },
]


def setup(client: httpx.Client) -> tuple[int, list[int]]:
    engagement = client.post(
        "/api/v1/engagements",
        json={
            "vendor_name": "株式会社ダッシュボード",
            "service": "テレアポ代行",
            "start_date": "2025-04-01",
            "renewal_date": "2026-03-31",
            "notice_days": 60,
            "monthly_fee_jpy": 440000,
            "kpi_targets": {"appointments": 20},
        },
    ).json()
    ids = []
    for doc in DOCS:
        response = client.post(f"/api/v1/engagements/{engagement['id']}/documents", json=doc)
        assert response.status_code == 201
        ids.append(response.json()["document"]["id"])
    return engagement["id"], ids


def test_analysis_follows_documents_dates_and_corrections(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        engagement_id, ids = setup(client)
        analysis = client.get(f"/api/v1/engagements/{engagement_id}/analysis").json()
        assert analysis["documents_considered"] == 3
        assert analysis["signals"]["dependency"]["status"] == "concern"
        assert analysis["decision"]["decision"] == "renew_with_conditions"
        table = {row["period"]: row for row in analysis["kpi_table"]}
        assert table["2025-05"]["values"]["appointments"]["value"] == 24
        assert table["2025-04"]["cost_per_appointment"] == 20000
        source = table["2025-05"]["values"]["appointments"]["source"]
        document = client.get(f"/api/v1/documents/{source['document_id']}").json()
        assert document["text"][source["start"] : source["end"]] == source["quote"]
        for signal in analysis["signals"].values():
            for citation in signal["evidence"]:
                text = client.get(f"/api/v1/documents/{citation['document_id']}").json()["text"]
                assert text[citation["start"] : citation["end"]] == citation["quote"]

        earlier = client.get(
            f"/api/v1/engagements/{engagement_id}/analysis", params={"as_of": "2025-06-30"}
        ).json()
        assert earlier["documents_considered"] == 2
        assert earlier["signals"]["dependency"]["status"] != "concern"

        corrected = client.put(
            f"/api/v1/documents/{ids[1]}/kpis/appointments", json={"value": 25, "note": "再集計"}
        )
        assert corrected.status_code == 200
        cell = {r["period"]: r for r in corrected.json()["kpi_table"]}["2025-05"]["values"][
            "appointments"
        ]
        assert cell["value"] == 25 and cell["corrected"] is True
        refreshed = client.post(f"/api/v1/engagements/{engagement_id}/analysis/refresh").json()
        assert {r["period"]: r for r in refreshed["kpi_table"]}["2025-05"]["values"][
            "appointments"
        ]["value"] == 25

        # Re-import of the same text keeps the correction.
        assert client.delete(f"/api/v1/documents/{ids[1]}").status_code == 204
        after_delete = client.get(f"/api/v1/engagements/{engagement_id}/analysis").json()
        assert after_delete["documents_considered"] == 2
        again = client.post(f"/api/v1/engagements/{engagement_id}/documents", json=DOCS[1])
        assert again.status_code == 201
        reimported = client.get(f"/api/v1/engagements/{engagement_id}/analysis").json()
        assert {r["period"]: r for r in reimported["kpi_table"]}["2025-05"]["values"][
            "appointments"
        ]["value"] == 25

        bad = client.put(f"/api/v1/documents/{ids[0]}/kpis/unknown_kpi", json={"value": 1})
        assert bad.status_code == 422
        assert client.get("/api/v1/engagements/999/analysis").status_code == 404


def test_dashboard_shows_an_evidence_backed_judgment(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        engagement_id, _ids = setup(client)
    with chromium() as browser:
        page = live_server.login(open_page(browser))
        page.goto(f"{live_server.url}/engagements/{engagement_id}")
        assert "条件付き更新" in page.inner_text("#decision")
        assert "ノウハウ" in page.inner_text("#conditions")
        dependency = page.locator('[data-signal="dependency"]')
        assert "懸念あり" in dependency.inner_text()
        assert page.locator("svg.kpi-chart").count() == 1
        assert "24" in page.inner_text("#kpi-table")
        assert "自社要因" in page.content()
        # Correct a KPI in the table; the page re-analyses and shows the new value.
        row = page.locator("#kpi-table tbody tr").nth(1)
        row.locator("details.edit summary").first.click()
        row.locator("input[name=value]").first.fill("26")
        row.get_by_role("button", name="保存").first.click()
        page.wait_for_url("**corrected=1**")
        assert "26" in page.inner_text("#kpi-table")
        # An evidence quote opens its passage highlighted in the document.
        dependency = page.locator('[data-signal="dependency"]')
        dependency.locator("ul.evidence a").first.click()
        page.wait_for_selector("mark#passage")
        assert "営業担当がいない" in page.inner_text("mark#passage")
