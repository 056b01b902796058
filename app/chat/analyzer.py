"""Words of a question or a sentence: content tokens (as BM25 sees them) plus person names.

The retriever's tokenizer keeps only normalised forms; answering "who" questions also needs
to know which words are people's names, which SudachiPy's part of speech tells.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from app.core.normalize import normalize_for_matching
from app.retrieve.tokenizer import SKIPPED_POS, STOP_LEMMAS

MAX_CHARS = 10_000  # one sentence or question; Sudachi refuses very long input


@dataclass(frozen=True)
class Analysis:
    tokens: tuple[str, ...]
    names: tuple[str, ...]  # surnames and given names (人名)
    nouns: tuple[str, ...] = ()  # common and proper nouns: the topic words


class TextAnalyzer:
    """Thread-safe: one Sudachi tokenizer per thread over one shared dictionary."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._dictionary: Any = None

    def _tokenizer(self) -> Any:
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            from sudachipy import Dictionary, SplitMode

            with self._lock:
                if self._dictionary is None:
                    self._dictionary = Dictionary(dict="core")
            tokenizer = self._dictionary.tokenizer(mode=SplitMode.A)
            self._local.tokenizer = tokenizer
        return tokenizer

    def analyze(self, text: str) -> Analysis:
        tokens: list[str] = []
        names: list[str] = []
        nouns: list[str] = []
        for morpheme in self._tokenizer().tokenize(normalize_for_matching(text)[:MAX_CHARS]):
            pos = morpheme.part_of_speech()
            if pos[0] in SKIPPED_POS:
                continue
            token = morpheme.normalized_form().lower().strip()
            if not token or token in STOP_LEMMAS:
                continue
            tokens.append(token)
            if pos[1] == "固有名詞" and pos[2] == "人名":
                names.append(token)
            if pos[0] == "名詞" and pos[1] in ("普通名詞", "固有名詞"):
                nouns.append(token)
        return Analysis(tuple(tokens), tuple(names), tuple(nouns))

    def tokenize(self, text: str) -> list[str]:
        return list(self.analyze(text).tokens)
