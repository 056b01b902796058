"""Turn weighted cue hits into a status, a score, a monthly trend and evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from app.analyse.cues import CueHit
from app.analyse.models import STATUS_LABELS, Citation, SignalResult, Status, TrendPoint
from app.knowledge.rubric import StatusRule

MAX_EVIDENCE = 3
# A heading such as 「■ 気づき」 says nothing by itself: cite sentences, not labels.
MIN_QUOTE_CHARS = 8
MIN_COUNTER_CHARS = 4
UNCITABLE_KINDS = ("greeting", "signature")


def citation(hit: CueHit) -> Citation:
    sentence = hit.sentence
    return Citation(
        document_id=sentence.document.id,
        start=sentence.start,
        end=sentence.end,
        quote=sentence.quote,
        period=sentence.document.month,
        title=sentence.document.title,
    )


def strongest(
    hits: Sequence[CueHit], limit: int = MAX_EVIDENCE, *, min_chars: int = MIN_QUOTE_CHARS
) -> list[Citation]:
    """Hits both a cue and a detector found first, then the heaviest, one per sentence;
    retrieved and newer passages first among equals. Greetings and signatures never.

    A detector hit below its evidence threshold is cited only when no surer hit is: then
    the single strongest, so a judgment always shows the sentence it rests on.
    """
    quotable = [
        hit
        for hit in hits
        if hit.citable
        and len(hit.sentence.quote) >= min_chars
        and hit.sentence.kind not in UNCITABLE_KINDS
    ]
    citable = [hit for hit in quotable if hit.sure]
    if not citable:
        citable, limit = quotable, min(limit, 1)
    ordered = sorted(
        citable,
        key=lambda h: (
            not h.corroborated,
            -round(h.weight, 3),
            not h.sentence.relevant,
            -h.sentence.document.date.toordinal(),
            h.sentence.start,
        ),
    )
    seen: set[tuple[int, int]] = set()
    chosen: list[Citation] = []
    for hit in ordered:
        key = (hit.sentence.document.id, hit.sentence.start)
        if key not in seen:
            seen.add(key)
            chosen.append(citation(hit))
        if len(chosen) == limit:
            break
    return chosen


def status_of(good: float, concern: float, rule: StatusRule) -> tuple[Status, int | None]:
    total = good + concern
    if total < rule.min_evidence_weight:
        return "insufficient_evidence", None
    share = good / total
    score = round(100 * share)
    if share >= rule.good_at_least:
        return "good", score
    if share <= rule.concern_at_most:
        return "concern", score
    return "watch", score


def judge_status_signal(
    *,
    key: str,
    label: str,
    hits: Sequence[CueHit],
    rule: StatusRule,
    periods: Sequence[str],
) -> SignalResult:
    good_hits = [h for h in hits if h.polarity == "good"]
    concern_hits = [h for h in hits if h.polarity == "concern"]
    good = sum(h.weight for h in good_hits)
    concern = sum(h.weight for h in concern_hits)
    status, score = status_of(good, concern, rule)
    by_month: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for hit in hits:
        by_month[hit.sentence.document.month][0 if hit.polarity == "good" else 1] += hit.weight
    trend = [
        TrendPoint(
            period=period,
            score=round(100 * by_month[period][0] / sum(by_month[period]))
            if period in by_month and sum(by_month[period]) > 0
            else None,
        )
        for period in periods
    ]
    supporting = good_hits if status == "good" else concern_hits if status == "concern" else hits
    evidence = strongest(supporting)
    # A card that counts 「懸念 1 件」 shows that concern too (and a concern's good signs).
    opposing = (
        concern_hits if status in ("good", "watch") else good_hits if status == "concern" else []
    )
    shown = {(c.document_id, c.start) for c in evidence}
    # Short lines count here (「所感：特になし」 is the concern), though they never decide.
    counter = [
        c
        for c in strongest(opposing, min_chars=MIN_COUNTER_CHARS)
        if (c.document_id, c.start) not in shown
    ]
    summary = {
        "good": f"{label}は良好です（根拠 {len(good_hits)} 件、懸念 {len(concern_hits)} 件）。",
        "concern": f"{label}に懸念があります（懸念 {len(concern_hits)} 件、良い兆候 {len(good_hits)} 件）。",
        "watch": f"{label}は良い兆候と懸念が拮抗しています（良い兆候 {len(good_hits)} 件、懸念 {len(concern_hits)} 件）。",
        "insufficient_evidence": f"{label}を判断できる記述が文書にありません。",
    }[status]
    return SignalResult(
        key=key,
        label=label,
        status=status,
        status_label=STATUS_LABELS[status],
        score=score,
        trend=trend,
        summary=summary,
        evidence=evidence,
        counter_evidence=counter,
    )
