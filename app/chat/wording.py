"""Other people's wording as data (`knowledge/chat_wording.yaml`).

A question written by someone else names the topic in its own words (窓口 for 担当, コスト for
月額費用) and asks for a judgment in its own way (「来期もこのままでいい？」). `synonyms` maps
each one-token word of a group to the tokens of the other words (the ranking credits a
sentence holding one at a discount); `judgment` recognises a free-worded question about the
renewal by its parts: a renewal word, a word asking for a judgment, no factual ask.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from app.chat.kana import KanaReader, Readings
from app.core.normalize import normalize_for_matching
from app.knowledge.chat import WordingFile


@dataclass(frozen=True)
class Wording:
    """Token → the tokens of its synonyms (`credit`: what such a match is worth), and the
    judgment words, NFKC-folded."""

    credit: float = 0.0
    of: Mapping[str, frozenset[str]] = field(default_factory=dict)
    subjects: tuple[str, ...] = ()
    modality: tuple[str, ...] = ()
    factual: tuple[str, ...] = ()
    plain_words: Mapping[str, str] = field(default_factory=dict)
    # An English word as katakana (Sudachi's normalised form: renewal → リニューアル), or None.
    katakana: Callable[[str], str | None] = field(default=lambda word: None)
    # A question typed in kana without converting it (「6がつ あぽなんけん」), read first.
    kana: KanaReader | None = None

    def plain(self, question: str, documents: Sequence[str] = ()) -> str:
        """The question with each loanword or spoken spelling that no document uses said in
        the documents' words (「セプテンバーのクロージングは？」 → 「9月の受注は？」), so that
        its month, KPI and topic read as if written plainly. A whole katakana word only
        (「ニュー」 stays inside 「ニュース」); a word the documents do use stays as asked.
        An English word typed among Japanese (「renewalのconditionは？」) is first read as
        its listed gloss, else as its katakana, which the katakana words then map."""
        body = normalize_for_matching("\n".join(documents))
        text = self.kana.read(question, documents) if self.kana is not None else question
        for phrase in (word for word in self.plain_words if " " in word):
            pattern = re.compile(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", re.IGNORECASE)
            text = pattern.sub(lambda m: self._english(m.group(), body), text)
        text = _LATIN_WORD.sub(lambda m: self._english(m.group(), body), text)
        for word in sorted(self.plain_words, key=len, reverse=True):
            pattern = re.compile(_whole(word))
            if pattern.search(text) and not pattern.search(body):
                text = pattern.sub(self.plain_words[word].replace("\\", r"\\"), text)
        return text

    def _english(self, word: str, body: str) -> str:
        """One English word (or listed phrase) of a question, unless the documents use it."""
        folded = normalize_for_matching(word)
        if re.search(rf"(?<![a-z]){re.escape(folded)}(?![a-z])", body):
            return word
        gloss = self.plain_words.get(folded)
        return gloss or self.katakana(folded) or word

    def get(self, token: str) -> frozenset[str]:
        return self.of.get(token, frozenset())

    def asks_judgment(self, normalized: str, renewal: Sequence[str] = ()) -> bool:
        """「契約、続けるべきだと思う？」: renewal, judgment, and nothing factual asked."""

        def has(words: Sequence[str]) -> bool:
            return any(normalize_for_matching(w) in normalized for w in words)

        return has((*self.subjects, *renewal)) and has(self.modality) and not has(self.factual)


_KATAKANA = "ァ-ヺー"
_ALL_KATAKANA = re.compile(rf"[{_KATAKANA}]+")
# A Latin word typed among Japanese, with a lower-case letter: an acronym (KPI, CSV) is kept as
# written. Listed phrases (「root cause」) are read first.
_LATIN_WORD = re.compile(r"(?<![A-Za-z])(?=[A-Za-z]*[a-z])[A-Za-z]{3,}(?![A-Za-z])")


def _whole(word: str) -> str:
    """A pattern for the word not inside a longer katakana word (on a side where it is
    katakana itself: 「おわびメール」 holds 「おわび」)."""
    before = rf"(?<![{_KATAKANA}])" if re.match(rf"[{_KATAKANA}]", word) else ""
    after = rf"(?![{_KATAKANA}])" if re.search(rf"[{_KATAKANA}]$", word) else ""
    return before + re.escape(word) + after


def build_wording(
    data: WordingFile | None,
    tokens_of: Callable[[str], frozenset[str]],
    readings: Readings | None = None,
    vocabulary: Sequence[str] = (),
) -> Wording:
    """The validated file (the knowledge registry's) as token maps and word lists; with the
    tokenizer's readings, kana-typed questions are read in the documents' and `vocabulary`'s
    words."""
    if data is None:
        return Wording()
    kana = (
        KanaReader(readings, dict(data.kana_counters), ("。".join(vocabulary),))
        if readings is not None
        else None
    )

    def katakana(word: str) -> str | None:
        tokens = tokens_of(word)
        (token,) = tokens if len(tokens) == 1 else ("",)
        return token if _ALL_KATAKANA.fullmatch(token) else None

    mapping: dict[str, set[str]] = defaultdict(set)
    for group in data.synonyms.groups:
        tokens = {word: tokens_of(word) for word in group}
        for word, own in tokens.items():
            if len(own) != 1:
                continue
            (key,) = own
            for other, theirs in tokens.items():
                if other != word:
                    mapping[key] |= set(theirs) - {key}
    judgment = data.judgment
    return Wording(
        data.synonyms.credit,
        {k: frozenset(v) for k, v in mapping.items() if v},
        tuple(judgment.subjects),
        tuple(judgment.modality),
        tuple(judgment.factual),
        dict(data.plain_words),
        katakana,
        kana,
    )
