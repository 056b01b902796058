"""Term lists compiled into regexes: longest match first, English words whole, katakana terms
not ending inside a katakana word. Shared by the KPI lexicon's tokenizer and its cue patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from app.core.normalize import normalize_for_matching


def normalized(terms: Iterable[str]) -> list[str]:
    """Longest first, so that the first alternative matching at a position is the longest."""
    return sorted({normalize_for_matching(term) for term in terms}, key=len, reverse=True)


def alternation(terms: Iterable[str]) -> str:
    return "|".join(_alternative(term) for term in normalized(terms))


def trie_pattern(terms: Iterable[str]) -> str:
    """One regex over thousands of terms, factored by shared prefixes so matching stays fast
    (a flat alternation of the composed labels tries each in turn); longest match first."""
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for char in term:
            node = node.setdefault(char, {})
        node[""] = term
    return _trie_branch(trie, first=True)


def _trie_branch(node: dict[str, Any], *, first: bool = False) -> str:
    ends = "" in node
    branches = []
    for char in sorted(c for c in node if c):
        escaped = re.escape(char)
        if first and char.isascii() and char.isalpha():
            escaped = _word_start(escaped)  # an English word matches whole words only
        branches.append(escaped + _trie_branch(node[char]))
    if ends:
        term: str = node[""]
        tail = _term_end(term)
        branches.append(tail)  # the empty alternative last: longer terms are tried first
    if not branches:
        return ""
    if len(branches) == 1 and not ends:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def _alternative(term: str) -> str:
    """An English word matches whole words only: 「call」 is not in 「recall」."""
    escaped = re.escape(term)
    if term[:1].isascii() and term[:1].isalpha():
        escaped = _word_start(re.escape(term[:1])) + re.escape(term[1:])
    return escaped + _term_end(term)


# A katakana term never ends inside a katakana word: 「コール」 is not in 「コールセンター」,
# and 「訪問アポイント」 is 訪問 + アポイント, not the term 訪問アポ followed by 「イント」.
_KATAKANA = "ァ-ヺー"


def _term_end(term: str) -> str:
    """What may not follow a term: a letter after an English word, katakana after katakana."""
    last = term[-1:]
    if last.isascii() and last.isalpha():
        return r"(?![a-z])"
    if last and re.fullmatch(f"[{_KATAKANA}]", last):
        return f"(?![{_KATAKANA}])"
    return ""


def _word_start(first: str) -> str:
    """The first letter of an English word, not preceded by a letter. The look-behind comes
    after the letter, not before it: a pattern that starts with a look-behind loses the regex
    engine's scan for possible first characters, and the term scan became ~20 times slower."""
    return rf"{first}(?<![a-z]{first})"
