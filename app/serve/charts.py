"""Server-rendered SVG charts: no JavaScript chart library, no CDN."""

from __future__ import annotations

from html import escape

from app.analyse.models import KpiMonth

PALETTE = ["#2f6fb3", "#0b6e4f", "#b54708", "#7a5af8", "#c11574"]


def kpi_trend_svg(
    months: list[KpiMonth], *, keys: list[str], labels: dict[str, str], targets: dict[str, float]
) -> str:
    """A line per count KPI by month, dashed target lines; returns an <svg> string."""
    width, height, left, right, top, bottom = 680, 240, 48, 140, 16, 36
    periods = [month.period for month in months]
    series = {
        key: [month.values[key].value if key in month.values else None for month in months]
        for key in keys
    }
    values = [v for points in series.values() for v in points if v is not None]
    values += [targets[key] for key in keys if key in targets]
    if not periods or not values:
        return ""
    top_value = max(values) * 1.1 or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(index: int) -> float:
        return left + (plot_w * index / max(1, len(periods) - 1))

    def y(value: float) -> float:
        return top + plot_h * (1 - value / top_value)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="KPI推移グラフ" class="kpi-chart">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#9aa5b1"/>',
    ]
    for step in range(5):
        value = top_value * step / 4
        parts.append(
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="10" text-anchor="end" fill="#616e7c">{value:.0f}</text>'
            f'<line x1="{left}" y1="{y(value):.1f}" x2="{left + plot_w}" y2="{y(value):.1f}" stroke="#eef2f6"/>'
        )
    for index, period in enumerate(periods):
        label = f"{int(period[5:])}月"
        parts.append(
            f'<text x="{x(index):.1f}" y="{height - 14}" font-size="10" text-anchor="middle" fill="#616e7c">{label}</text>'
        )
    for number, key in enumerate(keys):
        color = PALETTE[number % len(PALETTE)]
        points = [(x(i), y(v)) for i, v in enumerate(series[key]) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        parts.extend(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"/>' for px, py in points
        )
        if key in targets:
            ty = y(targets[key])
            parts.append(
                f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="{color}" stroke-dasharray="4 3" opacity="0.7"/>'
            )
        legend = escape(labels.get(key, key)) + ("（破線=目標）" if key in targets else "")
        parts.append(
            f'<rect x="{width - right + 10}" y="{top + 18 * number}" width="10" height="10" fill="{color}"/>'
            f'<text x="{width - right + 24}" y="{top + 9 + 18 * number}" font-size="11" fill="#1f2933">{legend}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
