"""Which sentences a signal card cites: detector-only hits need their evidence threshold
(else only the strongest, when nothing surer is found), hits a cue and a detector both found
come first, greetings and signatures never."""

from __future__ import annotations

import numpy as np

from app.analyse.cues import Sentence
from app.analyse.detectors import CorpusScores, signal_hits
from app.analyse.signals import judge_status_signal, strongest
from app.core.cache import BoundedCache
from app.knowledge import DEFAULT_KNOWLEDGE_DIR, load_knowledge
from app.knowledge.rubric import Cue
from tests.signal_corpus import corpus as weighted
from tests.signal_corpus import document

# Invented wording, one line per sentence.
TEXT = (
    "今月は架電の時間帯を夕方に寄せてみました。\n"
    "業種別の反応を集計し、次月の重点業種を三つに絞る案をまとめました。\n"
    "ご提案として、展示会の来場者リストへの追加架電を考えております。\n"
)
KEYS = ("proactivity.good", "proactivity.concern")


def corpus() -> list[tuple[Sentence, float]]:
    return weighted(document(TEXT, title="6月度報告"), "vendor")


def scores(rows: list[list[float]]) -> CorpusScores:
    return CorpusScores(
        keys=KEYS,
        thresholds=np.array([0.4, 0.4]),
        values=np.array(rows),
        evidence_thresholds=np.array([0.7, 0.7]),
    )


def test_a_weak_detector_hit_counts_but_is_not_cited() -> None:
    found = corpus()
    hits = signal_hits(
        found,
        scores=scores([[0.5, 0.0], [0.8, 0.0], [0.1, 0.0]]),
        signal="proactivity",
        cues=[],
        unless=[],
        memo=BoundedCache(16),
    )
    assert [(hit.sentence.start, hit.sure) for hit in hits] == [
        (found[0][0].start, False),
        (found[1][0].start, True),
    ]
    rule = load_knowledge(DEFAULT_KNOWLEDGE_DIR).engine.status
    result = judge_status_signal(
        key="proactivity", label="主体性", hits=hits, rule=rule, periods=["2025-06"]
    )
    assert result.status == "good"
    assert "2 件" in result.summary  # both sentences count towards the judgment
    assert [c.quote for c in result.evidence] == [found[1][0].quote]
    # With nothing surer, the strongest weak hit is cited: a judgment shows its sentence.
    weak = [hit for hit in hits if not hit.sure]
    assert [c.quote for c in strongest(weak)] == [found[0][0].quote]


def test_a_sentence_cue_and_detector_both_found_is_cited_first() -> None:
    found = corpus()
    cue = Cue(polarity="good", weight=0.5, pattern="ご提案として")
    hits = signal_hits(
        found,
        scores=scores([[0.1, 0.0], [0.9, 0.0], [0.6, 0.0]]),
        signal="proactivity",
        cues=[cue],
        unless=[],
        memo=BoundedCache(16),
    )
    both = [hit for hit in hits if hit.corroborated]
    assert [hit.sentence.start for hit in both] == [found[2][0].start]
    assert both[0].weight == 0.6  # the heavier of the two counts, once
    # Lighter than the detector-only sentence (0.9), yet cited before it.
    assert [c.quote for c in strongest(hits)] == [found[2][0].quote, found[1][0].quote]


def test_greetings_and_signatures_are_never_cited() -> None:
    text = (
        "いつもお世話になっております。\n"
        "業種別のアポ率を比較し、製造業の反応が高いことが分かりました。\n"
        "--\n"
        "株式会社サンプル営業支援 提案チーム\n"
    )
    found = weighted(document(text, kind="email", title="ご報告", doc_id=2), "vendor")
    kinds = [sentence.kind for sentence, _weight in found]
    assert kinds[0] == "greeting" and kinds[-1] == "signature"
    hits = signal_hits(
        found,
        scores=scores([[0.95, 0.0]] * len(found)),
        signal="proactivity",
        cues=[Cue(polarity="good", weight=1.0, pattern="提案")],
        unless=[],
        memo=BoundedCache(16),
    )
    cited = [c.quote for c in strongest(hits)]
    assert cited == ["業種別のアポ率を比較し、製造業の反応が高いことが分かりました。"]
