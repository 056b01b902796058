"""Presence judgments: enough weight and a sure sentence; a client-side cause's independent
support; the vendor's personnel changes, their months and their handover.

Split from the engine so each stays one idea: the engine gathers sentences and decides, this
module says when a presence signal stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from app.analyse.cues import CueHit, Sentence, any_pattern, match_cues
from app.analyse.detectors import SignalFinder
from app.analyse.detectors.actors import (
    change_side,
    names_a_change,
    writer_changes,
)
from app.analyse.models import PresenceResult
from app.analyse.series import months_between
from app.analyse.signals import strongest
from app.knowledge import Knowledge
from app.knowledge.rubric import Cue

CHANGE_MONTH = re.compile(
    r"(\d{1,2})月(\d{1,2}日)?(より|から|をもって|付け?で?|以降|中に|末で|末をもって|1日)"
)
MONTH_END_DAY = 28
# How far a sentence without a month may be from a dated change and still mean it.
CHANGE_ANNOUNCED_AHEAD = 2
CHANGE_RECALLED_AFTER = 3
# The sentences before a change word without a side that may name whose change it is
# (「私事で恐縮ですが…異動します。後任は営業推進部の森が務めます。」).
CONTEXT_SENTENCES = 2


def present(hits: Sequence[CueHit], threshold: float, knowledge: Knowledge) -> bool:
    """Enough weight, and at least `presence.min_sure_hits` sure sentences among the hits."""
    sure = len({(h.sentence.document.id, h.sentence.start) for h in hits if h.sure})
    return (
        sum(h.weight for h in hits) >= threshold and sure >= knowledge.engine.presence.min_sure_hits
    )


def independent(hits: Sequence[CueHit], knowledge: Knowledge) -> bool:
    """A client-side cause stated in the client's own documents, or in several documents.

    The vendor explaining its own miss in one report (「繁忙期で不在がち」「他社が値下げ」) is
    its account, not the client's finding; the same cause in another month's document, or
    in the client's notes, is independent support.
    """
    needed = knowledge.engine.presence.internal_factor_documents
    sure = [h for h in hits if h.sure]
    return (
        not needed
        or any(h.sentence.author == "client" for h in sure)
        or len({h.sentence.document.id for h in sure}) >= needed
    )


def typed_surely(
    hits: Sequence[CueHit],
    finder: SignalFinder,
    factor_type: str,
    cues: Sequence[Cue],
    unless: Sequence[str],
    *,
    sure_at: float,
) -> list[CueHit]:
    """A client-side cause's type is sure only when a cue of that type says it, or the type
    detector gives the type at least `sure_at` (engine.yaml `presence.factor_type_sure`): the type is the likeliest of five, and a
    sentence of no type in particular (「『やっぱり今回は見送る』となった先が多い」, product at
    0.34) is the likeliest of something. Such a hit still counts; it never establishes the cause.
    """
    column = finder.scores.keys.index(f"internal_factors.type.{factor_type}")
    rows = {id(sentence): row for row, (sentence, _w) in enumerate(finder.corpus)}
    kept: list[CueHit] = []
    for hit in hits:
        row = rows.get(id(hit.sentence))
        typed = row is None or finder.scores.values[row, column] >= sure_at
        if hit.sure and not typed:
            said = match_cues([(hit.sentence, 1.0)], cues=cues, unless=unless, memo=finder.memo)
            hit = hit if said else replace(hit, sure=False)
        kept.append(hit)
    return kept


def change_month(hit: CueHit) -> str | None:
    """The month a change takes effect when the sentence names it (「8月より」), else None.

    Leaving at the end of a month (「9月30日をもって退職」「3月末で」) takes effect the next month.
    """
    document = hit.sentence.document
    match = CHANGE_MONTH.search(hit.sentence.normalized)
    if not match:
        return None
    month = int(match.group(1))
    if not 1 <= month <= 12:
        return None
    year = document.date.year
    # 「1月より」 written in a December document means next January.
    if month < document.date.month - 6:
        year += 1
    elif month > document.date.month + 6:
        year -= 1
    day = int(match.group(2)[:-1]) if match.group(2) else None
    leaves = match.group(3) in ("をもって", "末で", "末をもって")
    if leaves and (match.group(3).startswith("末") or (day is not None and day >= MONTH_END_DAY)):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year}-{month:02d}"


def change_periods(hits: Sequence[CueHit]) -> list[str]:
    """The distinct changes the hits speak of, as the months they take effect.

    A sentence naming no month (「前任の中村から…」「担当交代の際も丁寧に…」) refers to the dated
    change closest to its document — announced up to two months ahead, looked back on up to
    three months later — and only counts as a change of its own when there is none and it is
    a sure hit: a weak detector score (an attendee list naming the vendor's staff) supports a
    change, never adds one, so the memo's count of changes is not inflated.
    """
    dated = sorted({month for hit in hits if (month := change_month(hit)) is not None})
    periods = set(dated)
    for hit in hits:
        if change_month(hit) is not None:
            continue
        month = hit.sentence.document.month
        near = [
            (abs(months_between(change, month)), change)
            for change in dated
            if -CHANGE_ANNOUNCED_AHEAD <= months_between(change, month) <= CHANGE_RECALLED_AFTER
        ]
        if near:
            periods.add(min(near)[1])
        elif hit.sure:
            periods.add(month)
    return sorted(periods or {hit.sentence.document.month for hit in hits})


def vendors_changes(
    hits: Sequence[CueHit], corpus: Sequence[tuple[Sentence, float]]
) -> list[CueHit]:
    """The hits that speak of a change of the vendor's staff.

    A sentence with no change word (an attendee list naming roles) may support a change but
    is never a sure one (a change said not to happen the finder has already dropped).
    A change word with no side of its own (「後任は営業推進部の森が務めます」) right after the
    client's writer announced its own change (「私事で恐縮ですが…異動します」) is that change.
    """
    order = {id(sentence): row for row, (sentence, _w) in enumerate(corpus)}
    kept: list[CueHit] = []
    for hit in hits:
        sentence = hit.sentence
        if not names_a_change(sentence):
            kept.append(replace(hit, sure=False))
            continue
        if change_side(sentence) is None and _follows_clients_change(sentence, corpus, order):
            continue
        kept.append(hit)
    return kept


def _follows_clients_change(
    sentence: Sentence, corpus: Sequence[tuple[Sentence, float]], order: dict[int, int]
) -> bool:
    """The nearest change named just before, in the same document, is the client's writer's."""
    row = order.get(id(sentence))
    if row is None:
        return False
    for earlier, _w in reversed(corpus[max(0, row - CONTEXT_SENTENCES) : row]):
        if earlier.document.id != sentence.document.id or not names_a_change(earlier):
            continue
        side = change_side(earlier)
        return side == "third" or (writer_changes(earlier) and side == "client")
    return False


def personnel_change(
    corpus: list[tuple[Sentence, float]], knowledge: Knowledge, finder: SignalFinder
) -> tuple[PresenceResult, int]:
    spec = knowledge.signals.signals["personnel_change"]
    hits = vendors_changes(finder("personnel_change", spec.cues, spec.unless), corpus)
    if not present(hits, knowledge.engine.presence.personnel_change, knowledge):
        return (
            PresenceResult(
                key="personnel_change",
                label=spec.label,
                present=False,
                summary="担当者交代を示す記述は見当たりません。",
                evidence=[],
            ),
            0,
        )
    periods = change_periods(hits)
    handover_docs = {hit.sentence.document.id for hit in hits}
    good = risk = 0
    assert spec.handover is not None
    for sentence, _weight in corpus:
        if sentence.document.id not in handover_docs and not any_pattern(sentence, ["引き?継"]):
            continue
        good += any_pattern(sentence, spec.handover.good)
        risk += any_pattern(sentence, spec.handover.risk)
    handover: Literal["smooth", "rough", "unknown"] = (
        "rough" if risk > good else "smooth" if good else "unknown"
    )
    handover_text = {
        "rough": "引き継ぎに問題がありました",
        "smooth": "引き継ぎは計画的でした",
        "unknown": "引き継ぎの状況は記録がありません",
    }[handover]
    return (
        PresenceResult(
            key="personnel_change",
            label=spec.label,
            present=True,
            periods=periods,
            summary=f"担当者交代が{len(periods)}回（{'、'.join(periods)}）ありました。{handover_text}。",
            evidence=strongest(hits),
            handover=handover,
        ),
        len(periods),
    )
