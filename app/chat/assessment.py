"""Questions about the renewal itself, answered from the stored analysis.

「この契約は更新すべきですか？」「リスクは？」「更新の場で何を確認すべき？」「更新の条件は？」
are judgments, not facts one sentence states: the answer is the analysis's decision, its
reasons, conditions, concerns and open checks, each with the analysis's own citations. A
keyword hit in a document never becomes a yes or a no. Pure, like `app.chat.offline`.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.analyse.models import Citation, EngagementAnalysis, PresenceResult
from app.chat.answers import Evidence, OfflineAnswer, Rules, SourceSpan, source_span, where
from app.chat.classify import Intent
from app.chat.dates import date_label

MAX_ITEMS = 5
MAX_QUOTE_CHARS = 70


class _Cited:
    """Citations collected in order; each is checked against its stored document."""

    def __init__(self, evidence: Evidence) -> None:
        self.documents = {d.id: d for d in evidence.documents}
        self.spans: list[SourceSpan] = []

    def marker(self, citations: Sequence[Citation]) -> str:
        """`[n]` for the first citation that is still an exact stored passage, else ''."""
        for citation in citations:
            document = self.documents.get(citation.document_id)
            if document is None or document.text[citation.start : citation.end] != citation.quote:
                continue  # a document deleted or changed since the analysis
            span = source_span(document, citation.start, citation.end)
            if span not in self.spans:
                self.spans.append(span)
            return f"[{self.spans.index(span) + 1}]"
        return ""

    def quoted(self, citations: Sequence[Citation]) -> str:
        """`[n]` with the cited words (「…」[n]): a concern reads as what was written, not
        only as the signal's name."""
        marker = self.marker(citations)
        if not marker:
            return ""
        quote = next(c.quote for c in citations if self.marker([c]) == marker).strip()
        if len(quote) > MAX_QUOTE_CHARS:
            quote = quote[: MAX_QUOTE_CHARS - 1] + "…"
        return f"　「{quote}」{marker}"


def _concerns(analysis: EngagementAnalysis, cited: _Cited) -> list[str]:
    """What the analysis found wrong: signals in concern, events present, internal factors."""
    lines: list[str] = []
    for signal in analysis.signals.values():
        if signal.status == "concern":
            lines.append(f"・{signal.label}：{signal.summary}{cited.quoted(signal.evidence)}")
    presences: list[PresenceResult] = [
        analysis.personnel_change,
        analysis.expectation_gap,
        analysis.stagnation,
    ]
    for presence in presences:
        if presence.present:
            lines.append(f"・{presence.label}：{presence.summary}{cited.quoted(presence.evidence)}")
    for factor in analysis.internal_factors:
        lines.append(f"・自社側の要因（{factor.label}）{cited.marker(factor.evidence)}")
    return lines[:MAX_ITEMS]


def _watch(analysis: EngagementAnalysis, cited: _Cited) -> list[str]:
    """Signals to keep an eye on (status watch), when nothing is in concern."""
    return [
        f"・{signal.label}：{signal.summary}{cited.marker(signal.evidence)}"
        for signal in analysis.signals.values()
        if signal.status == "watch"
    ][:MAX_ITEMS]


def _conditions(analysis: EngagementAnalysis) -> list[str]:
    return [
        f"・{condition.text}（対応：{condition.owner}）"
        for condition in analysis.decision.conditions
    ]


def _reasons(analysis: EngagementAnalysis, cited: _Cited) -> list[str]:
    decision = analysis.decision
    marker = cited.marker(decision.evidence)
    lines = [f"・{reason}" for reason in decision.reasons[:MAX_ITEMS]]
    if lines and marker:
        lines[0] += marker
    for citation in decision.evidence[1:3]:
        extra = cited.marker([citation])
        if extra and extra != marker:
            lines.append(f"　根拠：「{citation.quote.strip()}」{extra}")
    return lines


def answer_assessment(
    intent: Intent,
    evidence: Evidence,
    rules: Rules,
    passage: OfflineAnswer | None = None,
) -> OfflineAnswer | None:
    """The analysis's answer to the aspect asked; `passage` (the best document answer, if
    one passed the threshold) follows it as what the documents themselves say."""
    analysis = evidence.analysis
    if analysis is None or intent.aspect is None:
        return None
    cited = _Cited(evidence)
    decision = analysis.decision
    as_of = date_label(analysis.as_of)
    verdict = (
        f"{as_of}時点の分析では、更新の判断は「{decision.label}」です（{analysis.phase_label}）。"
    )
    lines: list[str]
    if intent.aspect == "decision":
        lines = [verdict, "判断の理由：", *_reasons(analysis, cited)]
        if decision.conditions:
            lines += ["更新する場合の条件：", *_conditions(analysis)]
    elif intent.aspect == "risks":
        concerns = _concerns(analysis, cited)
        if concerns:
            lines = [f"{as_of}時点の分析で懸念として挙がっているのは次の点です。", *concerns]
        else:
            watch = _watch(analysis, cited)
            lines = [f"{as_of}時点の分析では、懸念と判定された項目はありません。"]
            if watch:
                lines += ["注意して見ておきたい点：", *watch]
        lines.append(f"（更新の判断は「{decision.label}」）")
    elif intent.aspect == "checks":
        checks = [f"・{check}" for check in analysis.open_checks[:MAX_ITEMS]]
        for factor in analysis.internal_factors:
            checks += [f"・{check}" for check in factor.checks if f"・{check}" not in checks]
        lines = [verdict, "更新の検討で確認したい点は次のとおりです。", *checks[:MAX_ITEMS]]
        if decision.conditions:
            lines += ["条件として確認・合意したいこと：", *_conditions(analysis)]
        concerns = _concerns(analysis, cited)
        if concerns:
            lines += ["懸念について先方に確認したいこと：", *concerns]
        if len(lines) == 2:
            lines = [
                verdict,
                "特に残っている確認事項はありません。判断の理由：",
                *_reasons(analysis, cited),
            ]
    else:
        if decision.conditions:
            lines = [
                f"{as_of}時点の分析では「{decision.label}」とし、次の条件を挙げています。",
                *(
                    f"・{c.text}（対応：{c.owner}）— {c.reason}"
                    for c in decision.conditions[:MAX_ITEMS]
                ),
            ]
            marker = cited.marker(decision.evidence)
            lines[0] += marker
        else:
            lines = [
                verdict,
                "分析上、更新に付けるべき条件は示されていません。",
                *_reasons(analysis, cited),
            ]
    text = "\n".join(lines)
    citations = list(cited.spans)
    if passage is not None and passage.found and passage.citations:
        offset = len(citations)
        document = passage.citations[0]
        quote = document.quote.strip()
        citations.extend(passage.citations[:1])
        facts = next((d for d in evidence.documents if d.id == document.document_id), None)
        source = f"（{where(facts, rules.vocabulary)}）" if facts is not None else ""
        text += f"\n資料の関連する記載：「{quote}」[{offset + 1}]{source}"
    return OfflineAnswer(text, tuple(citations), True, intent.kind, {})
