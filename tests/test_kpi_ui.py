"""The KPI table's display: amounts, rates and the small-multiples chart (pure), then the
KPI forms and their /api/v1 twins over HTTP."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from app.analyse.models import Citation, KpiCell, KpiConflictResult, KpiMonth, KpiUnrecognised
from app.core.formatting import kpi_value, man_yen, number, percent, plain, yen
from app.serve.analysis import kpi_conflicts, unrecognised_rows
from app.serve.charts import ChartSeries, kpi_trend_svg
from tests.conftest import LiveServer


@pytest.mark.parametrize(
    ("formatted", "expected"),
    [
        (yen(1650000.0), "1,650,000円"),
        (yen(None), "―"),
        (man_yen(1650000), "165万円"),
        (man_yen(1234567), "123.5万円"),
        (man_yen(250_000_000), "2.5億円"),
        (man_yen(9800), "9,800円"),
        (percent(64.50000000000001), "64.5%"),
        (number(1250.0), "1,250"),
        (number(12.5), "12.5"),
        (kpi_value(1.65e6, "jpy"), "1,650,000円"),
        (kpi_value(1.65e6, "jpy", compact=True), "165万円"),
        (kpi_value(58.3, "percent"), "58.3%"),
        (kpi_value(31.0, "count"), "31"),
        (plain(1.65e6), "1650000"),
        (plain(12.5), "12.5"),
    ],
)
def test_numbers_read_as_people_write_them(formatted: str, expected: str) -> None:
    assert formatted == expected


def test_chart_has_a_panel_and_scale_per_kpi() -> None:
    months = [
        KpiMonth(
            period=f"2025-{month:02d}",
            values={
                "calls": KpiCell(value=1000 + 30 * month),
                "appointments": KpiCell(value=15 + month, target=20),
                "opportunity_rate": KpiCell(value=55.5),
                "revenue": KpiCell(value=1.65e6),
            },
        )
        for month in range(4, 8)
    ]
    series = [
        ChartSeries("calls", "架電数", "count"),
        ChartSeries("appointments", "アポ数", "count", target=20),
        ChartSeries("opportunity_rate", "商談化率", "percent"),
        ChartSeries("revenue", "受注金額", "jpy"),
        ChartSeries("deals", "受注数", "count"),  # never reported: no empty panel
    ]
    svg = kpi_trend_svg(months, series=series)
    assert svg.count("<svg ") == 1 and 'class="kpi-chart"' in svg
    panels = re.findall(r'data-kpi="([a-z_]+)"', svg)
    assert panels == ["calls", "appointments", "opportunity_rate", "revenue"]
    # Each panel has its own scale: アポ's axis tops out near its values, not near 架電's.
    appointments = svg.split('data-kpi="appointments"')[1].split("</g>")[0]
    assert ">40<" in appointments and "1,500" not in appointments
    assert "破線＝目標" in appointments and "stroke-dasharray" in appointments
    assert "165万円" in svg and "55.5%" in svg and "e+" not in svg
    assert kpi_trend_svg([], series=series) == ""


def test_conflicts_and_unrecognised_rows_become_view_models() -> None:
    def cite(document_id: int, quote: str) -> Citation:
        return Citation(document_id=document_id, start=0, end=len(quote), quote=quote)

    conflict = KpiConflictResult(
        key="appointments",
        period="2026-01",
        value=16,
        other_value=15,
        source=cite(1, "アポ16件"),
        other_source=cite(2, "アポ15件という目標"),
    )
    unknown = [
        KpiUnrecognised(
            document_id=3, label="キーマン到達数", value_text="42件", quote="", start=0, end=9
        ),
        KpiUnrecognised(
            document_id=4, label="キーマン到達数", value_text="40件", quote="", start=5, end=9
        ),
    ]
    analysis = SimpleNamespace(kpi_conflicts=[conflict], kpi_unrecognised=unknown)
    conflicts = kpi_conflicts(analysis)  # type: ignore[arg-type]
    sources = conflicts[("2026-01", "appointments")]
    assert [(s.value, s.source.document_id, s.counts) for s in sources] == [
        (16, 1, True),
        (15, 2, False),
    ]
    rows = unrecognised_rows(analysis, {3: "1月度 報告"})  # type: ignore[arg-type]
    assert [(r.label, len(r.rows), r.titles) for r in rows] == [
        ("キーマン到達数", 2, {3: "1月度 報告", 4: ""})
    ]


REPORT = {
    "kind": "vendor_report",
    "date": "2025-07-08",
    "period": "2025-06",
    "title": "6月度 活動報告",
    "text": "6月度の実績です。\n| 指標 | 目標 | 実績 |\n|---|---|---|\n"
    "| アポ獲得数 | 28件 | 31件 |\n| 受注金額 | | 1,650,000円 |\n",
}


def test_correction_form_and_api_update_the_table(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        engagement = client.post(
            "/api/v1/engagements",
            json={
                "vendor_name": "株式会社表示テスト",
                "service": "テレアポ代行",
                "start_date": "2025-04-01",
                "renewal_date": "2026-03-31",
                "monthly_fee_jpy": 900000,
            },
        ).json()
        stored = client.post(f"/api/v1/engagements/{engagement['id']}/documents", json=REPORT)
        document_id = stored.json()["document"]["id"]
        page = client.get(f"/engagements/{engagement['id']}").text
        assert "1,650,000円" in page and "e+06" not in page
        assert 'data-kpi="appointments"' in page

        corrected = client.post(
            f"/documents/{document_id}/kpis", data={"key": "appointments", "value": "３２件"}
        )
        assert corrected.status_code == 303
        page = client.get(corrected.headers["location"]).text
        assert "KPIを修正し、再分析しました。" in page
        cell = page.split('data-period="2025-06"')[1].split('data-kpi="appointments"')[1]
        assert ">32<" in cell.split("</span>")[0] + "<"

        bad = client.post(
            f"/documents/{document_id}/kpis", data={"key": "appointments", "value": "多め"}
        )
        assert bad.status_code == 422 and "数値で入力してください" in bad.text

        api = client.put(f"/api/v1/documents/{document_id}/kpis/appointments", json={"value": 30})
        assert api.status_code == 200
        month = next(m for m in api.json()["kpi_table"] if m["period"] == "2025-06")
        assert month["values"]["appointments"]["value"] == 30


UNKNOWN_ROW = {
    **REPORT,
    "title": "7月度 活動報告",
    "period": "2025-07",
    "date": "2025-08-06",
    "text": "7月度の実績です。\n| 指標 | 目標 | 実績 |\n|---|---|---|\n"
    "| 架電数 | 1,200件 | 1,250件 |\n| キーマン到達数 | | 42件 |\n",
}


def test_add_a_value_and_map_a_label_in_the_page_and_the_api(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        engagement = client.post(
            "/api/v1/engagements",
            json={
                "vendor_name": "株式会社対応テスト",
                "service": "インサイドセールス代行",
                "start_date": "2025-04-01",
                "renewal_date": "2026-03-31",
            },
        ).json()
        engagement_id = engagement["id"]
        stored = client.post(f"/api/v1/engagements/{engagement_id}/documents", json=UNKNOWN_ROW)
        document_id = stored.json()["document"]["id"]
        page = client.get(f"/engagements/{engagement_id}").text
        assert 'id="kpi-unrecognised"' in page and 'data-label="キーマン到達数"' in page

        added = client.post(
            f"/engagements/{engagement_id}/kpis",
            data={"document_id": str(document_id), "key": "opportunities", "value": "７"},
        )
        assert added.status_code == 303 and "added=1" in added.headers["location"]
        page = client.get(added.headers["location"]).text
        assert "KPIの値を追加し、再分析しました。" in page and "手入力" in page

        api = client.post(
            f"/api/v1/documents/{document_id}/kpis", json={"key": "deals", "value": 2}
        )
        assert api.status_code == 200, api.text
        july = next(m for m in api.json()["kpi_table"] if m["period"] == "2025-07")
        assert july["values"]["deals"]["value"] == 2
        assert july["values"]["opportunities"]["value"] == 7

        unknown_key = client.post(
            f"/api/v1/engagements/{engagement_id}/kpi-labels",
            json={"label": "キーマン到達数", "key": "no_such_kpi"},
        )
        assert unknown_key.status_code == 422
        mapped = client.post(
            f"/api/v1/engagements/{engagement_id}/kpi-labels",
            json={"label": "キーマン到達数", "key": "connections"},
        )
        assert mapped.status_code == 200, mapped.text
        body = mapped.json()
        july = next(m for m in body["kpi_table"] if m["period"] == "2025-07")
        assert july["values"]["connections"]["value"] == 42
        assert all(row["label"] != "キーマン到達数" for row in body["kpi_unrecognised"])
        page = client.get(f"/engagements/{engagement_id}").text
        assert 'data-label="キーマン到達数"' not in page


def test_a_conflict_shows_both_sources_linked_to_their_passages(live_server: LiveServer) -> None:
    with live_server.client(timeout=60) as client:
        engagement_id = client.post(
            "/api/v1/engagements",
            json={
                "vendor_name": "株式会社食い違いテスト",
                "service": "テレアポ代行",
                "start_date": "2025-10-01",
                "renewal_date": "2026-09-30",
            },
        ).json()["id"]
        documents = f"/api/v1/engagements/{engagement_id}/documents"
        report = client.post(
            documents,
            json={
                "kind": "vendor_report",
                "date": "2026-02-05",
                "period": "2026-01",
                "title": "1月度 活動報告",
                "text": "1月度の実績です。アポ獲得数は16件でした。",
            },
        ).json()["document"]
        minutes = client.post(
            documents,
            json={
                "kind": "meeting_notes",
                "date": "2026-02-10",
                "period": "2026-01",
                "title": "1月度 定例",
                "text": "1月度の振り返り。1月のアポ獲得数は14件と報告があった。",
            },
        ).json()["document"]
        analysis = client.get(f"/api/v1/engagements/{engagement_id}/analysis").json()
        conflicts = analysis["kpi_conflicts"]
        assert conflicts and conflicts[0]["key"] == "appointments"
        page = client.get(f"/engagements/{engagement_id}").text
        assert 'id="kpi-conflict-note"' in page and "文書により値が異なります" in page
        cell = page.split('data-period="2026-01"')[1].split("</td>")[0]
        assert 'class="conflict"' in cell
        for document in (report, minutes):
            assert f'href="/documents/{document["id"]}?start=' in cell
        assert "16" in cell and "14" in cell
