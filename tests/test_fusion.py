"""Fusion of the dense and BM25 lists, without stores: how the two rankings are combined."""

from __future__ import annotations

import pytest

from app.retrieve.bm25 import CatalogEntry
from app.retrieve.hybrid import SearchHit, fuse, z_scores


def entry(name: str) -> CatalogEntry:
    return CatalogEntry(
        vector_id=name,
        document_id=ord(name[0]),
        engagement_id=1,
        kind="vendor_report",
        period=None,
        start=0,
        end=len(name),
        quote=name,
        tokens=(name,),
    )


A, B, C, D = (entry(name) for name in "abcd")


def order(hits: list[SearchHit]) -> list[str]:
    return [hit.vector_id for hit in hits]


def test_z_scores_standardise_and_a_flat_list_adds_nothing() -> None:
    standard = z_scores({"a": 3.0, "b": 1.0})
    assert standard == pytest.approx({"a": 1.0, "b": -1.0})
    assert z_scores({"a": 5.0}) == {"a": 1.0}
    assert z_scores({}) == {}


def test_a_clear_dense_winner_survives_a_weak_lexical_preference() -> None:
    # Dense: a is far closer than the rest. BM25: b scores slightly above a.
    dense = [(A, 0.05), (B, 0.30), (C, 0.31), (D, 0.32)]
    lexical = [(B, 5.2), (A, 5.0), (C, 1.0)]
    by_scores = fuse(dense, lexical, k=4, dense_weight=0.65, bm25_weight=0.35)
    assert order(by_scores)[0] == "a"
    # Ranks forget the gap: with BM25 weighted barely above dense, RRF puts b first.
    by_ranks = fuse(dense, lexical, k=4, method="rrf", dense_weight=1.0, bm25_weight=1.1)
    assert order(by_ranks)[0] == "b"


def test_a_chunk_only_one_list_found_ranks_by_that_list_alone() -> None:
    dense = [(A, 0.1), (B, 0.2)]
    lexical = [(C, 9.0), (A, 1.0)]
    hits = fuse(dense, lexical, k=3, dense_weight=0.5, bm25_weight=0.5)
    assert set(order(hits)) == {"a", "b", "c"}
    assert order(hits)[0] == "a"  # found by both
    by_id = {hit.vector_id: hit for hit in hits}
    assert by_id["c"].dense_rank is None and by_id["c"].bm25_rank == 1
    assert by_id["b"].bm25_rank is None and by_id["b"].dense_distance == 0.2


def test_single_mode_weights_keep_that_lists_order() -> None:
    dense = [(A, 0.1), (B, 0.2), (C, 0.4)]
    lexical = [(C, 9.0), (B, 3.0)]
    assert order(fuse(dense, lexical, k=3, dense_weight=1.0, bm25_weight=0.0)) == ["a", "b", "c"]
    assert order(fuse(dense, lexical, k=3, dense_weight=0.0, bm25_weight=1.0))[0] == "c"
    assert fuse([], [], k=3, dense_weight=0.65, bm25_weight=0.35) == []
