"""The LLM engine: the model writes the prose slots; structure and citations stay templated.

The model gets the same findings as the offline templates plus the cited passages, fenced as
data. Its answer is used only when every `[P#]` marker names a passage it was given, every
slot is there, and (for the memo) its decision equals the analysis decision; otherwise the
offline wording is kept and the draft carries a note saying why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from app.analyse.models import Citation, DecisionKind
from app.draft.context import DraftContext
from app.errors import LLMUnavailable
from app.knowledge.prompts import PromptRegistry
from app.llm.evidence import Passage, fence_passages, passages_by_id, verify_markers
from app.llm.model import ChatModel, LLMNotConfigured

log = logging.getLogger(__name__)

PROMPT = "draft_prose"
ATTEMPTS = 2
MAX_PASSAGES = 30
MAX_SLOT_CHARS = 2000


class ProseSlot(BaseModel):
    key: str
    text: str


class DraftProse(BaseModel):
    """The model's answer: the decision it was given, and one text per requested slot."""

    decision: DecisionKind | None = Field(description="判定結果の判断をそのまま返す")
    slots: list[ProseSlot]


@dataclass(frozen=True)
class ProseResult:
    prose: dict[str, str] | None
    passages: dict[str, Citation]
    note: str | None
    prompt_version: str


def candidate_citations(context: DraftContext) -> list[Citation]:
    """Every passage the templates may cite, most decision-relevant first, without repeats."""
    groups: list[Iterable[Citation]] = []
    if context.kpi_summary is not None:
        groups.append(context.kpi_summary.evidence)
    groups.append(context.analysis.decision.evidence)
    groups += [s.evidence for s in context.signals]
    groups += [c.evidence for c in context.conditions]
    groups += [r.evidence for r in context.risks]
    groups += [f.evidence for f in context.internal_factors]
    groups += [evidence for p in context.proposals for _key, evidence in p.reasons]
    groups.append(context.contributions)
    groups.append(context.vendor_proposals)
    groups.append([f.source for f in context.figures if f.source is not None][-6:])
    seen: set[tuple[int, int, int]] = set()
    chosen: list[Citation] = []
    for group in groups:
        for citation in context.readers.keep(group):  # external: the vendor's passages only
            key = (citation.document_id, citation.start, citation.end)
            if citation.quote and key not in seen:
                seen.add(key)
                chosen.append(citation)
    return chosen[:MAX_PASSAGES]


def _engagement_summary(context: DraftContext) -> str:
    e = context.engagement
    t = context.timeline
    targets = "、".join(f"{k}={v:g}" for k, v in e.kpi_targets.items()) or "なし"
    return (
        f"代行会社: {e.vendor_name}／サービス: {e.service}／契約期間: {e.start_date}〜"
        f"{e.renewal_date}／解約予告期限: {t.notice_deadline}／振り返りの時期: {t.review_start}〜"
        f"{t.review_end}／月次KPI目標: {targets}"
    )


def _findings(context: DraftContext, ids: dict[tuple[int, int, int], str]) -> str:
    """The verified findings as plain lines, each naming the passage ids that back it."""

    def refs(citations: Iterable[Citation]) -> str:
        found = [ids[k] for c in citations if (k := (c.document_id, c.start, c.end)) in ids]
        return f"（根拠: {', '.join(found[:3])}）" if found else "（根拠なし）"

    a = context.analysis
    lines = [
        f"判断: {a.decision.decision}（{a.decision.label}）／フェーズ: {a.phase_label}",
        "判断の理由: " + " ".join(a.decision.reasons),
    ]
    if context.readers.external:  # sent to the vendor: facts and its own proposals only
        lines = ["この文書は代行会社に送る。社内の判断・評価・点数は書かない。"]
        lines += [f"代行会社の提案: {c.quote}{refs([c])}" for c in context.vendor_proposals]
    if context.kpi_summary is not None:
        lines.append(f"KPI: {context.kpi_summary.text}{refs(context.kpi_summary.evidence)}")
    for signal in context.signals:  # empty in an external context
        lines.append(f"{signal.label}: {signal.state}。{signal.summary}{refs(signal.evidence)}")
    for condition in context.conditions:
        lines.append(
            f"更新の条件: {condition.text}（担当: {condition.owner}、期限: {condition.due}）"
            f"{refs(condition.evidence)}"
        )
    for factor in context.internal_factors:
        lines.append(f"自社要因: {factor.text}{refs(factor.evidence)}")
    for proposal in context.proposals:
        lines.append(f"依頼する提案: {proposal.title}")
    lines.append(f"提案の回答期限: {context.reply_by}")
    return "\n".join(f"- {line}" for line in lines)


def _problems(answer: DraftProse, context: DraftContext, passages: dict[str, Passage]) -> list[str]:
    problems: list[str] = []
    expected = context.analysis.decision.decision
    # The memo must state the decision; the other drafts may leave it out, but not change it.
    if answer.decision != expected and (context.kind == "memo" or answer.decision is not None):
        problems.append(f"判断が分析結果（{expected}）と異なります（{answer.decision}）。")
    texts = {slot.key: slot.text for slot in answer.slots}
    for slot in context.config.kind(context.kind).slots:
        text = texts.get(slot.key, "").strip()
        if not text:
            problems.append(f"スロット {slot.key} がありません。")
            continue
        if len(text) > MAX_SLOT_CHARS:
            problems.append(f"スロット {slot.key} が長すぎます。")
        problems += [f"{slot.key}: {p}" for p in verify_markers(text, passages)]
    return problems


def write_prose(*, model: ChatModel, prompts: PromptRegistry, context: DraftContext) -> ProseResult:
    """Accepted prose per slot, or None with a Japanese note for the offline fallback."""
    prompt = prompts.get(PROMPT)
    version = f"{context.config.templates_version}+{prompt.fingerprint}"
    spec = context.config.kind(context.kind)
    citations = candidate_citations(context)
    passages = [
        Passage(
            id=f"P{index}",
            document_id=c.document_id,
            start=c.start,
            end=c.end,
            text=c.quote,
            period=c.period,
            title=c.title,
        )
        for index, c in enumerate(citations, start=1)
    ]
    by_id = passages_by_id(passages)
    ids = {(p.document_id, p.start, p.end): p.id for p in passages}
    by_passage = {f"P{index}": c for index, c in enumerate(citations, start=1)}
    messages = prompt.render(
        draft_title=spec.label,
        slots="\n".join(f"- {s.key}: {s.title}。{s.instruction}" for s in spec.slots),
        engagement_summary=_engagement_summary(context),
        findings=_findings(context, ids),
        passages=fence_passages(passages),
    )
    problems: list[str] = []
    for _attempt in range(ATTEMPTS):
        try:
            answer = model.structured(messages, DraftProse)
        except LLMNotConfigured:
            return ProseResult(prose=None, passages=by_passage, note=None, prompt_version=version)
        except LLMUnavailable as error:
            log.warning("LLM unavailable for %s draft: %s", context.kind, error.message)
            return ProseResult(
                prose=None,
                passages=by_passage,
                note=f"LLMを利用できなかったため、オフラインの下書きを使用しました（{error.message}）",
                prompt_version=version,
            )
        problems = _problems(answer, context, by_id)
        if not problems:
            return ProseResult(
                prose={slot.key: slot.text for slot in answer.slots},
                passages=by_passage,
                note=None,
                prompt_version=version,
            )
        log.info("LLM draft prose rejected: %s", problems)
    return ProseResult(
        prose=None,
        passages=by_passage,
        note="LLMの下書きを検証できなかったため、オフラインの下書きを使用しました（"
        + " / ".join(problems[:2])
        + "）",
        prompt_version=version,
    )
