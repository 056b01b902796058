"""SudachiPy tokens for BM25: mode A, normalised forms, content words only."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from app.core.normalize import normalize_for_matching

# Sudachi refuses input over ~49 KB; stay well under it.
MAX_PIECE_BYTES = 40_000
SKIPPED_POS = {"助詞", "助動詞", "補助記号", "空白", "記号"}
# Sudachi normalises する to 為る, いる to 居る and so on: list both spellings.
STOP_LEMMAS = {
    "する",
    "為る",
    "ある",
    "有る",
    "在る",
    "いる",
    "居る",
    "なる",
    "成る",
    "れる",
    "られる",
    "こと",
    "事",
    "もの",
    "物",
    "よう",
    "様",
    "ため",
    "為",
    "です",
    "ます",
}
PARAGRAPH = re.compile(r"(?<=\n)")


@dataclass(frozen=True)
class Analysis:
    """A text's BM25 tokens, plus which of them are people's names and which are nouns."""

    tokens: tuple[str, ...]
    names: tuple[str, ...] = ()  # surnames and given names (人名)
    nouns: tuple[str, ...] = ()  # common and proper nouns: the topic words


class SudachiTokenizer:
    """Thread-safe wrapper: one Sudachi tokenizer per thread, created lazily."""

    def __init__(self) -> None:
        self._local = threading.local()
        from sudachipy import Dictionary, SplitMode

        self._dictionary = Dictionary(dict="core")
        self._mode = SplitMode.A

    def _tokenizer(self) -> Any:
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            tokenizer = self._dictionary.create(self._mode)
            self._local.tokenizer = tokenizer
        return tokenizer

    def tokenize(self, text: str) -> list[str]:
        tokenizer = self._tokenizer()
        tokens: list[str] = []
        for piece in _pieces(normalize_for_matching(text)):
            for morpheme in tokenizer.tokenize(piece):
                if morpheme.part_of_speech()[0] in SKIPPED_POS:
                    continue
                token = morpheme.normalized_form().lower().strip()
                if token and token not in STOP_LEMMAS:
                    tokens.append(token)
        return tokens

    def analyze(self, text: str) -> Analysis:
        """`tokenize` with the part of speech kept: chat answers "who" and topic questions."""
        tokenizer = self._tokenizer()
        tokens: list[str] = []
        names: list[str] = []
        nouns: list[str] = []
        for piece in _pieces(normalize_for_matching(text)):
            for morpheme in tokenizer.tokenize(piece):
                pos = morpheme.part_of_speech()
                if pos[0] in SKIPPED_POS:
                    continue
                token = morpheme.normalized_form().lower().strip()
                if not token or token in STOP_LEMMAS:
                    continue
                tokens.append(token)
                if pos[1] == "固有名詞" and pos[2] == "人名":
                    names.append(token)
                # 副詞可能 nouns (いま, 毎月, 結局, 半分) say when or how much, not what about.
                if pos[0] == "名詞" and pos[1] in ("普通名詞", "固有名詞") and pos[2] != "副詞可能":
                    nouns.append(token)
        return Analysis(tuple(tokens), tuple(names), tuple(nouns))

    def readings(self, text: str) -> list[tuple[str, str, str]]:
        """Each morpheme's surface, reading (katakana) and part of speech: chat reads a
        question typed in kana by the readings of the documents' words."""
        tokenizer = self._tokenizer()
        return [
            (m.surface(), m.reading_form(), m.part_of_speech()[0])
            for piece in _pieces(normalize_for_matching(text))
            for m in tokenizer.tokenize(piece)
        ]

    def surfaces(self, text: str) -> list[str]:
        """Content-word surface forms (as typed), used to highlight query terms in passages."""
        tokenizer = self._tokenizer()
        return [
            morpheme.surface()
            for piece in _pieces(normalize_for_matching(text))
            for morpheme in tokenizer.tokenize(piece)
            if morpheme.part_of_speech()[0] not in SKIPPED_POS and morpheme.surface().strip()
        ]


def _pieces(text: str) -> list[str]:
    """Split long input by lines, then by characters, so no piece exceeds the byte limit."""
    if len(text.encode()) <= MAX_PIECE_BYTES:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in PARAGRAPH.split(text):
        while len(line.encode()) > MAX_PIECE_BYTES:
            head, line = line[: MAX_PIECE_BYTES // 4], line[MAX_PIECE_BYTES // 4 :]
            pieces.append(head)
        if len((current + line).encode()) > MAX_PIECE_BYTES:
            pieces.append(current)
            current = ""
        current += line
    if current:
        pieces.append(current)
    return pieces
