"""Portfolio questions across every engagement: 「商談化率が一番高い代行会社は？」.

KPI rankings come from each engagement's stored KPI series, renewal timing from the
contracts, events (担当者交代, 停滞, 期待値のズレ) from the stored analyses; anything else is
searched across all engagements and answered by the engagement-level engine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.analyse.models import Citation, EngagementAnalysis, PresenceResult
from app.chat.answers import Evidence, OfflineAnswer, Rules, SourceSpan, source_span
from app.chat.classify import Intent
from app.chat.dates import date_label, period_label
from app.knowledge.chat import ContractWords, PortfolioWords, fold

TOP = 3
PRESENCE_EVENTS = ("personnel_change", "stagnation", "expectation_gap")


@dataclass(frozen=True)
class PortfolioCitation:
    span: SourceSpan
    engagement_id: int
    vendor_name: str


@dataclass(frozen=True)
class PortfolioAnswer:
    text: str
    citations: tuple[PortfolioCitation, ...]
    found: bool
    kind: str


@dataclass(frozen=True)
class EngagementView:
    """What a portfolio answer needs to know about one engagement."""

    evidence: Evidence
    analysis: EngagementAnalysis | None = None

    @property
    def vendor(self) -> str:
        return self.evidence.engagement.vendor_name


def span_of(view: EngagementView, document_id: int, start: int, end: int) -> SourceSpan | None:
    document = next((d for d in view.evidence.documents if d.id == document_id), None)
    if document is None or end <= start:
        return None
    for unit in view.evidence.units.get(document_id, ()):
        if unit.start <= start and end <= unit.end:
            start, end = unit.start, unit.end
            break
    return source_span(document, start, end)


def cite_first(
    view: EngagementView, evidence: Sequence[Citation], citations: list[PortfolioCitation]
) -> str:
    """Cite the analysis's first piece of evidence when it still quotes the stored text; the
    marker to append to the line (「[2]」), or nothing."""
    for citation in evidence[:1]:
        span = span_of(view, citation.document_id, citation.start, citation.end)
        if span is not None and span.quote == citation.quote:
            citations.append(PortfolioCitation(span, view.evidence.engagement.id, view.vendor))
            return f"[{len(citations)}]"
    return ""


def _deadline(view: EngagementView) -> dt.date:
    """The notice deadline (renewal date − notice days); the renewal date without one."""
    engagement = view.evidence.engagement
    return engagement.renewal_date - dt.timedelta(days=engagement.notice_days or 0)


ContractField = Literal["notice", "renewal", "start", "fee", "term"]
Direction = Literal["soonest", "earliest", "latest", "cheapest", "dearest", "shortest", "longest"]
FIELD_LABELS: dict[str, str] = {
    "notice": "解約予告期限",
    "renewal": "契約満了日",
    "start": "契約開始日",
    "fee": "月額費用",
    "term": "契約期間",
}
DECISION = "decision:"


def contract_question(
    intent: Intent, words: ContractWords
) -> tuple[ContractField, Direction] | None:
    """Which contract field the question ranks, and in which order."""

    def named(terms: Sequence[str]) -> bool:
        return any(fold(term) in intent.normalized for term in terms)

    if named(words.term) and (named(words.shortest) or named(words.longest)):
        return "term", "shortest" if named(words.shortest) else "longest"
    field: ContractField | None = (
        "notice"
        if named(words.notice)
        else "renewal"
        if named([*words.renewal, *words.expiry])
        else "start"
        if named(words.start)
        else "fee"
        if named(words.fee)
        else None
    )
    if field is None:
        return None
    if field == "fee":
        if named(words.cheapest):
            return field, "cheapest"
        return (field, "dearest") if named(words.dearest) else None
    if named(words.latest):
        return field, "latest"
    if named(words.earliest) and not (field != "start" and named(["近い", "迫"])):
        return field, "earliest"
    if field != "start" and named(words.soonest):
        return field, "soonest"
    return None


def contract_order(
    views: Sequence[EngagementView], field: ContractField, direction: Direction, today: dt.date
) -> PortfolioAnswer:
    """Contracts ranked by one field of their records (notice deadline, renewal, start, fee)."""

    def value(view: EngagementView) -> dt.date | int | None:
        engagement = view.evidence.engagement
        if field == "notice":
            return _deadline(view)
        if field == "renewal":
            return engagement.renewal_date
        if field == "start":
            return engagement.start_date
        if field == "term":
            return (engagement.renewal_date - engagement.start_date).days
        return engagement.monthly_fee_jpy

    rows = [(value(view), view) for view in views]
    ranked = [(v, view) for v, view in rows if v is not None]
    if direction == "soonest":
        ranked = [(v, view) for v, view in ranked if isinstance(v, dt.date) and v >= today]
    ranked.sort(key=lambda row: row[0], reverse=direction in ("latest", "dearest", "longest"))
    label = FIELD_LABELS[field]
    if not ranked:
        return PortfolioAnswer(f"これから{label}を迎える契約はありません。", (), False, "contract")

    def shown(v: dt.date | int) -> str:
        if field == "term" and isinstance(v, int):
            return f"約{round(v / 30.4)}か月"
        if isinstance(v, dt.date):
            days = (v - today).days
            when = f"あと{days}日" if days >= 0 else f"{-days}日前"
            return f"{date_label(v)}（{when}）"
        return f"{v:,}円"

    lines = [
        f"・{view.vendor}（{view.evidence.engagement.service}）：{label} {shown(v)}"
        for v, view in ranked[:TOP]
    ]
    word = {
        "soonest": "最も近い",
        "earliest": "最も早い",
        "latest": "最も遅い" if field != "start" else "最も新しい",
        "cheapest": "最も安い",
        "dearest": "最も高い",
        "shortest": "最も短い",
        "longest": "最も長い",
    }[direction]
    first_value, first = ranked[0]
    text = (
        f"{label}が{word}のは{first.vendor}で、{shown(first_value)}です"
        f"（契約情報より、{len(ranked)}契約を比較）。\n" + "\n".join(lines)
    )
    return PortfolioAnswer(text, (), True, "contract")


def renewal_order(views: Sequence[EngagementView], today: dt.date) -> PortfolioAnswer:
    """Contracts by renewal date, with the notice deadline (renewal date − notice days)."""
    upcoming = sorted(
        (v for v in views if v.evidence.engagement.renewal_date >= today),
        key=lambda v: v.evidence.engagement.renewal_date,
    )
    if not upcoming:
        return PortfolioAnswer("これから更新日を迎える契約はありません。", (), False, "renewal")
    lines: list[str] = []
    for view in upcoming[:TOP]:
        engagement = view.evidence.engagement
        line = f"・{view.vendor}（{engagement.service}）：{date_label(engagement.renewal_date)}"
        if engagement.notice_days is not None:
            deadline = engagement.renewal_date - dt.timedelta(days=engagement.notice_days)
            line += f"、解約予告期限 {date_label(deadline)}"
        lines.append(line)
    first = upcoming[0]
    days = (first.evidence.engagement.renewal_date - today).days
    text = (
        f"更新日が最も近いのは{first.vendor}で、あと{days}日です（契約情報より）。\n"
        + "\n".join(lines)
    )
    return PortfolioAnswer(text, (), True, "renewal")


def presence_listing(event: str, views: Sequence[EngagementView], rules: Rules) -> PortfolioAnswer:
    """Engagements where the analysis found the event, each with its first cited passage."""
    label = rules.chat.events[event].label
    citations: list[PortfolioCitation] = []
    lines: list[str] = []
    checked = 0
    for view in views:
        if view.analysis is None:
            continue
        checked += 1
        result: PresenceResult = getattr(view.analysis, event)
        if not result.present:
            continue
        periods = "・".join(period_label(p) for p in result.periods)
        line = f"・{view.vendor}" + (f"（{periods}）" if periods else "")
        lines.append(line + cite_first(view, result.evidence, citations))
    if not lines:
        return PortfolioAnswer(
            f"{label}があった契約は見当たりません（{checked}契約の分析結果を確認）。",
            (),
            checked > 0,
            "presence",
        )
    text = f"{label}があった契約は{len(lines)}件です。\n" + "\n".join(lines)
    return PortfolioAnswer(text, tuple(citations), True, "presence")


def combine(answers: Sequence[tuple[EngagementView, OfflineAnswer]]) -> PortfolioAnswer:
    """Engagement-level answers, each headed by its vendor, citations renumbered."""
    found = [(view, answer) for view, answer in answers if answer.found]
    if not found:
        return PortfolioAnswer(
            "ご質問の内容についての記載は、どの契約の資料にも見当たりませんでした。推測ではお答えできません。",
            (),
            False,
            "search",
        )
    citations: list[PortfolioCitation] = []
    blocks: list[str] = []
    for view, answer in found:
        text = _shift_markers(answer.text, len(citations))
        citations.extend(
            PortfolioCitation(span, view.evidence.engagement.id, view.vendor)
            for span in answer.citations
        )
        blocks.append(f"【{view.vendor}】{text}")
    return PortfolioAnswer("\n".join(blocks), tuple(citations), True, "search")


def _shift_markers(text: str, offset: int) -> str:
    """[1] → [1 + offset]: citations of several answers share one numbering."""
    return re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + offset}]", text)


def route(intent: Intent, words: ContractWords, rankings: PortfolioWords) -> str:
    """Which portfolio answer fits the question."""

    def named(terms: Sequence[str]) -> bool:
        return any(fold(term) in intent.normalized for term in terms)

    if named(rankings.cost):
        return "cost"
    if intent.kpi_key is not None or intent.kpi_keys:
        return "kpi"
    if named(rankings.results):
        return "results"
    ranked = contract_question(intent, words)
    if ranked is not None:
        return "renewal" if ranked == ("renewal", "soonest") else "contract"
    for decision, terms in rankings.decisions.items():
        if named(terms):
            return DECISION + decision
    for event in intent.events:
        if event in PRESENCE_EVENTS:
            return event
    return "search"


def decision_listing(kind: str, views: Sequence[EngagementView]) -> PortfolioAnswer:
    """The engagements whose stored analysis reached the decision asked about, each with
    its reasons and the analysis's first cited passage."""
    wanted = kind.removeprefix(DECISION)
    analysed = [view for view in views if view.analysis is not None]
    citations: list[PortfolioCitation] = []
    lines: list[str] = []
    label = ""
    for view in analysed:
        assert view.analysis is not None
        decision = view.analysis.decision
        if decision.decision != wanted:
            continue
        label = decision.label
        line = f"・{view.vendor}：{'、'.join(decision.reasons[:2]) or decision.label}"
        lines.append(line + cite_first(view, decision.evidence, citations))
    if not lines:
        return PortfolioAnswer(
            f"その判断になった契約は見当たりません（{len(analysed)}契約の分析結果を確認）。",
            (),
            bool(analysed),
            "decision",
        )
    text = f"分析の判断が「{label}」の契約は{len(lines)}件です。\n" + "\n".join(lines)
    return PortfolioAnswer(text, tuple(citations), True, "decision")
