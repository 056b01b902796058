"""Hybrid retrieval: dense (Chroma) and BM25 fused by weighted reciprocal rank fusion."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.embeddings import Embeddings

from app.retrieve.bm25 import Bm25Filter, CatalogEntry, ChunkCatalog
from app.retrieve.tokenizer import SudachiTokenizer
from app.retrieve.vectorstore import VectorStore

SearchMode = Literal["dense", "bm25", "hybrid"]
QUERY_CACHE_SIZE = 1024


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
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    candidates: int = 50
    query_cache: dict[str, list[float]] = field(default_factory=dict, repr=False)

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        mode: SearchMode = "hybrid",
        filters: Bm25Filter | None = None,
    ) -> list[SearchHit]:
        filters = filters or Bm25Filter()
        if not query.strip() or len(self.catalog) == 0:
            return []
        pool = max(k, self.candidates)
        dense: list[tuple[CatalogEntry, float]] = []
        lexical: list[tuple[CatalogEntry, float]] = []
        if mode in ("dense", "hybrid"):
            vector = self._query_vector(query)
            for vector_id, distance in self.vector_store.search(
                embedding=vector, k=pool, where=chroma_where(filters)
            ):
                entry = self.catalog.get(vector_id)
                if entry is not None:  # vectors of another app sharing the server are ignored
                    dense.append((entry, distance))
        if mode in ("bm25", "hybrid"):
            lexical = self.catalog.search(self.tokenizer.tokenize(query), k=pool, filters=filters)
        return fuse(
            dense,
            lexical,
            k=k,
            rrf_k=self.rrf_k,
            dense_weight=self.dense_weight if mode != "bm25" else 0.0,
            bm25_weight=self.bm25_weight if mode != "dense" else 0.0,
        )

    def _query_vector(self, query: str) -> list[float]:
        """Checklist questions repeat on every analysis: embed each distinct query once."""
        cache = self.query_cache
        vector = cache.get(query)
        if vector is None:
            vector = self.embeddings.embed_query(query)
            if len(cache) >= QUERY_CACHE_SIZE:
                cache.pop(next(iter(cache)))
            cache[query] = vector
        return list(vector)


def fuse(
    dense: list[tuple[CatalogEntry, float]],
    lexical: list[tuple[CatalogEntry, float]],
    *,
    k: int,
    rrf_k: int,
    dense_weight: float,
    bm25_weight: float,
) -> list[SearchHit]:
    """Weighted RRF: score = Σ weight / (rrf_k + rank); ties keep dense order first."""
    scores: dict[str, float] = {}
    missing: tuple[int | None, float | None] = (None, None)
    entries: dict[str, CatalogEntry] = {}
    dense_info: dict[str, tuple[int | None, float | None]] = {}
    bm25_info: dict[str, tuple[int | None, float | None]] = {}
    for rank, (entry, distance) in enumerate(dense, start=1):
        entries[entry.vector_id] = entry
        dense_info[entry.vector_id] = (rank, distance)
        scores[entry.vector_id] = scores.get(entry.vector_id, 0.0) + dense_weight / (rrf_k + rank)
    for rank, (entry, score) in enumerate(lexical, start=1):
        entries[entry.vector_id] = entry
        bm25_info[entry.vector_id] = (rank, score)
        scores[entry.vector_id] = scores.get(entry.vector_id, 0.0) + bm25_weight / (rrf_k + rank)
    ranked = sorted(scores, key=lambda vector_id: -scores[vector_id])[:k]
    hits: list[SearchHit] = []
    for vector_id in ranked:
        entry = entries[vector_id]
        dense_rank, dense_distance = dense_info.get(vector_id, missing)
        bm25_rank, bm25_score = bm25_info.get(vector_id, missing)
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


def period_number(period: str | None) -> int:
    """'2025-04' → 202504; Chroma compares numbers only."""
    return int(period.replace("-", "")) if period else 0


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
