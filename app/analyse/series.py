"""KPI series by month: the table, achievement, cost per result, stagnation and the funnel."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from app.analyse.models import Citation, Funnel, FunnelStage, KpiCell, KpiConflictResult, KpiMonth
from app.core.facts import KpiPoint, merge_kpi_points
from app.knowledge.rubric import EngineFile


def month_index(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def months_between(first: str, last: str) -> int:
    return month_index(last) - month_index(first)


def monthly_values(points: Sequence[KpiPoint]) -> dict[str, dict[str, KpiPoint]]:
    """period → key → the point that counts for that month (core.facts holds the one merge)."""
    return merge_kpi_points(points)[0]


def kpi_conflicts(points: Sequence[KpiPoint], titles: dict[int, str]) -> list[KpiConflictResult]:
    """Every disagreement between documents on one KPI and month, with both sources."""

    def cite(point: KpiPoint) -> Citation:
        return Citation(
            document_id=point.document_id,
            start=point.start,
            end=point.end,
            quote=point.quote,
            period=point.period,
            title=titles.get(point.document_id, ""),
        )

    return [
        KpiConflictResult(
            key=conflict.key,
            period=conflict.period,
            value=conflict.chosen.value,
            other_value=conflict.other.value,
            source=cite(conflict.chosen),
            other_source=cite(conflict.other),
        )
        for conflict in merge_kpi_points(points)[1]
    ]


def kpi_table(
    values: dict[str, dict[str, KpiPoint]],
    *,
    targets: dict[str, float],
    monthly_fee: int | None,
    titles: dict[int, str],
) -> list[KpiMonth]:
    months: list[KpiMonth] = []
    for period, by_key in values.items():
        cells: dict[str, KpiCell] = {}
        for key, point in by_key.items():
            target = targets.get(key)
            cells[key] = KpiCell(
                value=point.value,
                target=target,
                achievement=round(point.value / target, 3) if target else None,
                corrected=point.corrected,
                source=Citation(
                    document_id=point.document_id,
                    start=point.start,
                    end=point.end,
                    quote=point.quote,
                    period=period,
                    title=titles.get(point.document_id, ""),
                )
                if point.quote
                else None,
            )
        appointments = by_key.get("appointments")
        opportunities = _opportunities(by_key)
        months.append(
            KpiMonth(
                period=period,
                values=cells,
                cost_per_appointment=round(monthly_fee / appointments.value)
                if monthly_fee and appointments and appointments.value > 0
                else None,
                cost_per_opportunity=round(monthly_fee / opportunities)
                if monthly_fee and opportunities
                else None,
            )
        )
    return months


def _opportunities(by_key: dict[str, KpiPoint]) -> float | None:
    """Stated opportunities, or appointments × 商談化率 when only the rate is given."""
    if "opportunities" in by_key and by_key["opportunities"].value > 0:
        return by_key["opportunities"].value
    appointments, rate = by_key.get("appointments"), by_key.get("opportunity_rate")
    if appointments and rate and appointments.value * rate.value > 0:
        return round(appointments.value * rate.value / 100)
    return None


def main_kpi(
    values: dict[str, dict[str, KpiPoint]], *, targets: dict[str, float], rules: EngineFile
) -> str | None:
    """The count KPI the engagement is judged on: targeted first, then by priority."""
    present = {key for by_key in values.values() for key in by_key}
    counts = [k for k in rules.kpi.main_priority if k in present and k not in rules.kpi.rate_keys]
    targeted = [k for k in counts if k in targets]
    if targeted:
        return targeted[0]
    return counts[0] if counts else None


@dataclass(frozen=True)
class Series:
    key: str
    periods: list[str]
    values: list[float]
    target: float | None

    def recent_achievement(self, months: int) -> float | None:
        if not self.target or not self.values:
            return None
        recent = self.values[-months:]
        return round(sum(recent) / len(recent) / self.target, 3)


def series_of(values: dict[str, dict[str, KpiPoint]], key: str, target: float | None) -> Series:
    periods = [period for period, by_key in values.items() if key in by_key]
    return Series(key, periods, [values[p][key].value for p in periods], target)


def numeric_stagnation(series: Series, *, rules: EngineFile) -> list[str]:
    """Periods of a flat-or-declining run after a better stretch; [] when there is none.

    Rubric: after a period of stable or improving results, the main KPIs stay flat or decline
    for two or more consecutive months. Flat at target is stability, not stagnation. "Flat" is
    judged against the run's first month, so a one-count wobble (17 → 16 → 18 件) is not a
    recovery, while climbing back above where the run started is.
    """
    steps = rules.stagnation.consecutive_steps
    band = rules.kpi.flat_band
    if len(series.values) < max(rules.stagnation.min_points, steps + 2):
        return []
    window = series.values[-(steps + 1) :]
    before = series.values[: -(steps + 1)]
    start = window[0]
    if any(value > start * (1 + band) for value in window[1:]):
        return []
    declining = window[-1] < window[0] * (1 - band)
    below = (
        series.target is not None
        and window[-1] < series.target * rules.stagnation.flat_below_achievement
    )
    after_better = max(before) >= window[0] * (1 - band) and max(before) > window[-1]
    if (declining or below) and after_better:
        return series.periods[-(steps + 1) :]
    return []


def funnel(
    values: dict[str, dict[str, KpiPoint]],
    *,
    targets: dict[str, float],
    rules: EngineFile,
) -> Funnel | None:
    """Sum the recent months' counts per stage and compare neighbour rates to references."""
    periods = list(values)[-rules.kpi.recent_months :]
    if not periods:
        return None
    totals: dict[str, float] = {}
    months_with: dict[str, int] = defaultdict(int)
    for period in periods:
        for key, point in values[period].items():
            totals[key] = totals.get(key, 0.0) + point.value
            months_with[key] += 1
    stages: list[FunnelStage] = []
    previous: FunnelStage | None = None
    leak: str | None = None
    for spec in rules.funnel:
        value = round(totals[spec.key] / months_with[spec.key], 1) if spec.key in totals else None
        stage = FunnelStage(
            key=spec.key, label=spec.label, value=value, target=targets.get(spec.key)
        )
        reference = rules.reference_ranges.get(spec.rate) if spec.rate else None
        if spec.rate and value is not None:
            base = _rate_base(spec.rate, stages)
            if base:
                stage.rate_key = spec.rate
                stage.rate = round(value / base * 100, 2)
                if reference:
                    stage.reference_low, stage.reference_high = reference.low, reference.high
                    stage.assessment = (
                        "below_reference"
                        if stage.rate < reference.low
                        else "above_reference"
                        if stage.rate > reference.high
                        else "within_reference"
                    )
        if leak is None and stage.assessment == "below_reference":
            leak = (
                f"{previous.label if previous else ''}→{stage.label}の転換率が{stage.rate}%で、"
                f"目安（{stage.reference_low:g}〜{stage.reference_high:g}%）を下回っています。"
            )
        if (
            leak is None
            and stage.target
            and stage.value is not None
            and stage.value < stage.target * 0.9
        ):
            # funnel stages are counts: the unit after the average (「月平均30.3件」)
            leak = f"{stage.label}が月平均{stage.value:g}件で、目標{stage.target:g}件に届いていません。"
        stages.append(stage)
        previous = stage
    if all(stage.value is None for stage in stages):
        return None
    return Funnel(periods=periods, stages=stages, leak=leak)


def _rate_base(rate_key: str, stages: list[FunnelStage]) -> float | None:
    """アポ率 is per call (the reference is per call); other rates are per previous stage."""
    by_key = {stage.key: stage.value for stage in stages}
    if rate_key == "appointment_rate":
        return by_key.get("calls")
    for stage in reversed(stages):
        if stage.value:
            return stage.value
    return None
