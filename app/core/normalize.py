"""Japanese-aware normalisation for matching that remembers where every character came from."""

from __future__ import annotations

import re
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


# --- what text can be stored ---------------------------------------------------------------

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, in Japanese, or None when it can.

    NUL (PostgreSQL refuses it, SQLite cuts text at it in places) and lone surrogates (not
    encodable as UTF-8) are refused on every path: paste, JSON, upload, names and titles.
    """
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    kind = "NUL" if found.group() == "\x00" else "不正な文字コード"
    return (
        f"保存できない文字（{kind}）が{found.start() + 1:,}文字目に含まれています。"
        "取り除いてから送信してください。"
    )
