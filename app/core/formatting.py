"""How numbers read on the Japanese pages: 1,650,000円 / 165万円, 64.5%, 1,250 (never 1.65e+06).

One place for the table, the funnel, the chart's axes and the Jinja filters, so an amount
looks the same wherever it appears.
"""

from __future__ import annotations

import math
from decimal import Decimal

MISSING = "―"


def _clean(value: float) -> float:
    # 12 significant digits drop binary noise (64.50000000000001) without changing a figure.
    return float(f"{value:.12g}")


def number(value: float | int | None, decimals: int = 2) -> str:
    """1,250 or 12.5: thousands separated, at most `decimals` places, no exponent."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    rounded = round(_clean(float(value)), decimals)
    if rounded.is_integer():
        return f"{int(rounded):,}"
    return format(Decimal(repr(rounded)), ",f")


def yen(value: float | int | None) -> str:
    """1,650,000円 (whole yen)."""
    if value is None:
        return MISSING
    return f"{round(value):,}円"


def man_yen(value: float | int | None) -> str:
    """165万円 / 1.2億円 where space is tight; amounts under 1万 stay in yen."""
    if value is None:
        return MISSING
    if abs(value) >= 100_000_000:
        return f"{number(value / 100_000_000, decimals=1)}億円"
    if abs(value) >= 10_000:
        return f"{number(value / 10_000, decimals=1)}万円"
    return yen(value)


def percent(value: float | int | None) -> str:
    """A rate already in percent (64.5) as 64.5%."""
    if value is None:
        return MISSING
    return f"{number(value, decimals=1)}%"


def kpi_value(value: float | int | None, unit: str | None, *, compact: bool = False) -> str:
    """A KPI by its unit in knowledge/kpi.yaml: count → 1,250, percent → 64.5%, jpy → 円
    (165万円 when `compact`)."""
    if value is None:
        return MISSING
    if unit == "percent":
        return percent(value)
    if unit == "jpy":
        return man_yen(value) if compact else yen(value)
    return number(value)


def plain(value: float | int | None) -> str:
    """A value as typed into a form field: 1650000 or 12.5 (no separators or units)."""
    if value is None:
        return ""
    rounded = _clean(float(value))
    return str(int(rounded)) if rounded.is_integer() else format(Decimal(repr(rounded)), "f")
