"""The composition root: every outside capability, built once from settings.

It builds adapters only (database, vector store, embeddings, BM25, LLM) and the knowledge
registry; it imports no feature package, so features depend on it and never the reverse.
What happens after what (ingest → re-analysis, background jobs) is `app.workflows`.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from langchain_core.embeddings import Embeddings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.cache import BoundedCache
from app.core.coalesce import Coalescer
from app.knowledge import Knowledge, load_knowledge
from app.llm.client import build_chat_model
from app.llm.model import ChatModel, LangChainChatModel, OfflineChatModel
from app.mail import Mailer, WebhookPoster, build_mailer, build_webhook
from app.retrieve.bm25 import ChunkCatalog, load_catalog, refresh_catalog
from app.retrieve.embeddings import build_embeddings
from app.retrieve.hybrid import HybridRetriever
from app.retrieve.orphans import sweep_grace_s, sweep_vectors
from app.retrieve.tokenizer import SudachiTokenizer
from app.retrieve.vectorstore import ChromaVectorStore, VectorStore, make_chroma_client
from app.settings import Settings
from app.store.db import make_engine, make_session_factory, migrate


@dataclass
class Caches:
    """Work kept between requests; each bounded, each dropped with the container."""

    # Stored documents never change: their KPI readings are kept per text hash, period and
    # knowledge version, so re-analysing after one ingest reads only the new document.
    document_kpis: BoundedCache[tuple[str, str | None, str], tuple[object, ...]] = field(
        default_factory=lambda: BoundedCache(2048)
    )
    # Chat: each stored document cut into answerable units (keyed by its facts), and the
    # compiled chat rules per knowledge version. Values are the chat's own types.
    chat_units: BoundedCache[Hashable, object] = field(default_factory=lambda: BoundedCache(4096))
    chat_rules: BoundedCache[str, object] = field(default_factory=lambda: BoundedCache(2))
    # Chat: unit-normalised sentence vectors by content hash (app/chat/dense.py), ~1.5 KB each.
    sentence_vectors: BoundedCache[str, object] = field(
        default_factory=lambda: BoundedCache(100_000)
    )
    # Which cues of each cue list match each stored sentence: every ingest re-analyses the
    # whole engagement, and its stored sentences have not changed.
    cue_matches: BoundedCache[tuple[str, str], tuple[int, ...]] = field(
        default_factory=lambda: BoundedCache(100_000)
    )
    # The sentence detectors' probabilities per (knowledge version, sentence, side), for
    # the same reason: a re-analysis scores only the sentences of the new document.
    detector_scores: BoundedCache[tuple[str, str, str], tuple[float, ...]] = field(
        default_factory=lambda: BoundedCache(100_000)
    )
    # What the dashboard and the comparison read of each stored analysis, per stored
    # version (app.analyse.stored.stored_digests): pages no longer parse every analysis.
    analysis_digests: BoundedCache[tuple[str, int, str, str], object] = field(
        default_factory=lambda: BoundedCache(8192)
    )


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
    chat_model: ChatModel = field(default_factory=OfflineChatModel)
    caches: Caches = field(default_factory=Caches)
    # Reminder delivery (app/remind): None when SMTP or the webhook is not configured.
    mailer: Mailer | None = None
    webhook: WebhookPoster | None = None
    # Re-analyses after concurrent changes to one engagement run once for all of them.
    analysis_runs: Coalescer = field(default_factory=Coalescer)
    # Writes (store, delete, re-analysis) take a slot: `settings.write_concurrency` of them.
    write_lane: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(1)
    )
    # One thread embeds chat questions against a time budget; it bounds the work left
    # running behind when the budget runs out. Threads start on first use.
    query_worker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="query")
    )

    def close(self) -> None:
        self.query_worker.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


def build_chat(settings: Settings) -> ChatModel:
    """The configured OpenAI-compatible model, or the offline one."""
    model = build_chat_model(settings)
    return OfflineChatModel() if model is None else LangChainChatModel(model)


def build_container(
    settings: Settings,
    *,
    embeddings: Embeddings | None = None,
    vector_store: VectorStore | None = None,
) -> Container:
    """Validate knowledge, connect, migrate and load the BM25 catalogue; tests pass parts."""
    knowledge = load_knowledge(
        settings.knowledge_dir, settings.prompts_dir, overlay_dir=settings.knowledge_overlay_dir
    )
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
    session_factory = make_session_factory(engine)
    container = Container(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
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
            refresh=partial(refresh_catalog, session_factory=session_factory, catalog=catalog),
        ),
        knowledge=knowledge,
        chat_model=build_chat(settings),
        mailer=build_mailer(settings),
        webhook=build_webhook(settings),
        write_lane=threading.BoundedSemaphore(settings.write_concurrency),
    )
    # An ingest killed between its vector write and its commit left vectors without rows; a
    # long document whose vector job died with its process, rows without vectors.
    sweep_vectors(
        session_factory=session_factory, vector_store=vector_store, grace_s=sweep_grace_s(settings)
    )
    load_catalog(session_factory=session_factory, catalog=catalog)
    return container
