"""LLM answers: retrieved passages fenced as data, streamed tokens, citations verified.

The model writes its answer with [P3]-style references, then a line `---`, then one
verbatim quote per cited passage. Only the part before `---` is streamed to the user. The
answer is accepted when every reference names a passage it was given and every quote is
found in that passage (and is not an instruction planted in a document); otherwise the
caller shows the offline answer with a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from app.analyse.series import monthly_values
from app.chat.answers import Evidence, OfflineAnswer, SourceSpan
from app.chat.classify import Intent
from app.chat.dates import date_label, period_label
from app.knowledge.prompts import PromptRegistry
from app.llm.evidence import (
    Citation,
    Passage,
    citation_markers,
    fence_passages,
    injected_quotes,
    locate_citations,
    passages_by_id,
    verify_citations,
)
from app.llm.model import ChatModel

PROMPT = "chat_stream"
SEPARATOR = "\n---"
MAX_PASSAGES = 10
MAX_HISTORY_CHARS = 2400
DECLINE = re.compile(r"(確認できません|見当たりません|記載がありません|わかりません|分かりません)")
_CITATION_LINE = re.compile(r"^\s*\[(P\d+)\]\s*[:：]?\s*(.+?)\s*$")
_MARKER = re.compile(r"\[(P\d+)\]")

EventKind = Literal["token", "final", "rejected"]


@dataclass(frozen=True)
class LlmAnswer:
    text: str  # with [1], [2] … in citation order
    citations: tuple[SourceSpan, ...]


@dataclass(frozen=True)
class LlmEvent:
    kind: EventKind
    text: str = ""
    result: LlmAnswer | None = None


def select_passages(evidence: Evidence, offline: OfflineAnswer) -> list[Passage]:
    """The offline answer's sources first (KPI figures), then the retrieved chunks."""
    documents = {d.id: d for d in evidence.documents}
    spans: list[tuple[int, int, int]] = []
    for citation in offline.citations:
        spans.append((citation.document_id, citation.start, citation.end))
    for chunk in evidence.chunks:
        spans.append((chunk.document_id, chunk.start, chunk.end))
    passages: list[Passage] = []
    seen: list[tuple[int, int, int]] = []
    for document_id, start, end in spans:
        document = documents.get(document_id)
        if document is None:
            continue
        if any(d == document_id and s <= start and end <= e for d, s, e in seen):
            continue  # already inside a passage given
        seen.append((document_id, start, end))
        passages.append(
            Passage(
                id=f"P{len(passages) + 1}",
                document_id=document_id,
                start=start,
                end=end,
                text=document.text[start:end],
                period=document.period,
                title=f"{document.title}（{date_label(document.date)}）",
            )
        )
        if len(passages) >= MAX_PASSAGES:
            break
    return passages


def engagement_summary(evidence: Evidence, kpi_labels: dict[str, str]) -> str:
    engagement = evidence.engagement
    targets = (
        "、".join(f"{kpi_labels.get(k, k)} {v:g}" for k, v in engagement.kpi_targets.items())
        or "なし"
    )
    return (
        f"代行会社: {engagement.vendor_name}／サービス: {engagement.service}／"
        f"契約期間: {date_label(engagement.start_date)}〜{date_label(engagement.renewal_date)}／"
        f"月次KPI目標: {targets}／今日: {date_label(evidence.as_of)}"
    )


def kpi_lines(evidence: Evidence, passages: Sequence[Passage], kpi_labels: dict[str, str]) -> str:
    """The stored KPI series as data, each value pointing at the passage that states it."""
    lines: list[str] = []
    for period, by_key in monthly_values(list(evidence.kpis)).items():
        cells: list[str] = []
        for key, point in by_key.items():
            source = next(
                (
                    p.id
                    for p in passages
                    if p.document_id == point.document_id and p.start <= point.start < p.end
                ),
                None,
            )
            reference = f" [{source}]" if source else ""
            cells.append(f"{kpi_labels.get(key, key)} {point.value:g}{reference}")
        lines.append(f"- {period_label(period)}: " + "、".join(cells))
    return "\n".join(lines) or "（KPIの記録はありません）"


def history_text(history: Sequence[tuple[str, str]]) -> str:
    lines: list[str] = []
    for role, content in history:
        speaker = "質問" if role == "user" else "回答"
        lines.append(f"{speaker}: {content.strip()}")
    text = "\n".join(lines)
    return text[-MAX_HISTORY_CHARS:] if text else "（これが最初の質問です）"


def parse_reply(reply: str) -> tuple[str, list[Citation]]:
    """Split the reply into the answer and its `[P3] 「quote」` lines."""
    answer, _, tail = reply.partition(SEPARATOR)
    citations: list[Citation] = []
    for line in tail.splitlines():
        match = _CITATION_LINE.match(line)
        if match:
            citations.append(Citation(passage_id=match.group(1), quote=_unwrap(match.group(2))))
    return answer.strip(), citations


def _unwrap(quote: str) -> str:
    """「…」 around a quote is how it was asked to be written, not part of the text."""
    text = quote.strip()
    for opening, closing in (("「", "」"), ("『", "』"), ('"', '"'), ("“", "”")):
        if len(text) >= 2 and text.startswith(opening) and text.endswith(closing):
            return text[1:-1].strip()
    return text


def verify(
    answer: str,
    citations: Sequence[Citation],
    passages: dict[str, Passage],
    injection: Sequence[re.Pattern[str]],
) -> list[str]:
    """Problems with the answer's references and quotes (empty = accept)."""
    declined = bool(DECLINE.search(answer)) and not citations
    problems = verify_citations(citations, passages, require_citation=not declined)
    markers = citation_markers(answer)
    problems += [f"[{m}]: 提示していない資料IDです。" for m in markers if m not in passages]
    quoted = {c.passage_id for c in citations}
    problems += [f"[{m}]: 引用がありません。" for m in markers if m in passages and m not in quoted]
    problems += injected_quotes(citations, passages, injection)
    return problems


def renumber(answer: str, order: Sequence[str]) -> str:
    """[P7] → [1] in the order the citations are listed."""
    numbers = {passage_id: index for index, passage_id in enumerate(order, start=1)}

    def replace(match: re.Match[str]) -> str:
        number = numbers.get(match.group(1).upper())
        return f"[{number}]" if number else ""

    return _MARKER.sub(replace, normalize_marker_case(answer))


def normalize_marker_case(text: str) -> str:
    return re.sub(r"\[\s*[pPｐＰ]\s*(\d+)\s*\]", lambda m: f"[P{m.group(1)}]", text)


def _visible(buffer: str, emitted: int) -> tuple[str, int, bool]:
    """The new text that can be shown: everything before `---`, minus a tail that might
    be the start of it."""
    cut = buffer.find(SEPARATOR)
    if cut >= 0:
        return buffer[emitted:cut], cut, True
    safe = max(emitted, len(buffer) - len(SEPARATOR))
    return buffer[emitted:safe], safe, False


def stream_answer(
    *,
    model: ChatModel,
    prompts: PromptRegistry,
    evidence: Evidence,
    intent: Intent,
    question: str,
    history: Sequence[tuple[str, str]],
    offline: OfflineAnswer,
    injection: Sequence[re.Pattern[str]],
    kpi_labels: dict[str, str] | None = None,
) -> Iterator[LlmEvent]:
    """Stream the model's answer; end with `final` (verified) or `rejected` (with the reason).

    Raises LLMUnavailable when the model cannot be reached, times out or fails mid-stream.
    """
    labels = kpi_labels or {}
    passages = select_passages(evidence, offline)
    by_id = passages_by_id(passages)
    messages = prompts.get(PROMPT).render(
        question=question,
        engagement_summary=engagement_summary(evidence, labels),
        passages=fence_passages(passages),
        kpi_table=kpi_lines(evidence, passages, labels),
        history=history_text(history),
        question_type=intent.kind,
    )
    buffer = ""
    emitted = 0
    finished = False
    for token in model.stream(messages):
        buffer += token
        if finished:
            continue
        text, emitted, finished = _visible(buffer, emitted)
        if text:
            yield LlmEvent("token", text)
    if not finished and emitted < len(buffer):
        yield LlmEvent("token", buffer[emitted:])

    answer, citations = parse_reply(normalize_marker_case(buffer))
    problems = verify(answer, citations, by_id, injection)
    if problems:
        yield LlmEvent(
            "rejected",
            "LLMの回答の引用を検証できなかったため、オフラインの回答を表示しています（"
            + " / ".join(problems[:2])
            + "）。",
        )
        return
    if not citations and offline.found:
        yield LlmEvent(
            "rejected",
            "LLMは資料から回答できないと判断しましたが、資料に関連する記述が見つかったため、"
            "オフラインの回答を表示しています。",
        )
        return
    spans = locate_citations(citations, by_id)
    order = [span.passage_id for span in spans]
    sources: list[SourceSpan] = []
    documents = {d.id: d for d in evidence.documents}
    for span in spans:
        document = documents[span.document_id]
        sources.append(
            SourceSpan(
                document_id=span.document_id,
                start=span.start,
                end=span.end,
                quote=document.text[span.start : span.end],
                period=document.period,
                title=document.title,
                date=document.date,
            )
        )
    yield LlmEvent("final", result=LlmAnswer(renumber(answer, order), tuple(sources)))
