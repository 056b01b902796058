"""The offline engine: deterministic analysis of one engagement as of a date.

Pure domain code: plain facts in, an `EngagementAnalysis` out. Retrieval relevance, when
given, only orders evidence; judgments come from the knowledge cues and the KPI series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from app.analyse.cues import (
    CueMatches,
    Sentence,
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
from app.analyse.presence import independent as _independent
from app.analyse.presence import personnel_change, typed_surely
from app.analyse.presence import present as _present
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
    finder = SignalFinder(
        corpus, scores, knowledge.engine.detector_signals, memo, knowledge.signals.unless_good()
    )
    for key in STATUS_SIGNALS:
        signal = spec.signals[key]
        # (the finder drops the client naming its own fault: no concern about the vendor)
        hits = finder(key, signal.cues, signal.unless)
        signals[key] = judge_status_signal(
            key=key, label=signal.label, hits=hits, rule=rules.status, periods=periods
        )
    signals.update(signal_overrides or {})

    personnel, change_count = personnel_change(corpus, knowledge, finder)
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


def _recency(month: str, latest: str, knowledge: Knowledge) -> float:
    back = months_between(month, latest)
    for step in knowledge.engine.weights.recency:
        if back <= step.months_back_at_most:
            return step.weight
    return knowledge.engine.weights.recency[-1].weight


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
        hits = typed_surely(
            hits,
            finder,
            key,
            factor_type.cues,
            spec.unless,
            sure_at=knowledge.engine.presence.factor_type_sure,
        )
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
