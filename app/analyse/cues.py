"""Find rubric cues sentence by sentence, honouring negation, hedging and injected orders."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from app.core.cache import BoundedCache
from app.core.facts import Author, DocumentFacts
from app.core.normalize import normalize_for_matching
from app.core.text import segment
from app.knowledge.rubric import Cue


@dataclass(frozen=True)
class Sentence:
    document: DocumentFacts
    author: Author
    start: int
    end: int
    normalized: str
    relevant: bool = False  # inside a passage the checklist questions retrieved
    kind: str = "sentence"  # the core.text segment kind: greetings and signatures are never cited

    @property
    def quote(self) -> str:
        return self.document.text[self.start : self.end]


@dataclass(frozen=True)
class CueHit:
    sentence: Sentence
    polarity: str
    weight: float  # cue weight × author weight × recency weight
    citable: bool = True
    corroborated: bool = False  # a regex cue and a detector both found it: cited first
    # False for a detector-only hit below its evidence threshold: it counts, and is cited
    # only when nothing surer supports the judgment.
    sure: bool = True


def sentences(
    document: DocumentFacts, author: Author, relevant: Sequence[tuple[int, int]] = ()
) -> list[Sentence]:
    """The document's sentences, list items, headings and table rows (core.text segments)."""
    found: list[Sentence] = []
    text = document.text
    for unit in segment(text):
        if unit.kind == "separator" or unit.end - unit.start < 2:
            continue
        start, end = unit.start, unit.end
        inside = any(s < end and start < e for s, e in relevant)
        found.append(
            Sentence(
                document,
                author,
                start,
                end,
                normalize_for_matching(text[start:end]),
                inside,
                unit.kind,
            )
        )
    return found


def is_injection(sentence: Sentence, patterns: Sequence[re.Pattern[str]]) -> bool:
    return any(pattern.search(sentence.normalized) for pattern in patterns)


def match_cues(
    corpus: Iterable[tuple[Sentence, float]],
    *,
    cues: Sequence[Cue],
    unless: Sequence[str],
    memo: CueMatches,
) -> list[CueHit]:
    """One hit per (sentence, polarity): the strongest cue of that polarity in the sentence.

    `corpus` pairs each sentence with its document weight (author × recency).
    """
    blockers = [re.compile(pattern) for pattern in unless]
    matching = _matching_cues(cues, memo)
    hits: list[CueHit] = []
    for sentence, document_weight in corpus:
        if any(blocker.search(sentence.normalized) for blocker in blockers):
            continue
        best: dict[str, Cue] = {}
        for index in matching(sentence.normalized):
            cue = cues[index]
            if cue.author in ("any", sentence.author) and (
                cue.polarity not in best or cue.weight > best[cue.polarity].weight
            ):
                best[cue.polarity] = cue
        hits.extend(
            CueHit(sentence, polarity, cue.weight * document_weight, cue.cite)
            for polarity, cue in best.items()
        )
    return hits


CueMatches = BoundedCache[tuple[str, str], tuple[int, ...]]
"""(cue list, sentence) → indexes of the cues that match; the container keeps one."""


def _matching_cues(cues: Sequence[Cue], memo: CueMatches) -> Callable[[str], tuple[int, ...]]:
    # One string per cue list, so a lookup hashes two strings (str caches its hash).
    list_key = "\x00".join(cue.pattern + "\x01" + "\x01".join(cue.unless) for cue in cues)

    def matching(text: str) -> tuple[int, ...]:
        found = memo.get((list_key, text))
        if found is None:
            found = tuple(i for i, cue in enumerate(cues) if cue.matches(text))
            memo.put((list_key, text), found)
        return found

    return matching


def any_pattern(sentence: Sentence, patterns: Sequence[str]) -> bool:
    return any(re.search(pattern, sentence.normalized) for pattern in patterns)
