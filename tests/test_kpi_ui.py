"""The KPI table's display: amounts, rates and the small-multiples chart (pure), then the
KPI forms and their /api/v1 twins over HTTP."""

from __future__ import annotations

import re

import pytest

from app.analyse.models import KpiCell, KpiMonth
from app.serve.charts import ChartSeries, kpi_trend_svg
from app.serve.formatting import kpi_value, man_yen, number, percent, plain, yen


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
