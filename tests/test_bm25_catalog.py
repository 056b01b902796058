"""Filtered search: the BM25 catalogue scores only the engagement's chunks (by stored
positions) and the dense side searches that engagement's vectors in process; the other
filters still apply within it."""

from __future__ import annotations

import datetime as dt

import pytest

from app.container import Container
from app.ingest.service import DocumentInput, ingest_document
from app.retrieve.bm25 import Bm25Filter, CatalogEntry, ChunkCatalog
from app.retrieve.hybrid import chroma_where
from tests.conftest import make_engagement


def _entry(vector_id: str, engagement_id: int, kind: str, period: str, tokens: str) -> CatalogEntry:
    return CatalogEntry(
        vector_id=vector_id,
        document_id=engagement_id * 10,
        engagement_id=engagement_id,
        kind=kind,
        period=period,
        start=0,
        end=len(tokens),
        quote=tokens,
        tokens=tuple(tokens.split()),
    )


def _catalog() -> ChunkCatalog:
    catalog = ChunkCatalog()
    catalog.add(
        [
            _entry("a1", 1, "vendor_report", "2025-04", "アポ 獲得 目標 未達"),
            _entry("a2", 1, "meeting_notes", "2025-05", "アポ 品質 懸念"),
            _entry("b1", 2, "vendor_report", "2025-04", "アポ アポ 獲得 好調"),
            _entry("c1", 3, "vendor_report", "2025-06", "勤怠 集計"),
        ]
    )
    return catalog


def test_engagement_filter_returns_only_that_engagements_chunks() -> None:
    catalog = _catalog()
    found = catalog.search(["アポ"], k=10, filters=Bm25Filter(engagement_id=1))
    assert {entry.vector_id for entry, _ in found} == {"a1", "a2"}
    everywhere = catalog.search(["アポ"], k=10, filters=Bm25Filter())
    assert everywhere[0][0].vector_id == "b1"  # the most frequent term wins without a filter
    assert {entry.vector_id for entry, _ in everywhere} == {"a1", "a2", "b1"}


def test_other_filters_apply_within_the_engagement() -> None:
    catalog = _catalog()
    notes = catalog.search(
        ["アポ"], k=10, filters=Bm25Filter(engagement_id=1, kinds=("meeting_notes",))
    )
    assert [entry.vector_id for entry, _ in notes] == ["a2"]
    april = catalog.search(["アポ"], k=10, filters=Bm25Filter(engagement_id=1, period_to="2025-04"))
    assert [entry.vector_id for entry, _ in april] == ["a1"]


def test_unknown_engagement_and_changes_after_a_search() -> None:
    catalog = _catalog()
    assert catalog.search(["アポ"], k=10, filters=Bm25Filter(engagement_id=99)) == []
    catalog.remove(["a1"])
    catalog.add([_entry("d1", 4, "vendor_report", "2025-07", "アポ 増加")])
    assert [
        e.vector_id for e, _ in catalog.search(["アポ"], k=5, filters=Bm25Filter(engagement_id=1))
    ] == ["a2"]
    assert [
        e.vector_id for e, _ in catalog.search(["アポ"], k=5, filters=Bm25Filter(engagement_id=4))
    ] == ["d1"]


REPORTS = [
    "4月度のアポ獲得数は18件で、目標の30件に届きませんでした。接続率は低下しています。",
    "5月度は担当者が交代し、トークスクリプトを改訂しました。アポ獲得数は22件です。",
    "6月度のアポは31件で目標を上回りました。商談化率は55%でした。",
]


def _ingest(container: Container, engagement_id: int, month: int, text: str) -> None:
    ingest_document(
        container=container,
        data=DocumentInput(
            engagement_id=engagement_id,
            kind="vendor_report",
            date=dt.date(2025, month, 28),
            period=f"2025-{month:02d}",
            title=f"2025年{month}月度 報告",
            text=text,
        ),
    )


def test_dense_search_within_an_engagement_matches_chroma_and_follows_changes(
    container: Container,
) -> None:
    """The in-process search over one engagement's vectors returns what Chroma's filtered
    query returns, and a new document of that engagement is found at once."""
    first = make_engagement(container)
    other = make_engagement(container, vendor="株式会社ほかの代行")
    for month, text in zip((4, 5), REPORTS, strict=False):
        _ingest(container, first, month, text)
        _ingest(container, other, month, text + "（別契約）")
    query = "アポ獲得数が目標に届かなかった"
    filters = Bm25Filter(engagement_id=first)
    vector = container.embeddings.embed_query(query)
    expected = container.vector_store.search(embedding=vector, k=50, where=chroma_where(filters))
    found = container.retriever.search(query, k=50, mode="dense", filters=filters)
    assert [hit.vector_id for hit in found] == [vector_id for vector_id, _ in expected]
    for hit, (_, distance) in zip(found, expected, strict=True):
        assert hit.engagement_id == first
        assert hit.dense_distance == pytest.approx(distance, abs=1e-4)

    _ingest(container, first, 6, REPORTS[2])
    periods = {
        hit.period
        for hit in container.retriever.search("商談化率", k=50, mode="dense", filters=filters)
    }
    assert periods == {"2025-04", "2025-05", "2025-06"}
    june = container.retriever.search(
        "商談化率",
        k=50,
        mode="dense",
        filters=Bm25Filter(engagement_id=first, period_from="2025-06"),
    )
    assert {hit.period for hit in june} == {"2025-06"}


def test_index_scores_like_bm25s() -> None:
    """The numpy index gives bm25s's default (Lucene) scores, repeated query terms included."""
    import random

    import bm25s
    import numpy as np

    from app.retrieve.bm25_index import Bm25Index

    rng = random.Random(3)
    vocabulary = {f"t{index}": index for index in range(60)}
    documents = [[rng.randrange(60) for _ in range(rng.randint(1, 30))] for _ in range(200)]
    reference = bm25s.BM25()
    reference.index(
        bm25s.tokenization.Tokenized(ids=documents, vocab=vocabulary), show_progress=False
    )
    ours = Bm25Index([np.array(ids, dtype=np.int32) for ids in documents], len(vocabulary))
    for query in (["t1"], ["t2", "t7", "t7"], ["t59", "t0", "t33", "t12"]):
        expected = reference.get_scores(query)
        found = ours.score([vocabulary[token] for token in query])
        assert np.allclose(found, expected, rtol=1e-5, atol=1e-6)


def test_another_processes_catalogue_catches_up_then_reads_only_the_counter(
    container: Container,
) -> None:
    """A catalogue loaded before a change (another worker's) fetches the new chunks at its
    next refresh, and a refresh when nothing changed fetches nothing."""
    from app.retrieve.bm25 import load_catalog, refresh_catalog

    engagement_id = make_engagement(container)
    other = ChunkCatalog()
    load_catalog(session_factory=container.session_factory, catalog=other)
    _ingest(container, engagement_id, 4, REPORTS[0])
    assert refresh_catalog(session_factory=container.session_factory, catalog=other) > 0
    assert refresh_catalog(session_factory=container.session_factory, catalog=other) == 0
    assert other.vector_ids() == container.catalog.vector_ids()
    found = other.search(["アポ"], k=5, filters=Bm25Filter(engagement_id=engagement_id))
    assert found and all(entry.engagement_id == engagement_id for entry, _ in found)
