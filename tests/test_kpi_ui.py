"""The KPI table's display: amounts, rates and the small-multiples chart (pure), then the
KPI forms and their /api/v1 twins over HTTP."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
import pytest

from app.analyse.models import KpiCell, KpiMonth
from app.serve.analysis import kpi_conflicts, unrecognised_rows
from app.serve.charts import ChartSeries, kpi_trend_svg
from app.serve.formatting import kpi_value, man_yen, number, percent, plain, yen
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
    analysis = SimpleNamespace(
        kpi_conflicts=[
            {
                "key": "appointments",
                "period": "2026-01",
                "sources": [
                    {"value": 16, "document_id": 1, "start": 10, "end": 30, "quote": "アポ16件"},
                    {
                        "value": 15,
                        "document_id": 2,
                        "start": 5,
                        "end": 20,
                        "quote": "アポ15件という目標",
                        "context": "目標の文脈",
                    },
                ],
            },
            {"key": "calls", "period": "2026-01", "sources": []},  # nothing to show
        ],
        kpi_unrecognised=[
            {"label": "キーマン到達数", "values": [42], "document_id": 3, "start": 0, "end": 18}
        ],
    )
    conflicts = kpi_conflicts(analysis)  # type: ignore[arg-type]
    assert list(conflicts) == [("2026-01", "appointments")]
    sources = conflicts[("2026-01", "appointments")].sources
    assert [(s.value, s.document_id, s.context) for s in sources] == [
        (16.0, 1, ""),
        (15.0, 2, "目標の文脈"),
    ]
    rows = unrecognised_rows(analysis)  # type: ignore[arg-type]
    assert [(r.label, r.values, r.document_id, r.end) for r in rows] == [
        ("キーマン到達数", "42", 3, 18)
    ]
    empty = SimpleNamespace()
    assert kpi_conflicts(empty) == {} and unrecognised_rows(empty) == []  # type: ignore[arg-type]


REPORT = {
    "kind": "vendor_report",
    "date": "2025-07-08",
    "period": "2025-06",
    "title": "6月度 活動報告",
    "text": "6月度の実績です。\n| 指標 | 目標 | 実績 |\n|---|---|---|\n"
    "| アポ獲得数 | 28件 | 31件 |\n| 受注金額 | | 1,650,000円 |\n",
}


def test_correction_form_and_api_update_the_table(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
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
