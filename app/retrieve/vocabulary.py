"""Token vocabulary for the BM25 catalogue, mapped in bulk with numpy.

Stored chunk tokens are space-separated strings. Splitting 6.4 million of them into Python
strings and looking each up in a dict was the largest part of the start-up load at 100,000
chunks (about 2 s). Here each token is hashed where it stands in the UTF-32 code points of
a whole batch (a polynomial hash per run of non-space characters, finished with
splitmix64), and hashes become dense ids by a binary search in the sorted known hashes.
Tokens are what `str.split()` gives (runs of non-whitespace); two distinct tokens share an
id only if their 64-bit hashes collide (about 1 in 10¹¹ for a vocabulary of 10⁶ tokens).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_LENGTH_SALT = np.uint64(0xD6E8FEB86659FD93)
# `str.isspace()` by code point up to U+3000, the highest space; every code point above
# reads the last entry, U+3001 (、), which is no space.
_LAST = 0x3001
_SPACE = np.array([chr(code).isspace() for code in range(_LAST + 1)], dtype=bool)


def _powers(count: int) -> np.ndarray:
    """MULTIPLIER**0 … MULTIPLIER**(count-1), modulo 2**64."""
    steps = np.full(count, _MULTIPLIER, dtype=np.uint64)
    steps[0] = 1
    return np.cumprod(steps, dtype=np.uint64)


def _finish(hashes: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: nearby polynomial values end far apart."""
    hashes = hashes ^ (hashes >> np.uint64(30))
    hashes = hashes * np.uint64(0xBF58476D1CE4E5B9)
    hashes = hashes ^ (hashes >> np.uint64(27))
    hashes = hashes * np.uint64(0x94D049BB133111EB)
    finished: np.ndarray = hashes ^ (hashes >> np.uint64(31))
    return finished


SLICE_CHARACTERS = 16_000


def token_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of every whitespace-separated token of `texts` in order (flat), and how
    many tokens each text has."""
    hashes: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    begin, size = 0, 0
    for end, text in enumerate(texts, start=1):
        size += len(text) + 1
        if size >= SLICE_CHARACTERS or end == len(texts):
            part = _token_hashes(texts[begin:end])
            hashes.append(part[0])
            counts.append(part[1])
            begin, size = end, 0
    if not hashes:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(hashes), np.concatenate(counts)


def _token_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    joined = " ".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    space = _SPACE[np.minimum(codes, _LAST)]
    word = ~space
    starts = np.flatnonzero(word & np.concatenate(([True], space[:-1])))
    chars = np.flatnonzero(word)
    if not len(starts):
        return np.zeros(0, dtype=np.uint64), np.zeros(len(texts), dtype=np.int64)
    # Where each token's characters begin in `chars`: its start less the spaces before it.
    first = starts - np.cumsum(space, dtype=np.int32)[starts]
    lengths = np.diff(np.append(first, len(chars)))
    offset = np.repeat(first, lengths)
    powers = _powers(int(lengths.max()))
    values = codes[chars].astype(np.uint64) * powers[np.arange(len(chars)) - offset]
    hashes = np.add.reduceat(values, first)
    hashes = _finish(hashes ^ (lengths.astype(np.uint64) * _LENGTH_SALT))
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)  # each text's start in `joined`
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1, out=bounds[1:])
    return hashes, np.diff(np.searchsorted(starts, bounds))


class Vocabulary:
    """Token hash → dense id (it only grows: an id, once given, keeps its token)."""

    def __init__(self) -> None:
        self._hashes = np.zeros(0, dtype=np.uint64)  # sorted
        self._ids = np.zeros(0, dtype=np.int32)  # the id of each hash in `_hashes`

    def __len__(self) -> int:
        return len(self._hashes)

    def ids(self, hashes: np.ndarray, *, add: bool = True) -> np.ndarray:
        """The ids of `hashes`; unknown ones get the next ids (`add`) or −1."""
        found = self._find(hashes)
        unknown = found < 0
        if add and unknown.any():
            new = np.unique(hashes[unknown])  # sorted
            at = np.searchsorted(self._hashes, new)
            self._hashes = np.insert(self._hashes, at, new)
            fresh = np.arange(len(self._ids), len(self._ids) + len(new), dtype=np.int32)
            self._ids = np.insert(self._ids, at, fresh)
            found = self._find(hashes)
        return found

    def _find(self, hashes: np.ndarray) -> np.ndarray:
        if not len(self._hashes):
            return np.full(len(hashes), -1, dtype=np.int32)
        at = np.minimum(np.searchsorted(self._hashes, hashes), len(self._hashes) - 1)
        return np.where(self._hashes[at] == hashes, self._ids[at], -1).astype(np.int32)
