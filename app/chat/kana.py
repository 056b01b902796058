"""A question typed in kana without converting it (「6がつ あぽなんけんとれた」), read in the
documents' own words (「6月 アポ何件取れた」).

On a phone people often send what they typed unconverted. Such a question has no kanji, so its
months, KPI names and topics match nothing. Every word it can mean is one the documents (or the
knowledge's vocabulary) write: each run of hiragana is covered by the readings of those words,
longest first (「しょうだんかりつ」 → 商談化率, 「ぱんふ」 → パンフレット), and a figure's
counter after a digit (「6がつ」) by its kanji. A question with any kanji is left as typed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

# One morpheme: its surface, its reading in katakana, and its part of speech.
Reading = tuple[str, str, str]
Readings = Callable[[str], Sequence[Reading]]

_KANJI = re.compile(r"[一-鿿々〆]")
_HIRAGANA_RUN = re.compile(r"[ぁ-ゖー]+")
_WRITTEN = re.compile(r"[一-鿿々〆ァ-ヺ]")  # a surface worth reading into: kanji or katakana
_DIGIT = re.compile(r"[0-9０-９]")
_ALL_KATAKANA = re.compile(r"[ァ-ヺー]+")
# A question is kana-typed when it has no kanji and at least this much hiragana.
MIN_HIRAGANA = 5
MAX_WORDS = 4  # consecutive morphemes read as one compound (商談 + 化 + 率)
MIN_READING = 2  # a one-kana reading would swallow particles
MIN_PREFIX = 3  # 「ぱんふ」 for パンフレット: a clipped loanword keeps its first three kana
# Only nouns are read into: the topic words. A verb typed in kana is read well enough as typed
# (「いつできる」 is no 「いつで切る」); a compound may take prefixes and suffixes (商談 + 化 + 率).
_STARTS = {"名詞", "接頭辞"}
_CONTINUES = {"名詞", "接頭辞", "接尾辞"}


def hiragana(text: str) -> str:
    """Katakana as hiragana (ー kept): readings and typed kana compare in one script."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


@dataclass(frozen=True)
class KanaReader:
    """Reads kana-typed questions with the readings of the documents' and vocabulary words."""

    readings: Readings
    # A counter typed after a digit → its kanji (がつ → 月), from knowledge/chat_wording.yaml.
    counters: Mapping[str, str] = field(default_factory=dict)
    vocabulary: tuple[str, ...] = ()

    def read(self, question: str, documents: Sequence[str] = ()) -> str:
        """The question in written words, or the question itself when it has kanji."""
        if _KANJI.search(question) or sum(map(len, _HIRAGANA_RUN.findall(question))) < (
            MIN_HIRAGANA
        ):
            return question
        words = _index((*self.vocabulary, *documents), self.readings)
        text = question
        for counter in sorted(self.counters, key=len, reverse=True):
            text = re.sub(rf"(?<=[0-9０-９]){re.escape(counter)}", self.counters[counter], text)
        return _HIRAGANA_RUN.sub(lambda m: _cover(m.group(), words), text)


@lru_cache(maxsize=64)
def _index(texts: tuple[str, ...], readings: Readings) -> dict[str, str]:
    """Reading (hiragana) → the written word most often read so; compounds of up to
    MAX_WORDS nouns, and the clipped first kana of a long katakana word. Cached: a phone
    user asks several questions over the same documents."""
    counts: Counter[tuple[str, str]] = Counter()
    for text in texts:
        morphemes = list(readings(text))
        for start, (_, _, pos) in enumerate(morphemes):
            if pos not in _STARTS:
                continue
            surface = reading = ""
            for word, kana, part in morphemes[start : start + MAX_WORDS]:
                if part not in _CONTINUES or _DIGIT.search(word):
                    break
                surface, reading = surface + word, reading + hiragana(kana)
                if _WRITTEN.search(surface) and len(reading) >= MIN_READING:
                    counts[(reading, surface)] += 1
    best: dict[str, tuple[int, str]] = {}
    for (reading, surface), count in counts.items():
        if count > best.get(reading, (0, ""))[0]:
            best[reading] = (count, surface)
    words = {reading: surface for reading, (_, surface) in best.items()}
    for reading, surface in list(words.items()):
        if _ALL_KATAKANA.fullmatch(surface) and len(reading) > MIN_PREFIX:
            for end in range(MIN_PREFIX, len(reading)):
                words.setdefault(reading[:end], surface)
    return words


def _cover(run: str, words: Mapping[str, str]) -> str:
    """The run with its longest readings replaced: the cover maximising the sum of squared
    lengths of the read stretches (so 関西 + の + リスト beats 関西 + 乗り + すと)."""
    # best[i]: (score, pieces) for run[:i]
    best: list[tuple[int, list[str]]] = [(0, [])]
    for end in range(1, len(run) + 1):
        score, pieces = best[end - 1]
        choice = (score, [*pieces, run[end - 1]])
        for start in range(max(0, end - 12), end - MIN_READING + 1):
            word = words.get(run[start:end])
            if word is not None:
                candidate = best[start][0] + (end - start) ** 2
                if candidate > choice[0]:
                    choice = (candidate, [*best[start][1], word])
        best.append(choice)
    return "".join(best[-1][1])
