"""The KPI picture over the whole period, as an agenda presents it: a month-by-KPI table and
one sentence per KPI (months met and missed, the largest gap, the latest month).

Pure code over the figures a draft may state (`context_vendor.figures`): the internal agenda
gets the reconciled values, the one shared with the vendor what the vendor itself reported.
The meeting then discusses the whole period, not only the months that fell short.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from app.draft.context_vendor import FUNNEL, Figure
from app.draft.findings import Finding, percent, unique
from app.draft.framing import rising

MAX_COLUMNS = 4
MAX_LISTED = 3
RISING_MONTHS = 3  # 「毎月伸びています」 takes three months or more  # months named one by one when others are missing between them


@dataclass(frozen=True)
class PeriodColumn:
    key: str
    label: str
    target: str  # 「25件」 when every month has the same target, else ""


@dataclass(frozen=True)
class PeriodRow:
    period: str
    cells: list[Figure | None]


@dataclass(frozen=True)
class PeriodOverview:
    """Table and sentences; empty when fewer than two months were reported."""

    columns: list[PeriodColumn]
    rows: list[PeriodRow]
    findings: list[Finding]
    span: str  # 「2025年9月〜2026年1月」
    months: int  # how many of them have figures
    listed: str = ""  # 「4月・6月・10月・12月」 when months in between have no figures, else ""


def _month(period: str) -> str:
    return f"{int(period[5:7])}月"


def _year_month(period: str) -> str:
    return f"{period[:4]}年{int(period[5:7])}月"


def _months(periods: Sequence[str]) -> str:
    return "・".join(_month(p) for p in periods)


def _next(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def consecutive(periods: Sequence[str]) -> bool:
    """No month missing between the first and the last (sorted 「YYYY-MM」)."""
    return all(_next(a) == b for a, b in pairwise(periods))


def months_phrase(periods: Sequence[str], latest: str | None, stale: bool = False) -> str:
    """How a sentence names the months an average is over: 「ご報告いただいた直近3か月」 only
    when they run without a gap up to the latest month known; else the months themselves
    (「ご報告いただいた9月・12月」), so nothing is claimed of a month not reported. When the
    newest document is old (`stale`), nothing is 「直近」: the months are named."""
    ordered = sorted(periods)
    current = latest is None or (bool(ordered) and ordered[-1] >= latest)
    if ordered and consecutive(ordered) and current and not stale:
        return f"ご報告いただいた直近{len(ordered)}か月"
    return f"ご報告いただいた{_months(ordered)}"


def _keys(items: Sequence[Figure], main_kpi: str | None) -> list[str]:
    """Main KPI first, then KPIs with a target (worst first), then 商談・受注 as reported."""
    by_key: dict[str, list[Figure]] = {}
    for figure in items:
        by_key.setdefault(figure.key, []).append(figure)
    targeted = [k for k, s in by_key.items() if any(f.achievement is not None for f in s)]
    targeted.sort(key=lambda k: min(f.achievement or 0 for f in by_key[k] if f.achievement))
    lower = [k for k in FUNNEL[3:] if k in by_key and k not in targeted]
    ordered = ([main_kpi] if main_kpi in by_key else []) + targeted + lower
    chosen = list(dict.fromkeys(ordered))[:MAX_COLUMNS]  # the largest gaps make the cut
    stage = {key: index for index, key in enumerate(FUNNEL)}
    # ... and are shown in the funnel's order (アポ → 商談 → 受注), the main KPI first.
    return chosen[:1] + sorted(chosen[1:], key=lambda k: stage.get(k, len(stage)))


def _with_target(
    label: str, series: list[Figure], span: str, latest_word: str, tolerance: float = 1.0
) -> Finding:
    """Months met and missed, the largest gap, the last month; `latest_word` is 「直近の」
    only when that month is the latest one known. A month at `tolerance` of its target or
    more is at the target's level (99.7 % is no miss)."""
    scored = [f for f in series if f.achievement is not None]
    met = [f.period for f in scored if (f.achievement or 0) >= tolerance]
    missed = [f.period for f in scored if (f.achievement or 0) < tolerance]
    latest = series[-1]
    if not missed:
        reached = (
            "目標に届いています"
            if all((f.achievement or 0) >= 1 for f in scored)
            else ("ほぼ目標どおりです")
        )
        text = (
            f"{label}は、{span}すべてで{reached}"
            f"（{latest_word}{_month(latest.period)}は{latest.spoken}）。"
        )
        return Finding(text, unique([f.source for f in series[-1:] if f.source]))
    worst = min(scored, key=lambda f: f.achievement or 0)
    near = any(tolerance <= (f.achievement or 0) < 1 for f in scored)
    reached = "ほぼ目標どおりだった" if near else "目標に届いた"
    if met:
        head = (
            f"{label}は、{span}のうち{reached}月が{len(met)}か月（{_months(met)}）、"
            f"届かなかった月が{len(missed)}か月（{_months(missed)}）です。"
        )
    else:
        head = f"{label}は、{span}のいずれも目標に届いていません。"
    shortfall = f"{worst.spoken}（目標{worst.target_spoken}・達成率{percent(worst.achievement)}）"
    periods = [f.period for f in series]
    if latest.period != worst.period:
        # a trend only over months that follow each other; across a gap, the two figures
        grew = latest.value > worst.value and consecutive(periods[periods.index(worst.period) :])
        since = f"と、{_month(worst.period)}から伸びています" if grew else ""
        gap = (
            f"差が最も大きかったのは{_month(worst.period)}の{shortfall}で、"
            f"{latest_word}{_month(latest.period)}は{latest.spoken}{since or 'でした'}。"
        )
    else:
        gap = f"差が最も大きかったのは{latest_word}{_month(worst.period)}で、{shortfall}でした。"
    sources = [f.source for f in (worst, latest) if f.source]
    return Finding(head + gap, unique(sources))


def _shape(series: list[Figure], tolerance: float) -> tuple[object, ...]:
    scored = [f for f in series if f.achievement is not None]
    met = tuple(f.period for f in scored if (f.achievement or 0) >= tolerance)
    missed = tuple(f.period for f in scored if (f.achievement or 0) < tolerance)
    if not met or not missed:
        return (id(series),)  # all met or all missed: said one by one
    worst = min(scored, key=lambda f: f.achievement or 0)
    return (met, missed, worst.period, series[-1].period)


def _same_shape(shaped: list[list[Figure]], tolerance: float) -> list[list[list[Figure]]]:
    """KPIs whose months met and missed are the same, in their order of first appearance."""
    groups: dict[tuple[object, ...], list[list[Figure]]] = {}
    for series in shaped:
        groups.setdefault(_shape(series, tolerance), []).append(series)
    return list(groups.values())


def _missed_together(
    group: list[list[Figure]], span: str, latest_word: str, tolerance: float
) -> Finding:
    """One sentence for KPIs with the same months met and missed (「アポ数と架電数は、…のうち
    9月・10月・1月はほぼ目標どおりで、12月は届きませんでした（…）」), not one per KPI."""
    first = group[0]
    scored = [f for f in first if f.achievement is not None]
    met = [f.period for f in scored if (f.achievement or 0) >= tolerance]
    missed = [f.period for f in scored if (f.achievement or 0) < tolerance]
    worst_period = min(scored, key=lambda f: f.achievement or 0).period
    labels = (
        "と".join(s[0].label for s in group)
        if len(group) == 2
        else ("・".join(s[0].label for s in group))
    )
    near = any(tolerance <= (f.achievement or 0) < 1 for s in group for f in s)
    level = "ほぼ目標どおりで" if near else "目標に届き"
    worst = [next(f for f in s if f.period == worst_period) for s in group]
    gaps = "、".join(f"{f.label}{f.spoken}・達成率{percent(f.achievement)}" for f in worst)
    text = (
        f"{labels}は、{span}のうち、{_months(met)}は{level}、"
        f"{_months(missed)}は届きませんでした（{_month(worst_period)}：{gaps}）。"
    )
    latest = [s[-1] for s in group]
    if latest[0].period != worst_period:
        periods = [f.period for f in first]
        grew = all(
            lf.value > wf.value for lf, wf in zip(latest, worst, strict=True)
        ) and consecutive(periods[periods.index(worst_period) :])
        values = "、".join(f"{f.label}{f.spoken}" for f in latest)
        since = f"と、{_month(worst_period)}から伸びています" if grew else "でした"
        text += f"{latest_word}{_month(latest[0].period)}は、{values}{since}。"
    sources = [f.source for f in worst + latest if f.source]
    return Finding(text, unique(sources))


def _without_target(label: str, series: list[Figure], latest_word: str) -> Finding:
    first, latest = series[0], series[-1]
    values = [f.value for f in series]
    if not consecutive([f.period for f in series]) and len(set(values)) > 1:
        # months are missing in between: the range of what was reported, not a trend
        low, high = min(series, key=lambda f: f.value), max(series, key=lambda f: f.value)
        text = (
            f"{label}は、ご報告いただいた{len(series)}か月では{low.spoken}〜{high.spoken}で、"
            f"{latest_word}{_month(latest.period)}は{latest.spoken}でした。"
        )
        if len(series) <= MAX_LISTED:
            each = [f"{_month(f.period)}が{f.spoken}" for f in series[:-1]]
            text = f"{label}は、{'、'.join(each)}、{latest_word}{_month(latest.period)}が{latest.spoken}でした。"
        return Finding(text, unique([f.source for f in (latest, high) if f.source]))
    if latest.value == first.value:
        change = "と同じです"
    else:
        change = "から増えています" if latest.value > first.value else "から減っています"
    top = max(series, key=lambda f: f.value)
    peak = (
        ""
        if top.value in (first.value, latest.value)
        else (f"（最も多かったのは{_month(top.period)}の{top.spoken}）")
    )
    text = (
        f"{label}は、{latest_word}{_month(latest.period)}が{latest.spoken}で、"
        f"{_month(first.period)}の{first.spoken}{change}{peak}。"
    )
    if len(set(values)) == 1:
        text = f"{label}は、各月とも{latest.spoken}です。"
    return Finding(text, unique([f.source for f in (latest, top) if f.source]))


def _rising_together(
    group: list[list[Figure]], latest_word: str, tolerance: float
) -> list[Finding]:
    """KPIs that all grew month by month, said once (「アポ数・商談数・受注数とも、12月から毎月
    伸びています（アポ数21件→32件→38件、…）」), then which reached the target's level."""
    first, last = group[0][0].period, group[0][-1].period
    labels = "・".join(s[0].label for s in group)
    steps = "、".join(
        (s[0].label if len(group) > 1 else "") + "→".join(f.spoken for f in s) for s in group
    )
    both = "とも" if len(group) > 1 else "は"
    found = [
        Finding(
            f"{labels}{both}、{_month(first)}から毎月伸びています（{steps}）。",
            unique([s[-1].source for s in group if s[-1].source]),
        )
    ]
    reached = [s[-1] for s in group if (s[-1].achievement or 0) >= tolerance]
    short = [s[-1] for s in group if s[-1].achievement is not None and s[-1] not in reached]
    month = f"{latest_word}{_month(last)}"
    if reached:
        each = "、".join(
            f"{f.label}が{f.spoken}（目標の{percent(f.achievement)}）" for f in reached
        )
        close = (
            "と、目標に届いています"
            if all((f.achievement or 0) >= 1 for f in reached)
            else ("まで伸び、ほぼ目標どおりです")
        )
        found.append(
            Finding(
                f"{month}は、{each}{close}。",
                unique([f.source for f in reached if f.source]),
            )
        )
    for figure in short:
        found.append(
            Finding(
                f"{figure.label}は、{month}が{figure.spoken}で、"
                f"月{figure.target_spoken}の目標にはまだ届いていません。",
                unique([figure.source] if figure.source else []),
            )
        )
    return found


def period_overview(
    items: Sequence[Figure],
    *,
    main_kpi: str | None,
    latest: str | None = None,
    tolerance: float = 1.0,
    stale: bool = False,
    external: bool = True,
) -> PeriodOverview:
    """Every reported month, oldest first, for the main KPI and the largest gaps down to 受注;
    `latest` is the latest month known at all (a later one the readers have no figures for
    makes the last reported month no longer 「直近」); `stale`: the newest document is weeks
    before the draft's day, so the last month is 「最後の報告月の」, not 「直近」."""
    periods = sorted({f.period for f in items})
    if len(periods) < 2:
        return PeriodOverview(columns=[], rows=[], findings=[], span="", months=0)
    last = _month(periods[-1]) if periods[0][:4] == periods[-1][:4] else _year_month(periods[-1])
    span = f"{_year_month(periods[0])}〜{last}"
    gaps = not consecutive(periods)
    # the lead sentence names the months once; the KPI sentences say 「この4か月」
    counted = f"この{len(periods)}か月" if gaps else f"{len(periods)}か月"
    latest_word = "直近の" if latest is None or periods[-1] >= latest else ""
    if stale and latest_word:
        latest_word = "最後の報告月の" if external else "最後に報告のあった"
    keys = _keys(items, main_kpi)
    cell = {(f.period, f.key): f for f in items}
    columns: list[PeriodColumn] = []
    findings: list[Finding] = []
    grew: list[list[Figure]] = []
    shaped: list[list[Figure]] = []
    for key in keys:
        series = [cell[(p, key)] for p in periods if (p, key) in cell]
        targets = {f.target_spoken for f in series if f.target is not None}
        label = series[0].label
        columns.append(PeriodColumn(key, label, targets.pop() if len(targets) == 1 else ""))
        if len(series) < 2:
            continue
        scored = [f for f in series if f.achievement is not None]
        if (
            len(series) >= RISING_MONTHS
            and rising(series)
            and any((f.achievement or 0) < tolerance for f in scored)
        ):
            grew.append(series)  # a ramp-up: its trend, not 「いずれも届いていません」
        elif scored:
            shaped.append(series)
        else:
            findings.append(_without_target(label, series, latest_word))
    targeted: list[Finding] = []
    for group in _same_shape(shaped, tolerance):
        if len(group) > 1:
            targeted.append(_missed_together(group, counted, latest_word, tolerance))
        else:
            label = group[0][0].label
            targeted.append(_with_target(label, group[0], counted, latest_word, tolerance))
    findings = targeted + findings
    if grew:
        findings = _rising_together(grew, latest_word, tolerance) + findings
    rows = [PeriodRow(p, [cell.get((p, key)) for key in keys]) for p in periods]
    return PeriodOverview(
        columns=columns,
        rows=rows,
        findings=findings,
        span=span,
        months=len(periods),
        listed=_months(periods) if gaps else "",
    )


def months_between(period: str | None, today: dt.date) -> int:
    """Whole months from the latest reported month to the month before today's (0 when the
    figures are current)."""
    if not period:
        return 0
    months = (today.year * 12 + today.month - 1) - (int(period[:4]) * 12 + int(period[5:7]))
    return max(0, months)


def following(period: str | None) -> str:
    if not period:
        return ""
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12}-{month % 12 + 1:02d}"


STALE_DAYS = 45  # the newest document older than this before the draft's day: nothing is 「直近」


def is_stale(dates: Sequence[dt.date], today: dt.date) -> bool:
    """The newest document is older than `STALE_DAYS` before `today`."""
    return bool(dates) and (today - max(dates)).days > STALE_DAYS


def recent_label(periods: Sequence[str], wanted: int) -> str:
    """How the memo names the months of its recent average: 「直近3か月」 when they follow
    each other, else 「報告のある直近3か月（10・12・1月）」."""
    ordered = sorted(periods)[-wanted:]
    if not ordered or consecutive(ordered):
        return f"直近{len(ordered) or wanted}か月"
    names = "・".join(str(int(p[5:7])) for p in ordered)
    return f"報告のある直近{len(ordered)}か月（{names}月）"
