"""The offline engine: deterministic analysis of one engagement as of a date.

Pure domain code: plain facts in, an `EngagementAnalysis` out. Retrieval relevance, when
given, only orders evidence; judgments come from the knowledge cues and the KPI series.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Literal

from app.analyse.cues import (
    CueHit,
    CueMatches,
    Sentence,
    any_pattern,
    is_injection,
    sentences,
)
from app.analyse.decision import Findings, decide, decide_phase
from app.analyse.detectors import DetectorScores, SignalFinder, score_corpus
from app.analyse.models import (
    PHASE_LABELS,
    Citation,
    EngagementAnalysis,
    InternalFactor,
    PresenceResult,
    SignalResult,
)
from app.analyse.series import (
    funnel,
    kpi_conflicts,
    kpi_table,
    main_kpi,
    monthly_values,
    months_between,
    numeric_stagnation,
    series_of,
)
from app.analyse.signals import judge_status_signal, strongest
from app.core.cache import BoundedCache
from app.core.facts import DocumentFacts, EngagementFacts, KpiPoint, author_of
from app.core.vocabulary import STATUS_SIGNALS
from app.knowledge import Knowledge

CHANGE_MONTH = re.compile(
    r"(\d{1,2})月(\d{1,2}日)?(より|から|をもって|付け?で?|以降|中に|末で|末をもって|1日)"
)
MONTH_END_DAY = 28
# How far a sentence without a month may be from a dated change and still mean it.
CHANGE_ANNOUNCED_AHEAD = 2
CHANGE_RECALLED_AFTER = 3


def analyse(
    *,
    engagement: EngagementFacts,
    documents: Sequence[DocumentFacts],
    kpis: Sequence[KpiPoint],
    knowledge: Knowledge,
    as_of: dt.date,
    relevant: Mapping[int, Sequence[tuple[int, int]]] | None = None,
    signal_overrides: Mapping[str, SignalResult] | None = None,
    memo: CueMatches | None = None,
    scores_memo: DetectorScores | None = None,
) -> EngagementAnalysis:
    """`signal_overrides` replaces offline status signals (the LLM path) before deciding.

    `memo` remembers cue matches between calls (the container's cache); without one, a
    fresh cache serves this call only.
    """
    if memo is None:
        memo = BoundedCache(100_000)
    rules = knowledge.engine
    spec = knowledge.signals
    docs = sorted((d for d in documents if d.date <= as_of), key=lambda d: (d.date, d.id))
    doc_ids = {d.id for d in docs}
    points = [p for p in kpis if p.document_id in doc_ids]
    notes: list[str] = []
    latest = max((d.month for d in docs), default=as_of.strftime("%Y-%m"))
    periods = sorted({d.month for d in docs})

    corpus: list[tuple[Sentence, float]] = []
    injected = 0
    for document in docs:
        author = author_of(document, engagement.vendor_name)
        weight = rules.weights.author[author] * _recency(document.month, latest, knowledge)
        for sentence in sentences(document, author, (relevant or {}).get(document.id, ())):
            if is_injection(sentence, knowledge.injection_regexes):
                injected += 1
                continue
            corpus.append((sentence, weight))
    if injected:
        notes.append(
            f"文書内に指示文のような記述が{injected}件ありました。文書の内容はデータとして扱い、判断材料から除外しています。"
        )

    signals: dict[str, SignalResult] = {}
    # Status signals: the learned sentence detectors plus the regex cues (the heavier counts).
    scores = score_corpus(corpus, knowledge, scores_memo)
    finder = SignalFinder(corpus, scores, knowledge.engine.detector_signals, memo)
    for key in STATUS_SIGNALS:
        signal = spec.signals[key]
        hits = finder(key, signal.cues, signal.unless)
        signals[key] = judge_status_signal(
            key=key, label=signal.label, hits=hits, rule=rules.status, periods=periods
        )
    signals.update(signal_overrides or {})

    personnel, change_count = _personnel_change(corpus, knowledge, finder)
    gap_spec = spec.signals["expectation_gap"]
    gap_hits = finder("expectation_gap", gap_spec.cues, gap_spec.unless)
    gap_present = _present(gap_hits, rules.presence.expectation_gap, knowledge)
    expectation_gap = PresenceResult(
        key="expectation_gap",
        label=gap_spec.label,
        present=gap_present,
        periods=sorted({h.sentence.document.month for h in gap_hits}) if gap_present else [],
        summary="成果の定義や期待値について両社の認識にズレがあります。"
        if gap_present
        else "期待値のズレを示す記述は見当たりません。",
        evidence=strongest(gap_hits) if gap_present else [],
    )

    values = monthly_values(points)
    titles = {d.id: d.title for d in docs}
    main = main_kpi(values, targets=engagement.kpi_targets, rules=rules)
    series = series_of(values, main, engagement.kpi_targets.get(main)) if main else None
    achievement = series.recent_achievement(rules.kpi.recent_months) if series else None
    stagnation = _stagnation(values, series, achievement, knowledge, titles, finder)

    shortfall = stagnation.present or (
        achievement is not None and achievement < rules.decision.renew_min_achievement
    )
    factors = _internal_factors(knowledge, finder) if shortfall else []
    found_types = {factor.type for factor in factors}
    open_checks = [
        check
        for key, factor_type in spec.internal_factors.types.items()
        if key not in found_types
        for check in factor_type.checks
    ]

    months_active = months_between(engagement.start_date.strftime("%Y-%m"), latest) + 1
    phase = decide_phase(months_active=months_active, stagnant=stagnation.present, rules=rules)
    decision = decide(
        Findings(
            phase=phase,
            achievement=achievement,
            proactivity=signals["proactivity"],
            communication=signals["communication"],
            dependency=signals["dependency"],
            personnel_change=personnel,
            personnel_changes=change_count,
            expectation_gap=expectation_gap,
            stagnation=stagnation,
            internal_factor_types=sorted(found_types),
            internal_factor_labels=[factor.label for factor in factors],
            documents=len(docs),
        ),
        rules=rules,
    )
    return EngagementAnalysis(
        engagement_id=engagement.id,
        as_of=as_of,
        knowledge_version=knowledge.version,
        phase=phase,
        phase_label=PHASE_LABELS[phase],
        main_kpi=main,
        recent_achievement=achievement,
        signals=signals,
        personnel_change=personnel,
        expectation_gap=expectation_gap,
        stagnation=stagnation,
        internal_factors=factors,
        open_checks=open_checks,
        kpi_table=kpi_table(
            values,
            targets=engagement.kpi_targets,
            monthly_fee=engagement.monthly_fee_jpy,
            titles=titles,
        ),
        kpi_conflicts=kpi_conflicts(points, titles),
        funnel=funnel(values, targets=engagement.kpi_targets, rules=rules),
        decision=decision,
        notes=notes,
        documents_considered=len(docs),
    )


def _present(hits: Sequence[CueHit], threshold: float, knowledge: Knowledge) -> bool:
    """Enough weight, and at least `presence.min_sure_hits` sure sentences among the hits."""
    sure = len({(h.sentence.document.id, h.sentence.start) for h in hits if h.sure})
    return (
        sum(h.weight for h in hits) >= threshold and sure >= knowledge.engine.presence.min_sure_hits
    )


def _independent(hits: Sequence[CueHit], knowledge: Knowledge) -> bool:
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


def _recency(month: str, latest: str, knowledge: Knowledge) -> float:
    back = months_between(month, latest)
    for step in knowledge.engine.weights.recency:
        if back <= step.months_back_at_most:
            return step.weight
    return knowledge.engine.weights.recency[-1].weight


def _change_month(hit: CueHit) -> str | None:
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


def _change_periods(hits: Sequence[CueHit]) -> list[str]:
    """The distinct changes the hits speak of, as the months they take effect.

    A sentence naming no month (「前任の中村から…」「担当交代の際も丁寧に…」) refers to the dated
    change closest to its document — announced up to two months ahead, looked back on up to
    three months later — and only counts as a change of its own when there is none and it is
    a sure hit: a weak detector score (an attendee list naming the vendor's staff) supports a
    change, never adds one, so the memo's count of changes is not inflated.
    """
    dated = sorted({month for hit in hits if (month := _change_month(hit)) is not None})
    periods = set(dated)
    for hit in hits:
        if _change_month(hit) is not None:
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


def _personnel_change(
    corpus: list[tuple[Sentence, float]], knowledge: Knowledge, finder: SignalFinder
) -> tuple[PresenceResult, int]:
    spec = knowledge.signals.signals["personnel_change"]
    hits = finder("personnel_change", spec.cues, spec.unless)
    present = _present(hits, knowledge.engine.presence.personnel_change, knowledge)
    if not present:
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
    periods = _change_periods(hits)
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


def _stagnation(
    values: dict[str, dict[str, KpiPoint]],
    series: object,
    achievement: float | None,
    knowledge: Knowledge,
    titles: dict[int, str],
    finder: SignalFinder,
) -> PresenceResult:
    from app.analyse.series import Series

    rules = knowledge.engine
    spec = knowledge.signals.stagnation
    window: list[str] = []
    evidence: list[Citation] = []
    if isinstance(series, Series):
        window = numeric_stagnation(series, rules=rules)
        # Cite the months that held or fell, not a small uptick inside the flat run.
        falling = [
            period
            for index, period in enumerate(window)
            if index == 0
            or values[period][series.key].value <= values[window[index - 1]][series.key].value
        ]
        for period in falling:
            point = values[period][series.key]
            if point.quote:
                evidence.append(
                    Citation(
                        document_id=point.document_id,
                        start=point.start,
                        end=point.end,
                        quote=point.quote,
                        period=period,
                        title=titles.get(point.document_id, ""),
                    )
                )
    hits = finder("stagnation", spec.cues, spec.unless)
    below = achievement is not None and achievement < rules.stagnation.flat_below_achievement
    present = bool(window) or (_present(hits, rules.presence.stagnation_text, knowledge) and below)
    if present:
        # Text about an earlier dip is not evidence of the current run.
        since = window[0] if window else None
        recent = [h for h in hits if since is None or h.sentence.document.month >= since]
        evidence = evidence + strongest(recent, limit=3)
    return PresenceResult(
        key="stagnation",
        label=spec.label,
        present=present,
        periods=window,
        summary=(
            f"主要KPIが{'・'.join(window)}に横ばい・減少しています。"
            if window
            else "文書に伸び悩み・停滞の記述があり、達成率も目標を下回っています。"
        )
        if present
        else "停滞は見られません。",
        evidence=evidence[:6] if present else [],
    )


def _internal_factors(knowledge: Knowledge, finder: SignalFinder) -> list[InternalFactor]:
    spec = knowledge.signals.internal_factors
    threshold = knowledge.engine.presence.internal_factor
    found: list[InternalFactor] = []
    for key, factor_type in spec.types.items():
        hits = finder("internal_factors", factor_type.cues, spec.unless, key)
        if _present(hits, threshold, knowledge) and _independent(hits, knowledge):
            found.append(
                InternalFactor(
                    type=key,
                    label=factor_type.label,
                    checks=factor_type.checks,
                    evidence=strongest(hits, limit=3),
                )
            )
    return found
