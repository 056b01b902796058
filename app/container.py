"""The container: every outside capability, built once from settings by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.embeddings import Embeddings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.retrieve.bm25 import ChunkCatalog
from app.retrieve.embeddings import build_embeddings
from app.retrieve.hybrid import HybridRetriever
from app.retrieve.tokenizer import SudachiTokenizer
from app.retrieve.vectorstore import ChromaVectorStore, VectorStore, make_chroma_client
from app.settings import Settings
from app.store.db import make_engine, make_session_factory, migrate


@dataclass
class Container:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    embeddings: Embeddings
    vector_store: VectorStore
    catalog: ChunkCatalog
    tokenizer: SudachiTokenizer
    retriever: HybridRetriever

    def close(self) -> None:
        self.engine.dispose()


def build_container(
    settings: Settings,
    *,
    embeddings: Embeddings | None = None,
    vector_store: VectorStore | None = None,
) -> Container:
    """Connect, migrate and load the BM25 catalogue; tests pass their own parts."""
    from app.ingest.service import load_catalog

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    embeddings = embeddings or build_embeddings(settings)
    if vector_store is None:
        vector_store = ChromaVectorStore(
            client=make_chroma_client(settings),
            collection_name=settings.chroma_collection,
            embeddings=embeddings,
        )
    tokenizer = SudachiTokenizer()
    catalog = ChunkCatalog()
    container = Container(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        embeddings=embeddings,
        vector_store=vector_store,
        catalog=catalog,
        tokenizer=tokenizer,
        retriever=HybridRetriever(
            embeddings=embeddings,
            vector_store=vector_store,
            catalog=catalog,
            tokenizer=tokenizer,
            rrf_k=settings.rrf_k,
            dense_weight=settings.dense_weight,
            bm25_weight=settings.bm25_weight,
        ),
    )
    load_catalog(container=container)
    return container
