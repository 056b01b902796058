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


class _CharTable(dict[int, str]):
    """Code point → its NFKC form (ASCII lower-cased), filled on first sight, for str.translate
    (the per-character normalize call was the reader's largest cost on a 2,000-character report).
    Characters whose form is not one character long are remembered: offsets then need the loop."""

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()

    def __missing__(self, code: int) -> str:
        char = chr(code)
        normalized = unicodedata.normalize("NFKC", char)
        if normalized.isascii():
            normalized = normalized.lower()
        if len(normalized) != 1:
            self.irregular.add(char)
        if len(self) < _CHAR_TABLE_SIZE:
            self[code] = normalized
        return normalized


_CHAR_TABLE_SIZE = 65_536
_CHARS = _CharTable()


def normalize(text: str) -> NormalizedText:
    """NFKC per character (full-width digits and letters become ASCII), lower-cased ASCII."""
    translated = text.translate(_CHARS)
    if len(translated) == len(text) and _CHARS.irregular.isdisjoint(text):
        return NormalizedText(text=translated, offsets=tuple(range(len(text) + 1)))
    # 「㈱」「①」 become several characters: each one maps back to the character it came from.
    offsets: list[int] = []
    for index, char in enumerate(text):
        offsets.extend([index] * len(_CHARS[ord(char)]))
    offsets.append(len(text))
    return NormalizedText(text=translated, offsets=tuple(offsets))


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
