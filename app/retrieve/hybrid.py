"""Hybrid retrieval: dense (Chroma) and BM25, fused by z-normalised scores or by ranks (RRF).

Why scores by default: on the JSTS paraphrase test equal-weight RRF ranks below dense alone,
because a rank throws away how far apart the candidates are; a convex mix of per-query
z-scores keeps that and beat both single methods on JSQuAD and on paraphrases
(scripts/bench_retrieval.py, figures in the README).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from app.core.cache import BoundedCache
from app.retrieve.bm25 import Bm25Filter, CatalogEntry, ChunkCatalog
from app.retrieve.tokenizer import SudachiTokenizer
from app.retrieve.vectorstore import VectorStore

SearchMode = Literal["dense", "bm25", "hybrid"]
FusionMethod = Literal["zscore", "rrf"]
QUERY_CACHE_SIZE = 1024
# e5 reads a query in 512-token windows and costs time linear in its length (about 1 ms a
# token): a question is far shorter, so a pasted page of "query" is embedded by its opening.
MAX_QUERY_EMBED_CHARS = 1_000
MISSING: tuple[None, None] = (None, None)
# Engagements whose vectors are kept in memory (about 150 KB each at 100 chunks).
ENGAGEMENT_VECTORS_CACHED = 256


@dataclass(frozen=True)
class EngagementVectors:
    """One engagement's vectors as fetched: valid while its chunk ids are `ids`."""

    ids: frozenset[str]
    order: tuple[str, ...]
    matrix: np.ndarray


@dataclass(frozen=True)
class SearchHit:
    """A retrieved passage with its exact span in the original document."""

    vector_id: str
    document_id: int
    engagement_id: int
    kind: str
    period: str | None
    start: int
    end: int
    quote: str
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    dense_distance: float | None = None
    bm25_score: float | None = None


@dataclass
class HybridRetriever:
    embeddings: Embeddings
    vector_store: VectorStore
    catalog: ChunkCatalog
    tokenizer: SudachiTokenizer
    fusion: FusionMethod = "zscore"
    rrf_k: int = 60
    dense_weight: float = 0.65
    bm25_weight: float = 0.35
    candidates: int = 50
    query_cache: dict[str, list[float]] = field(default_factory=dict, repr=False)
    # Brings the catalogue up to date with changes other processes made (the container's).
    refresh: Callable[[], object] | None = None
    # Each engagement's vectors (ids, unit-length rows), fetched from the vector store once
    # and used while its chunk set is unchanged: Chroma's metadata filter cost 35–40 ms a
    # query, an exact search over one engagement's ~100 vectors in numpy about 1 ms.
    engagement_vectors: BoundedCache[int, EngagementVectors] = field(
        default_factory=lambda: BoundedCache(ENGAGEMENT_VECTORS_CACHED), repr=False
    )
    _vectors_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        mode: SearchMode = "hybrid",
        filters: Bm25Filter | None = None,
        sync: bool = True,
    ) -> list[SearchHit]:
        """Top-k passages; `sync=False` when the caller has just searched (a loop of
        questions) and the catalogue was brought up to date by the first of them."""
        filters = filters or Bm25Filter()
        if sync and self.refresh is not None:
            self.refresh()
        if not query.strip() or len(self.catalog) == 0:
            return []
        pool = max(k, self.candidates)
        dense: list[tuple[CatalogEntry, float]] = []
        lexical: list[tuple[CatalogEntry, float]] = []
        if mode in ("dense", "hybrid"):
            vector = self._query_vector(query)
            if filters.engagement_id is not None:
                dense = self._dense_within(filters.engagement_id, vector, k=pool, filters=filters)
            else:
                for vector_id, distance in self.vector_store.search(
                    embedding=vector, k=pool, where=chroma_where(filters)
                ):
                    entry = self.catalog.get(vector_id)
                    if entry is not None:  # vectors of another app on the server are ignored
                        dense.append((entry, distance))
        if mode in ("bm25", "hybrid"):
            lexical = self.catalog.search(self.tokenizer.tokenize(query), k=pool, filters=filters)
        return fuse(
            dense,
            lexical,
            k=k,
            method=self.fusion,
            rrf_k=self.rrf_k,
            dense_weight=self.dense_weight if mode != "bm25" else 0.0,
            bm25_weight=self.bm25_weight if mode != "dense" else 0.0,
        )

    def _dense_within(
        self, engagement_id: int, vector: list[float], *, k: int, filters: Bm25Filter
    ) -> list[tuple[CatalogEntry, float]]:
        """Exact cosine search over one engagement's vectors (what Chroma's filtered query
        returns, without its metadata scan); the other filters as `chroma_where` has them."""
        ids = self.catalog.vector_ids_of(engagement_id)
        with self._vectors_lock:
            cached = self.engagement_vectors.get(engagement_id)
        # Fewer vectors than ids: a long document's are still being written (app.ingest.vectors).
        if cached is None or cached.ids != ids or len(cached.order) < len(ids):
            stored = self.vector_store.vectors(ids=sorted(ids))
            order = tuple(vector_id for vector_id in sorted(ids) if vector_id in stored)
            matrix = np.asarray([stored[vector_id] for vector_id in order], dtype=np.float32)
            if len(order):
                matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
            cached = EngagementVectors(ids=ids, order=order, matrix=matrix)
            with self._vectors_lock:
                self.engagement_vectors.put(engagement_id, cached)
        entries = [self.catalog.get(vector_id) for vector_id in cached.order]
        keep = [
            index
            for index, entry in enumerate(entries)
            if entry is not None and dense_accepts(filters, entry)
        ]
        if not keep:
            return []
        query = np.asarray(vector, dtype=np.float32)
        query /= max(float(np.linalg.norm(query)), 1e-12)
        distances = 1.0 - cached.matrix[keep] @ query
        best = np.argsort(distances, kind="stable")[:k]
        found: list[tuple[CatalogEntry, float]] = []
        for index in best.tolist():
            entry = entries[keep[index]]
            assert entry is not None
            found.append((entry, float(distances[index])))
        return found

    def _query_vector(self, query: str) -> list[float]:
        """Checklist questions repeat on every analysis: embed each distinct query once."""
        cache = self.query_cache
        vector = cache.get(query)
        if vector is None:
            vector = self.embeddings.embed_query(query[:MAX_QUERY_EMBED_CHARS])
            if len(cache) >= QUERY_CACHE_SIZE:
                cache.pop(next(iter(cache)))
            cache[query] = vector
        return list(vector)


def fuse(
    dense: list[tuple[CatalogEntry, float]],
    lexical: list[tuple[CatalogEntry, float]],
    *,
    k: int,
    method: FusionMethod = "zscore",
    rrf_k: int = 60,
    dense_weight: float,
    bm25_weight: float,
) -> list[SearchHit]:
    """Merge the dense list (cosine distances) and the BM25 list (scores), best first.

    zscore: Σ weight × z, z taken within each list; a chunk missing from a list gets that
    list's lowest z (it was not retrieved, so it is no better than the last one that was).
    rrf: Σ weight / (rrf_k + rank). Ties keep dense order first.
    """
    entries: dict[str, CatalogEntry] = {}
    dense_info: dict[str, tuple[int, float]] = {}
    bm25_info: dict[str, tuple[int, float]] = {}
    for rank, (entry, distance) in enumerate(dense, start=1):
        entries.setdefault(entry.vector_id, entry)
        dense_info[entry.vector_id] = (rank, distance)
    for rank, (entry, score) in enumerate(lexical, start=1):
        entries.setdefault(entry.vector_id, entry)
        bm25_info[entry.vector_id] = (rank, score)
    lists: list[tuple[float, dict[str, float], float]] = []  # (weight, value by id, floor)
    for weight, info, higher_is_better in (
        (dense_weight, dense_info, False),  # cosine distance
        (bm25_weight, bm25_info, True),
    ):
        if not weight or not info:
            continue
        if method == "rrf":
            lists.append((weight, {v: 1 / (rrf_k + rank) for v, (rank, _) in info.items()}, 0.0))
        else:
            sign = 1.0 if higher_is_better else -1.0
            values = z_scores({v: sign * raw for v, (_, raw) in info.items()})
            lists.append((weight, values, min(values.values())))
    scores = {
        vector_id: sum(weight * values.get(vector_id, floor) for weight, values, floor in lists)
        for vector_id in entries
    }
    ranked = sorted(scores, key=lambda vector_id: -scores[vector_id])[:k]
    hits: list[SearchHit] = []
    for vector_id in ranked:
        entry = entries[vector_id]
        dense_rank, dense_distance = dense_info.get(vector_id, MISSING)
        bm25_rank, bm25_score = bm25_info.get(vector_id, MISSING)
        hits.append(
            SearchHit(
                vector_id=vector_id,
                document_id=entry.document_id,
                engagement_id=entry.engagement_id,
                kind=entry.kind,
                period=entry.period,
                start=entry.start,
                end=entry.end,
                quote=entry.quote,
                score=scores[vector_id],
                dense_rank=dense_rank,
                bm25_rank=bm25_rank,
                dense_distance=dense_distance,
                bm25_score=bm25_score,
            )
        )
    return hits


def z_scores(values: Mapping[str, float]) -> dict[str, float]:
    """Standardise one list's scores so cosine similarities and BM25 scores can be added.

    A list whose scores are all equal (one hit, say) gives each 1.0 and `fuse` gives the
    chunks it lacks that too: such a list then adds nothing, neither helping nor hurting.
    """
    if not values:
        return {}
    # Plain float arithmetic: statistics.pstdev is exact (Fractions) and cost ~1 ms a query.
    mean = math.fsum(values.values()) / len(values)
    spread = math.sqrt(math.fsum((value - mean) ** 2 for value in values.values()) / len(values))
    if spread <= 1e-12:
        return dict.fromkeys(values, 1.0)
    return {key: (value - mean) / spread for key, value in values.items()}


def period_number(period: str | None) -> int:
    """'2025-04' → 202504; Chroma compares numbers only."""
    return int(period.replace("-", "")) if period else 0


def dense_accepts(filters: Bm25Filter, entry: CatalogEntry) -> bool:
    """`chroma_where` applied to a catalogue entry (a document without a period counts as
    period 0 there, so it passes a period_to-only filter: kept as Chroma had it)."""
    if filters.engagement_id is not None and entry.engagement_id != filters.engagement_id:
        return False
    if filters.kinds and entry.kind not in filters.kinds:
        return False
    period = period_number(entry.period)
    if filters.period_from and period < period_number(filters.period_from):
        return False
    return not (filters.period_to and period > period_number(filters.period_to))


def chroma_where(filters: Bm25Filter) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if filters.engagement_id is not None:
        clauses.append({"engagement_id": filters.engagement_id})
    if filters.kinds:
        clauses.append({"kind": {"$in": list(filters.kinds)}})
    if filters.period_from:
        clauses.append({"period": {"$gte": period_number(filters.period_from)}})
    if filters.period_to:
        clauses.append({"period": {"$lte": period_number(filters.period_to)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
