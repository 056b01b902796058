"""The container: every outside capability, built once from settings by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.analyse.knowledge import Knowledge, load_knowledge
from app.llm.prompts import PromptRegistry, load_prompts
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
    knowledge: Knowledge
    prompts: PromptRegistry
    chat_model: Any = None  # a LangChain chat model when an LLM is configured
    observers: list[Callable[[Container, int], None]] = field(default_factory=list)

    def documents_changed(self, engagement_id: int) -> None:
        """Tell interested services (analysis) that an engagement's documents changed."""
        for observer in self.observers:
            observer(self, engagement_id)

    def close(self) -> None:
        self.engine.dispose()


def build_container(
    settings: Settings,
    *,
    embeddings: Embeddings | None = None,
    vector_store: VectorStore | None = None,
) -> Container:
    """Connect, migrate and load the BM25 catalogue; tests pass their own parts."""
    from app.analyse.service import on_documents_changed
    from app.ingest.service import load_catalog
    from app.llm.client import build_chat_model

    knowledge = load_knowledge(settings.knowledge_dir)
    prompts = load_prompts(settings.prompts_dir)

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
            fusion=settings.fusion,
            rrf_k=settings.rrf_k,
            dense_weight=settings.dense_weight,
            bm25_weight=settings.bm25_weight,
        ),
        knowledge=knowledge,
        prompts=prompts,
        chat_model=build_chat_model(settings),
        observers=[on_documents_changed],
    )
    load_catalog(container=container)
    return container
