"""Server-rendered SVG charts: no JavaScript chart library, no CDN.

The KPI chart is small multiples, one panel per KPI with its own scale: 架電数 (~1,000) and
アポ数 (~20) on one axis made the small series flat lines at zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from app.analyse.models import KpiMonth
from app.core.formatting import kpi_value

PALETTE = ["#2f6fb3", "#0b6e4f", "#b54708", "#7a5af8", "#c11574", "#175cd3", "#4e5ba6"]
PANEL_W, PANEL_H = 230, 150
LEFT, RIGHT, TOP, BOTTOM = 50, 14, 30, 26
COLUMNS = 3


@dataclass(frozen=True)
class ChartSeries:
    """One KPI to draw: its key, label, unit (count / percent / jpy) and target if any."""

    key: str
    label: str
    unit: str
    target: float | None = None


def kpi_trend_svg(months: list[KpiMonth], *, series: list[ChartSeries]) -> str:
    """One <svg class="kpi-chart"> holding a panel per KPI that has a value; "" if none."""
    periods = [month.period for month in months]
    drawn = [
        (
            spec,
            [
                month.values[spec.key].value if spec.key in month.values else None
                for month in months
            ],
        )
        for spec in series
    ]
    drawn = [(spec, values) for spec, values in drawn if any(v is not None for v in values)]
    if not periods or not drawn:
        return ""
    columns = min(COLUMNS, len(drawn))
    rows = -(-len(drawn) // columns)
    width, height = columns * PANEL_W, rows * PANEL_H
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="KPI推移グラフ（KPIごとの目盛り）" class="kpi-chart">'
    ]
    for number, (spec, values) in enumerate(drawn):
        x0, y0 = (number % columns) * PANEL_W, (number // columns) * PANEL_H
        parts.append(_panel(spec, values, periods, x0, y0, PALETTE[number % len(PALETTE)]))
    parts.append("</svg>")
    return "".join(parts)


def _axis_top(largest: float, *, whole: bool) -> float:
    """A round top for two gridline steps (0, step, 2 × step) above the largest value:
    1,500 rather than 1,460.5."""
    if largest <= 0:
        return 2.0
    raw_step = largest * 1.08 / 2
    magnitude = 10.0 ** math.floor(math.log10(raw_step))
    step: float = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    if whole:
        step = max(1.0, math.ceil(step))
    return 2 * step


def _panel(
    spec: ChartSeries, values: list[float | None], periods: list[str], x0: int, y0: int, color: str
) -> str:
    plot_w, plot_h = PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM
    known = [v for v in values if v is not None]
    top_value = _axis_top(max([*known, spec.target or 0.0]), whole=spec.unit != "percent")

    def x(index: int) -> float:
        if len(periods) == 1:
            return x0 + LEFT + plot_w / 2
        return x0 + LEFT + plot_w * index / (len(periods) - 1)

    def y(value: float) -> float:
        return y0 + TOP + plot_h * (1 - value / top_value)

    title = escape(spec.label) + ("（破線＝目標）" if spec.target is not None else "")
    parts = [
        f'<g class="panel" data-kpi="{escape(spec.key)}">',
        f'<text x="{x0 + 8}" y="{y0 + 16}" font-size="12" font-weight="bold" fill="#1f2933">{title}</text>',
        f'<line x1="{x0 + LEFT}" y1="{y0 + TOP + plot_h}" x2="{x0 + LEFT + plot_w}" '
        f'y2="{y0 + TOP + plot_h}" stroke="#9aa5b1"/>',
    ]
    for step in range(3):
        value = top_value * step / 2
        parts.append(
            f'<text x="{x0 + LEFT - 5}" y="{y(value) + 3:.1f}" font-size="9" text-anchor="end" '
            f'fill="#616e7c">{escape(_tick(value, spec.unit))}</text>'
            f'<line x1="{x0 + LEFT}" y1="{y(value):.1f}" x2="{x0 + LEFT + plot_w}" '
            f'y2="{y(value):.1f}" stroke="#eef2f6"/>'
        )
    for index, period in enumerate(periods):
        if len(periods) > 6 and index % 2 and index != len(periods) - 1:
            continue  # every other month label when a year is shown: they would overlap
        parts.append(
            f'<text x="{x(index):.1f}" y="{y0 + PANEL_H - 10}" font-size="9" text-anchor="middle" '
            f'fill="#616e7c">{int(period[5:])}月</text>'
        )
    if spec.target is not None:
        ty = y(spec.target)
        parts.append(
            f'<line x1="{x0 + LEFT}" y1="{ty:.1f}" x2="{x0 + LEFT + plot_w}" y2="{ty:.1f}" '
            f'stroke="{color}" stroke-dasharray="4 3" opacity="0.7"/>'
        )
    points = [(i, x(i), y(v), v) for i, v in enumerate(values) if v is not None]
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for _, px, py, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
    for index, px, py, value in points:
        label = f"{int(periods[index][5:])}月 {kpi_value(value, spec.unit)}"
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"><title>{escape(label)}</title></circle>'
        )
    _, last_x, last_y, last_value = points[-1]
    parts.append(
        f'<text x="{last_x:.1f}" y="{last_y - 6:.1f}" font-size="10" text-anchor="end" '
        f'fill="{color}">{escape(kpi_value(last_value, spec.unit, compact=True))}</text>'
    )
    parts.append("</g>")
    return "".join(parts)


def _tick(value: float, unit: str) -> str:
    return "0" if value == 0 else kpi_value(value, unit, compact=True)
