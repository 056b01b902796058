"""The bulk token vocabulary: the same tokens `str.split()` gives, the same id for the same
token wherever it stands, and a catalogue that finds what it found before."""

from __future__ import annotations

import random

import numpy as np

from app.retrieve.bm25 import Bm25Filter, CatalogEntry, ChunkCatalog
from app.retrieve.vocabulary import Vocabulary, token_hashes

PIECES = ["アポ", "獲得", "目標", "未達", "商談化率", "a", "ab", "ba", "\u3000", " ", "\t", "\n"]


def _random_texts(rng: random.Random, count: int) -> list[str]:
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12))) for _ in range(count)]


def test_hashes_split_like_str_split_and_name_each_token_once() -> None:
    """Whatever whitespace separates them (ideographic space, tabs, runs of spaces), the
    tokens and their count per text are `str.split()`'s, and equal tokens get one id."""
    rng = random.Random(5)
    texts = _random_texts(rng, 3000)  # long enough to be hashed in several slices
    hashes, counts = token_hashes(texts)
    expected = [text.split() for text in texts]
    assert counts.tolist() == [len(tokens) for tokens in expected]
    flat = [token for tokens in expected for token in tokens]
    assert len(hashes) == len(flat)
    by_token: dict[str, int] = {}
    for token, value in zip(flat, hashes.tolist(), strict=True):
        assert by_token.setdefault(token, value) == value
    assert len(set(by_token.values())) == len(by_token)  # distinct tokens, distinct hashes


def test_vocabulary_ids_are_dense_and_stable() -> None:
    vocabulary = Vocabulary()
    first = vocabulary.ids(token_hashes(["アポ 獲得 アポ"])[0])
    assert first[0] == first[2] != first[1]
    assert sorted(set(first.tolist())) == [0, 1]
    later = vocabulary.ids(token_hashes(["目標 アポ"])[0])
    assert later[1] == first[0] and later[0] == 2
    assert vocabulary.ids(token_hashes(["未達 獲得"])[0], add=False).tolist() == [-1, first[1]]
    assert len(vocabulary) == 3


def test_catalogue_search_over_bulk_ids_matches_a_plain_count() -> None:
    """Entries added one batch at a time: the chunk with most of a query's token ranks
    first, a token seen in no chunk finds nothing, an empty chunk is never a hit."""
    catalog = ChunkCatalog()
    texts = ["アポ 獲得 好調", "アポ アポ アポ 未達", "", "商談化率 低下"]
    for index, text in enumerate(texts):
        catalog.add(
            [
                CatalogEntry(
                    vector_id=f"v{index}",
                    document_id=index,
                    engagement_id=1 + index % 2,
                    kind="vendor_report",
                    period="2025-04",
                    start=0,
                    end=len(text),
                    quote=text,
                    tokens=tuple(text.split()),
                )
            ]
        )
    found = catalog.search(["アポ"], k=10, filters=Bm25Filter())
    assert [entry.vector_id for entry, _ in found] == ["v1", "v0"]
    assert catalog.search(["見込み"], k=10, filters=Bm25Filter()) == []
    within = catalog.search(["低下", "アポ"], k=10, filters=Bm25Filter(engagement_id=2))
    assert {entry.vector_id for entry, _ in within} == {"v1", "v3"}
    assert all(np.isfinite(score) and score > 0 for _, score in within)
