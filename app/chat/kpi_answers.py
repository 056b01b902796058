"""KPI questions answered from the stored KPI series, each value citing where it is stated."""

from __future__ import annotations

import re

from app.analyse.series import monthly_values
from app.chat.answers import (
    Evidence,
    OfflineAnswer,
    Rules,
    SourceSpan,
    format_value,
    named,
    not_found,
    source_span,
)
from app.chat.classify import Intent
from app.chat.dates import (
    period_label,
)
from app.core.facts import KpiPoint
from app.core.normalize import normalize_for_matching
from app.knowledge.chat import fold

TREND_MONTHS = 6
TREND_RECENT = 3


def _unit_around(evidence: Evidence, point: KpiPoint) -> SourceSpan | None:
    """The sentence or table row holding a KPI figure (more readable than the bare figure)."""
    document = next((d for d in evidence.documents if d.id == point.document_id), None)
    if document is None or not point.quote:
        return None
    for unit in evidence.units.get(document.id, ()):
        if unit.start <= point.start and point.end <= unit.end:
            return source_span(document, unit.start, unit.end)
    return source_span(document, point.start, point.end)


def _kpi_label(rules: Rules, key: str) -> str:
    return str(rules.kpi.kpis[key].label)


def _kpi_format(rules: Rules, key: str, value: float) -> str:
    return format_value(value, str(rules.kpi.kpis[key].unit), rules.chat.kpi.units)


def _series(evidence: Evidence, key: str) -> dict[str, KpiPoint]:
    return {
        period: by_key[key]
        for period, by_key in monthly_values(list(evidence.kpis)).items()
        if key in by_key and period <= evidence.as_of.strftime("%Y-%m")
    }


def _asked_period(intent: Intent, series: dict[str, KpiPoint], rules: Rules) -> str:
    """The month a target question is about: the one named, the first month
    (「稼働初月」), else the latest."""
    named = [p for p in intent.time.periods if p in series]
    if named:
        return named[0]
    if any(fold(word) in intent.normalized for word in rules.chat.kpi.first_month):
        return min(series)
    return max(series)


def answer_kpi(intent: Intent, evidence: Evidence, rules: Rules) -> OfflineAnswer | None:
    """A KPI question from the stored series; None hands it over to extractive answering."""
    key = intent.kpi_key
    if key is None or key not in rules.kpi.kpis:
        return None
    label = _kpi_label(rules, key)
    series = _series(evidence, key)
    target = evidence.engagement.kpi_targets.get(key)
    context = {"kpi": key}

    if intent.kind == "kpi_target":
        if target is None:
            return not_found(evidence, intent, f"{label}の目標は契約情報に登録されていません。")
        text = f"{label}の月間目標は{_kpi_format(rules, key, target)}です（契約情報に登録された目標）。"
        citations: list[SourceSpan] = []
        if series:
            period = _asked_period(intent, series, rules)
            point = series[period]
            source = _unit_around(evidence, point)
            if source:
                citations.append(source)
            which = (
                "" if period in intent.time.periods else "直近の" if period == max(series) else ""
            )
            text += (
                f"\n{which}{period_label(period)}の実績は{_kpi_format(rules, key, point.value)}"
                f"（達成率{point.value / target * 100:.0f}%）です[1]。"
                if source
                else ""
            )
        return OfflineAnswer(text, tuple(citations), True, intent.kind, context)

    if not series:
        return not_found(evidence, intent, f"{label}の実績は、登録されている資料に見当たりません。")

    if intent.kind == "kpi_trend":
        periods = sorted(series)
        if len(intent.time.periods) >= 2:
            low, high = min(intent.time.periods), max(intent.time.periods)
            periods = [p for p in periods if low <= p <= high]
        periods = periods[-TREND_MONTHS:]
        if not periods:
            return not_found(evidence, intent, f"指定の期間の{label}は資料に見当たりません。")
        parts: list[str] = []
        citations = []
        for period in periods:
            source = _unit_around(evidence, series[period])
            marker = ""
            if source is not None:
                citations.append(source)
                marker = f"[{len(citations)}]"
            parts.append(
                f"{period_label(period)} {_kpi_format(rules, key, series[period].value)}{marker}"
            )
        recent = [series[p].value for p in periods[-TREND_RECENT:]]
        first, last = recent[0], recent[-1]
        direction = "増加" if last > first * 1.05 else "減少" if last < first * 0.95 else "横ばい"
        text = f"{label}の推移：" + " → ".join(parts) + "。"
        if len(recent) >= 2:
            text += f"\n直近{len(recent)}か月は{direction}傾向です。"
        if target is not None:
            text += f"（月間目標 {_kpi_format(rules, key, target)}）"
        return OfflineAnswer(text, tuple(citations), True, intent.kind, context)

    if intent.kind == "kpi_extreme":
        pick = max if intent.extreme == "highest" else min
        period = pick(series, key=lambda p: series[p].value)
        source = _unit_around(evidence, series[period])
        word = "最も高かった" if intent.extreme == "highest" else "最も低かった"
        text = (
            f"{label}が{word}のは{period_label(period)}の{_kpi_format(rules, key, series[period].value)}です"
            f"{'[1]' if source else ''}（{len(series)}か月分の記録から）。"
        )
        return OfflineAnswer(text, (source,) if source else (), True, intent.kind, context)

    # A single month's value.
    asked = intent.time.period
    relative_note = ""
    if asked is None:
        asked = max(series)
        relative_note = "直近の"
    context["period"] = asked
    found_point = series.get(asked)
    if found_point is None:
        earlier = [p for p in series if p < asked]
        detail = f"{period_label(asked)}度の{label}は、登録されている資料に記載がありません。"
        if not earlier:
            return not_found(evidence, intent, detail)
        previous = max(earlier)
        source = _unit_around(evidence, series[previous])
        text = (
            f"{detail}\n記録がある直近の月は{period_label(previous)}度で、"
            f"{_kpi_format(rules, key, series[previous].value)}です{'[1]' if source else ''}。"
        )
        return OfflineAnswer(text, (source,) if source else (), True, intent.kind, context)

    point = found_point
    glued = glued_phrase(intent)
    if glued is not None and _narrower_count_stated(glued, evidence, point):
        return None  # 「Aアポは何件」: answered from the sentence, not the month's アポ
    if intent.qualifiers and not _qualifiers_in_source(intent, evidence, point):
        return None  # 「新規開拓分の受注金額」: not necessarily the month's total
    source = _unit_around(evidence, point)
    citations = [source] if source else []
    text = f"{relative_note}{period_label(asked)}度の{label}は{_kpi_format(rules, key, point.value)}です"
    text += "[1]" if source else ""
    if point.corrected:
        text += "（ユーザーによる修正値）"
    if target:
        text += (
            f"（目標 {_kpi_format(rules, key, target)}、達成率 {point.value / target * 100:.0f}%）"
        )
    text += "。"
    others = [
        p
        for p in evidence.kpis
        if p.key == key and p.period == asked and p.document_id != point.document_id and p.quote
    ]
    for other in others[:2]:
        other_source = _unit_around(evidence, other)
        if other_source is None:
            continue
        citations.append(other_source)
        document = next(d for d in evidence.documents if d.id == other.document_id)
        if abs(other.value - point.value) < 1e-9:
            text += f"\n{named(document, rules.vocabulary)}にも同じ値があります[{len(citations)}]。"
        else:
            text += (
                f"\nなお、{named(document, rules.vocabulary)}では{_kpi_format(rules, key, other.value)}"
                f"と記載されています[{len(citations)}]。"
            )
    return OfflineAnswer(text, tuple(citations), True, intent.kind, context)


def _qualifiers_in_source(intent: Intent, evidence: Evidence, point: KpiPoint) -> bool:
    """Whether the words that narrow the question down appear where the figure was stated."""
    document = next((d for d in evidence.documents if d.id == point.document_id), None)
    if document is None:
        return False
    near = [
        unit
        for unit in evidence.units.get(document.id, ())
        if unit.start <= point.end and point.start <= unit.end
    ]
    tokens: set[str] = set()
    for unit in near:
        tokens |= unit.tokens | unit.heading_tokens
    return all(term in tokens for term in intent.qualifiers)


def glued_phrase(intent: Intent) -> str | None:
    """Two question words written together (「Aアポ」「新規商談」): one name for a count,
    possibly narrower than the KPI the lexicon reads in it."""
    for first, second in zip(intent.terms, intent.terms[1:], strict=False):
        for a, b in ((first, second), (second, first)):
            if a + b in intent.normalized:
                return a + b
    return None


def _narrower_count_stated(phrase: str, evidence: Evidence, point: KpiPoint) -> bool:
    """「アポ23件（Aアポ9件）」: the phrase asked is written right before a figure of its
    own where the month's value is stated, so the question asks that figure."""
    source = _unit_around(evidence, point)
    if source is None:
        return False
    text = normalize_for_matching(source.quote)
    for match in re.finditer(re.escape(phrase) + r"\s*[:：]?\s*(\d[\d,]*(?:\.\d+)?)", text):
        if abs(float(match.group(1).replace(",", "")) - point.value) > 1e-9:
            return True
    return False
