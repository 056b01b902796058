"""Which sentences speak to which signal: learned detectors plus the precise regex cues.

Every sentence is scored once by every detector (`score_corpus`); a detector fires when its
probability reaches its threshold (knowledge/detectors/, from scripts/train_detectors.py).
A kept regex cue fires as before. Per sentence and polarity the stronger of the two counts,
times the document's author and recency weight — the engine's judgment is unchanged.

A sentence only a detector found is cited as evidence only from that detector's (higher)
evidence threshold up; one a cue and a detector both found is cited first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from app.analyse.cues import CueHit, CueMatches, Sentence, match_cues
from app.analyse.detectors.actors import (
    clients_own_fault,
    is_clients_own_change,
    states_no_change,
    vendor_acts,
)
from app.analyse.detectors.features import probabilities
from app.analyse.detectors.negation import negates_a_problem
from app.analyse.signals import UNCITABLE_KINDS
from app.core.cache import BoundedCache
from app.core.text import is_greeting
from app.core.vocabulary import STATUS_SIGNALS
from app.knowledge import Knowledge
from app.knowledge.rubric import Cue

Corpus = Sequence[tuple[Sentence, float]]
UNREAD_KINDS = (*UNCITABLE_KINDS, "table_header", "table_row")
# Signals about the vendor's staff: a change of the client's own staff is not one of them.
VENDORS_STAFF = frozenset({"personnel_change"})
# Client-side causes: the vendor's own work, named as such in the client's notes, is not one.
CLIENT_SIDE = frozenset({"internal_factors"})
CLIENT_WISH = re.compile(r"(たい|たく)(と(考え|思)|です|。|$)")


@dataclass(frozen=True)
class CorpusScores:
    """Detector probabilities for every sentence of a corpus (rows in corpus order)."""

    keys: tuple[str, ...]
    thresholds: NDArray[np.float64]
    values: NDArray[np.float64]
    # From here up a sentence only the detector found is cited as evidence.
    evidence_thresholds: NDArray[np.float64] | None = None

    def column(self, key: str) -> NDArray[np.float64]:
        return self.values[:, self.keys.index(key)]


DetectorScores = BoundedCache[tuple[str, str, str], tuple[float, ...]]


def score_corpus(
    corpus: Corpus, knowledge: Knowledge, memo: DetectorScores | None = None
) -> CorpusScores:
    """Every sentence through every detector; with `memo`, each distinct sentence once."""
    model = knowledge.detectors
    keys = [(knowledge.version, s.normalized, s.author) for s, _w in corpus]
    known = {key: memo.get(key) for key in keys} if memo is not None else {}
    missing = list(dict.fromkeys(key for key in keys if known.get(key) is None))
    if missing:
        fresh = probabilities(model, [k[1] for k in missing], [k[2] for k in missing])
        for key, row in zip(missing, fresh, strict=True):
            scored = tuple(float(v) for v in row)
            known[key] = scored
            if memo is not None:
                memo.put(key, scored)
    values = (
        np.array([known[key] for key in keys], dtype=np.float64)
        if keys
        else np.zeros((0, len(model.keys)))
    )
    return CorpusScores(
        keys=tuple(model.keys),
        thresholds=np.array([entry.threshold for entry in model.spec.detectors]),
        values=values,
        evidence_thresholds=np.array(
            [
                entry.threshold if entry.evidence_threshold is None else entry.evidence_threshold
                for entry in model.spec.detectors
            ]
        ),
    )


def _detected(
    corpus: Corpus,
    scores: CorpusScores,
    signal: str,
    polarities: Sequence[str],
    unless: Sequence[str],
    factor_type: str | None = None,
) -> dict[tuple[int, str], CueHit]:
    """(corpus row, polarity) → the detector's hit, weighted by its probability."""
    blockers = [re.compile(pattern) for pattern in unless]
    found: dict[tuple[int, str], CueHit] = {}
    columns = {p: scores.keys.index(f"{signal}.{p}") for p in polarities}
    type_columns = [i for i, key in enumerate(scores.keys) if key.startswith(f"{signal}.type.")]
    evidence = (
        scores.thresholds if scores.evidence_thresholds is None else scores.evidence_thresholds
    )
    for row, (sentence, weight) in enumerate(corpus):
        # A greeting says nothing of the work; the model, seeing almost no features in
        # one, answers with its prior, which can pass a low threshold. Nor does a signature,
        # nor a table's row of figures (the KPI reader's; 「| 架電数 | 980件 |」 read as a
        # bare numbers-only report). Kept cues still read all of them.
        if sentence.kind in UNREAD_KINDS or is_greeting(sentence.quote):
            continue
        fired = {
            p: float(scores.values[row, c])
            for p, c in columns.items()
            if scores.values[row, c] >= scores.thresholds[c]
        }
        if "concern" in fired and negates_a_problem(sentence):
            del fired["concern"]  # 「遅延なし」: the problem word, said to be absent
        if not fired or any(b.search(sentence.normalized) for b in blockers):
            continue
        if factor_type is not None:
            best = max(type_columns, key=lambda c: scores.values[row, c])
            if scores.keys[best] != f"{signal}.type.{factor_type}":
                continue
        # A sentence is good or concern for a signal, not both: the likelier one counts.
        polarity = max(fired, key=lambda p: fired[p])
        # The client's own wish in its own notes (「来期は追加提案も進めたい」) is not the
        # vendor's good work; the models, seeing 「提案」, cannot tell who wants it.
        if (
            polarity == "good"
            and sentence.author == "client"
            and CLIENT_WISH.search(sentence.normalized)
        ):
            continue
        sure = bool(fired[polarity] >= evidence[columns[polarity]])
        found[(row, polarity)] = CueHit(sentence, polarity, fired[polarity] * weight, sure=sure)
    return found


def _kept(hits: Sequence[CueHit]) -> list[CueHit]:
    """A cue's concern hit on a problem said to be absent (「欠席もなし」) does not count."""
    return [h for h in hits if h.polarity != "concern" or not negates_a_problem(h.sentence)]


def signal_hits(
    corpus: Corpus,
    *,
    scores: CorpusScores,
    signal: str,
    cues: Sequence[Cue],
    unless: Sequence[str],
    memo: CueMatches,
    factor_type: str | None = None,
) -> list[CueHit]:
    """Detector hits and kept-cue hits of one signal (or one internal-factor type).

    When both fire on a sentence with the same polarity, the heavier hit counts once.
    """
    polarities = [
        key.split(".", 1)[1]
        for key in scores.keys
        if key.startswith(f"{signal}.") and ".type." not in key
    ]
    hits = _detected(corpus, scores, signal, polarities, unless, factor_type)
    rows = {id(sentence): row for row, (sentence, _w) in enumerate(corpus)}
    for hit in _kept(match_cues(corpus, cues=cues, unless=unless, memo=memo)):
        key = (rows[id(hit.sentence)], hit.polarity)
        detected = hits.get(key)
        if detected is None:
            hits[key] = hit
            continue
        # Both found it: the heavier weight counts, cited when the cue is (or the detector
        # is sure enough), and cited before a sentence only one of them found.
        heavier = hit if hit.weight > detected.weight else detected
        hits[key] = replace(
            heavier, citable=hit.citable or detected.sure, corroborated=True, sure=True
        )
    return [hits[key] for key in sorted(hits)]


class SignalFinder:
    """A signal's hits: detectors plus kept cues for the signals engine.yaml lists in
    `detector_signals`, the cues alone for the others."""

    def __init__(
        self,
        corpus: Corpus,
        scores: CorpusScores,
        detected: Sequence[str],
        memo: CueMatches,
        unless_good: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.corpus, self.scores, self.memo = corpus, scores, memo
        self.detected = set(detected)
        # signals.yaml `shared_unless` families that cancel only a signal's good sentences
        self.unless_good = {
            key: [re.compile(p) for p in patterns] for key, patterns in (unless_good or {}).items()
        }

    def __call__(
        self,
        signal: str,
        cues: Sequence[Cue],
        unless: Sequence[str],
        factor_type: str | None = None,
    ) -> list[CueHit]:
        if signal not in self.detected:
            hits = match_cues(self.corpus, cues=cues, unless=unless, memo=self.memo)
            hits = _kept(hits) if signal in STATUS_SIGNALS else hits
        else:
            hits = signal_hits(
                self.corpus,
                scores=self.scores,
                signal=signal,
                cues=cues,
                unless=unless,
                memo=self.memo,
                factor_type=factor_type,
            )
        if signal in VENDORS_STAFF:
            # The client's own contact changing is not the vendor's personnel change, nor
            # is a change said not to happen (「担当は変わっていない」「交代の予定もない」).
            hits = [
                hit
                for hit in hits
                if not is_clients_own_change(hit.sentence) and not states_no_change(hit.sentence)
            ]
        if signal in CLIENT_SIDE:
            # The client writing about the vendor's own work is no client-side cause.
            hits = [hit for hit in hits if not vendor_acts(hit.sentence)]
        if self.unless_good.get(signal):
            blocked = self.unless_good[signal]
            hits = [
                hit
                for hit in hits
                if hit.polarity != "good"
                or not any(b.search(hit.sentence.normalized) for b in blocked)
            ]
        if signal in STATUS_SIGNALS:
            # The client naming its own fault or delay (「こちらの事情で申し訳ありません」「当社
            # からの回答が遅れ」) is no concern about the vendor's work.
            hits = [
                hit
                for hit in hits
                if hit.polarity != "concern" or not clients_own_fault(hit.sentence)
            ]
        return hits
