"""In-memory chunk catalogue with a BM25 index over SudachiPy tokens.

The tokens are stored with each chunk row, so start-up rebuilds the index from the database
without tokenising again; ingestion and deletion update the catalogue after they commit.
With several processes on one database, each compares the database's index generation
(bumped by every change) with its own before it searches and fetches only the difference.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.retrieve.bm25_index import Bm25Index
from app.retrieve.vocabulary import Vocabulary, token_hashes
from app.store import repository
from app.store.models import Chunk, Document, IndexGeneration

GENERATION = select(IndexGeneration.value).where(IndexGeneration.id == 1)
LOAD_BATCH = 5000  # chunk rows per batch at start-up
# From this many entries on, the load moves what the process holds out of the collector's
# generations (`gc.freeze`): entries form no cycles and live as long as the catalogue, and
# at 100,000 chunks each full collection rescanned them, ~600 ms of CPU inside a request
# now and then (/compare's CPU p95 733 → 233 ms). A smaller catalogue costs a collection
# little, and tests building many containers must not pin earlier ones' garbage.
FREEZE_FROM = 20_000


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One searchable chunk: where it lives and what it says. The catalogue keeps `tokens`
    as vocabulary ids only and holds its entries with `tokens` empty: a tuple of token
    strings per chunk was most of the memory at 100,000 chunks."""

    vector_id: str
    document_id: int
    engagement_id: int
    kind: str
    period: str | None
    start: int
    end: int
    quote: str
    tokens: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bm25Filter:
    engagement_id: int | None = None
    kinds: tuple[str, ...] = ()
    period_from: str | None = None
    period_to: str | None = None

    def accepts(self, entry: CatalogEntry) -> bool:
        if self.engagement_id is not None and entry.engagement_id != self.engagement_id:
            return False
        if self.kinds and entry.kind not in self.kinds:
            return False
        if self.period_from or self.period_to:
            if entry.period is None:
                return False
            if self.period_from and entry.period < self.period_from:
                return False
            if self.period_to and entry.period > self.period_to:
                return False
        return True


class ChunkCatalog:
    """All chunks in memory, a BM25 index rebuilt lazily after changes."""

    def __init__(self) -> None:
        self._entries: dict[str, CatalogEntry] = {}
        self._lock = threading.Lock()
        self._order: list[CatalogEntry] = []
        self._retriever: Bm25Index | None = None
        self._vocabulary = Vocabulary()
        # Each entry's tokens as vocabulary ids, worked out once: a rebuild after a change
        # then only stacks arrays (the vocabulary only grows; unused ids score nothing).
        self._token_ids: dict[str, np.ndarray] = {}
        # Positions in `_order` of each engagement's chunks: a filtered search scores only
        # those (testing every entry against the filter cost ~0.5 µs × all chunks a query).
        self._positions: dict[int, np.ndarray] = {}
        # Each engagement's vector ids, kept with every change: the in-process dense search
        # within one engagement (app.retrieve.hybrid) asks for them on every query.
        self._by_engagement: dict[int, set[str]] = {}
        self._dirty = True
        # The database's index generation this catalogue reflects (None: never loaded).
        self.generation: int | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, vector_id: str) -> CatalogEntry | None:
        return self._entries.get(vector_id)

    def vector_ids(self) -> set[str]:
        with self._lock:
            return set(self._entries)

    def vector_ids_of(self, engagement_id: int) -> frozenset[str]:
        with self._lock:
            return frozenset(self._by_engagement.get(engagement_id, ()))

    def sync(self, *, add: list[CatalogEntry], remove: set[str], generation: int) -> None:
        with self._lock:
            self._discard(remove)
            self._insert(add)
            self.generation = generation
            if add or remove:
                self._dirty = True

    def replace_all(
        self, entries: list[CatalogEntry], *, token_ids: Sequence[np.ndarray] | None = None
    ) -> None:
        """Every entry anew; `token_ids` (per entry, from `token_ids`) when the caller
        mapped the tokens in bulk, as the start-up load does."""
        with self._lock:
            self._entries, self._by_engagement, self._token_ids = {}, {}, {}
            self._insert(entries, token_ids=token_ids, fresh=True)
            self._dirty = True

    def token_ids(self, texts: list[str]) -> list[np.ndarray]:
        """Each stored token string's vocabulary ids (new tokens get the next ids), the
        whole batch mapped at once (`app.retrieve.vocabulary`)."""
        with self._lock:
            return self._ids_of(texts)

    def _ids_of(self, texts: list[str]) -> list[np.ndarray]:
        hashes, counts = token_hashes(texts)
        return split_ids(self._vocabulary.ids(hashes), counts.tolist())

    def add(self, entries: list[CatalogEntry]) -> None:
        with self._lock:
            self._insert(entries)
            self._dirty = True

    def remove(self, vector_ids: list[str]) -> None:
        with self._lock:
            self._discard(vector_ids)
            self._dirty = True

    def _insert(
        self,
        entries: list[CatalogEntry],
        *,
        token_ids: Sequence[np.ndarray] | None = None,
        fresh: bool = False,
    ) -> None:
        """Under the lock: add or replace entries (their tokens kept as ids only), keeping
        the per-engagement sets; `fresh`: the catalogue is empty, nothing to replace."""
        if not fresh:
            self._discard([entry.vector_id for entry in entries])
        if token_ids is None:
            token_ids = self._ids_of([" ".join(entry.tokens) for entry in entries])
        entries = [replace(entry, tokens=()) if entry.tokens else entry for entry in entries]
        vector_ids = [entry.vector_id for entry in entries]
        self._entries.update(zip(vector_ids, entries, strict=True))
        self._token_ids.update(zip(vector_ids, token_ids, strict=True))
        by_engagement = self._by_engagement
        for entry in entries:
            kept = by_engagement.get(entry.engagement_id)
            if kept is None:
                kept = by_engagement[entry.engagement_id] = set()
            kept.add(entry.vector_id)

    def _discard(self, vector_ids: Iterable[str]) -> None:
        for vector_id in vector_ids:
            entry = self._entries.pop(vector_id, None)
            self._token_ids.pop(vector_id, None)
            if entry is not None:
                kept = self._by_engagement.get(entry.engagement_id)
                if kept is not None:
                    kept.discard(vector_id)
                    if not kept:
                        del self._by_engagement[entry.engagement_id]

    def rebuild(self) -> None:
        """(Re)build the BM25 index; cheap because tokens (and their ids) are already known."""
        with self._lock:
            order = list(self._entries.values())
            documents = list(map(self._token_ids.__getitem__, self._entries))
            lengths = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
            if not lengths.all():  # a chunk without tokens is never a keyword hit
                kept = np.flatnonzero(lengths).tolist()
                order = [order[index] for index in kept]
                documents = [documents[index] for index in kept]
            if not order:
                self._order, self._retriever = [], None
                self._positions = {}
                self._dirty = False
                return
            retriever = Bm25Index(documents, len(self._vocabulary))
            self._order, self._retriever = order, retriever
            self._positions = _positions(order)
            self._dirty = False

    def search(
        self, tokens: list[str], *, k: int, filters: Bm25Filter
    ) -> list[tuple[CatalogEntry, float]]:
        """Top-k chunks by BM25 among those the filter accepts; unknown tokens are dropped."""
        if self._dirty:
            self.rebuild()
        retriever, order, positions = self._retriever, self._order, self._positions
        with self._lock:
            ids = self._vocabulary.ids(token_hashes(tokens)[0], add=False)
        term_ids = [int(term) for term in ids if term >= 0]
        if retriever is None or not term_ids:
            return []
        if filters.engagement_id is not None:
            # Only the engagement's own chunks are candidates (their rows are scored, not
            # every chunk); the other filters test those.
            candidates = positions.get(filters.engagement_id, np.array([], dtype=int))
            accepted = [int(p) for p in candidates if filters.accepts(order[p])]
            candidates = np.array(accepted, dtype=int)
            chosen = retriever.score_rows(term_ids, candidates)
            return _top(order, candidates, chosen, k)
        scores = retriever.score(term_ids)
        if filters != Bm25Filter():
            mask = np.fromiter(
                (filters.accepts(entry) for entry in order), dtype=bool, count=len(order)
            )
            candidates = np.flatnonzero(mask)
        else:
            candidates = np.arange(len(order))
        return _top(order, candidates, scores[candidates], k)


def _top(
    order: list[CatalogEntry], candidates: np.ndarray, chosen: np.ndarray, k: int
) -> list[tuple[CatalogEntry, float]]:
    """The k best of the candidates by their scores `chosen` (zero scores left out)."""
    if not len(candidates):
        return []
    k = min(k, len(candidates))
    top = np.argpartition(-chosen, k - 1)[:k]
    ranked = sorted(top.tolist(), key=lambda index: -float(chosen[index]))
    return [
        (order[int(candidates[index])], float(chosen[index]))
        for index in ranked
        if chosen[index] > 0
    ]


def _positions(order: list[CatalogEntry]) -> dict[int, np.ndarray]:
    """Each engagement's positions in `order`, ascending (one stable sort, not a dict of
    lists grown one position at a time)."""
    owners = np.fromiter((entry.engagement_id for entry in order), dtype=np.int64, count=len(order))
    by_owner = np.argsort(owners, kind="stable")
    keys, starts = np.unique(owners[by_owner], return_index=True)
    groups = np.split(by_owner, starts[1:])
    return dict(zip(keys.tolist(), groups, strict=True))


def split_ids(ids: np.ndarray, lengths: list[int]) -> list[np.ndarray]:
    """One flat id array cut into per-entry views (no copies)."""
    ends = np.cumsum(lengths).tolist()
    return [ids[end - length : end] for end, length in zip(ends, lengths, strict=True)]


def _entry(chunk: Chunk, document: Document) -> CatalogEntry:
    return CatalogEntry(
        vector_id=chunk.vector_id,
        document_id=document.id,
        engagement_id=document.engagement_id,
        kind=document.kind,
        period=document.period,
        start=chunk.start,
        end=chunk.end,
        quote=document.text[chunk.start : chunk.end],
        tokens=tuple(chunk.tokens.split()),
    )


def load_catalog(*, session_factory: sessionmaker[Session], catalog: ChunkCatalog) -> int:
    """Rebuild the in-memory catalogue and BM25 index from stored chunk tokens."""
    # 100,000 entries and their rows make the collector scan the whole heap again and again
    # (none of them forms a cycle): in a process with full caches the load took 15 s of
    # which 6 s were the load's own work.
    collecting = gc.isenabled()
    gc.disable()
    try:
        loaded = _load_catalog(session_factory=session_factory, catalog=catalog)
        if loaded >= FREEZE_FROM:
            gc.freeze()
        return loaded
    finally:
        if collecting:
            gc.enable()


def _load_catalog(*, session_factory: sessionmaker[Session], catalog: ChunkCatalog) -> int:
    # Plain Core rows (the ORM's row processing cost ~0.3 s at 100,000 chunks), each
    # document's text read once, the chunks streamed: each batch's token strings become ids
    # at once, never split into Python strings (`app.retrieve.vocabulary`).
    texts = select(
        Document.id, Document.engagement_id, Document.kind, Document.period, Document.text
    )
    chunks = select(
        Chunk.vector_id, Chunk.document_id, Chunk.start, Chunk.end, Chunk.tokens
    ).execution_options(yield_per=LOAD_BATCH)
    entries: list[CatalogEntry] = []
    token_ids: list[np.ndarray] = []
    with session_factory() as session:
        generation = repository.index_generation(session)  # read first: a later change shows
        connection = session.connection()
        documents = {row[0]: row[1:] for row in connection.execute(texts).all()}
        for batch in connection.execute(chunks).partitions():
            stored: list[str] = []
            for vector_id, document_id, start, end, tokens in batch:
                engagement_id, kind, period, text = documents[document_id]
                entries.append(
                    CatalogEntry(
                        vector_id=vector_id,
                        document_id=document_id,
                        engagement_id=engagement_id,
                        kind=kind,
                        period=period,
                        start=start,
                        end=end,
                        quote=text[start:end],
                    )
                )
                stored.append(tokens)
            token_ids += catalog.token_ids(stored)
        del documents
    catalog.replace_all(entries, token_ids=token_ids)
    catalog.generation = generation
    catalog.rebuild()
    return len(entries)


def refresh_catalog(*, session_factory: sessionmaker[Session], catalog: ChunkCatalog) -> int:
    """Bring the catalogue up to date when another process changed the chunks: one indexed
    read when nothing changed; otherwise the difference, from stored tokens. Returns the
    number of entries added or removed."""
    bind = session_factory.kw.get("bind")
    if isinstance(bind, Engine):
        # Every search asks: a plain connection reads the counter in under a millisecond,
        # an ORM session took about 4 ms on a busy machine.
        with bind.connect() as connection:
            if int(connection.execute(GENERATION).scalar() or 0) == catalog.generation:
                return 0
    with session_factory() as session:
        generation = repository.index_generation(session)
        if generation == catalog.generation:
            return 0
        stored, known = repository.all_vector_ids(session), catalog.vector_ids()
        added = [_entry(c, d) for c, d in repository.chunks_with_documents(session, stored - known)]
    removed = known - stored
    catalog.sync(add=added, remove=removed, generation=generation)
    return len(added) + len(removed)
