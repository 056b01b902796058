"""Japanese-aware normalisation for matching that remembers where every character came from."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class NormalizedText:
    """NFKC-normalised text plus a map back to the original character offsets.

    `offsets[j]` is the original index of normalised character `j`; a final sentinel entry
    equals the original length so that end offsets map too.
    """

    text: str
    offsets: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised span [start, end) to the original text's span."""
        original_start = self.offsets[start]
        if end <= start:
            return original_start, original_start
        # The span ends right after the original character behind the last normalised one.
        return original_start, self.offsets[end - 1] + 1


def normalize(text: str) -> NormalizedText:
    """NFKC per character (full-width digits and letters become ASCII), lower-cased ASCII."""
    parts: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        normalized = unicodedata.normalize("NFKC", char)
        if normalized.isascii():
            normalized = normalized.lower()
        parts.append(normalized)
        offsets.extend([index] * len(normalized))
    offsets.append(len(text))
    return NormalizedText(text="".join(parts), offsets=tuple(offsets))


def normalize_for_matching(text: str) -> str:
    """Short texts (sentences, terms) are cached: every re-analysis normalises the same
    stored sentences again; whole documents are not kept."""
    if len(text) <= _CACHED_CHARS:
        return _normalized_short(text)
    return normalize(text).text


_CACHED_CHARS = 1000


@lru_cache(maxsize=8192)
def _normalized_short(text: str) -> str:
    return normalize(text).text
