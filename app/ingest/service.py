"""Ingestion: validate, chunk, embed and store a document atomically; delete it completely."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from app.container import Container
from app.core.normalize import unstorable_text_problem
from app.core.vocabulary import DOCUMENT_KINDS
from app.errors import InvalidInput, StorageFailed, TooLarge
from app.ingest import duplicates
from app.ingest.chunking import ChunkSpan, chunk_text
from app.ingest.duplicates import DuplicatePolicy
from app.ingest.periods import infer_period, parse_period
from app.ingest.vectors import EMBEDDING_JOB, chunk_metadata, deferred, embed_texts, forget_vectors
from app.retrieve.bm25 import CatalogEntry, load_catalog
from app.retrieve.orphans import sweep_grace_s, sweep_vectors
from app.retrieve.vectorstore import Metadata
from app.store import repository
from app.store.models import Chunk, Document

log = logging.getLogger(__name__)

# Reports and minutes cover a month, so a month in their title or opening is their period;
# an e-mail's months are what it talks about (「7月からの体制」), so it keeps only a given one.
PERIOD_INFERRED_KINDS = frozenset({"vendor_report", "meeting_notes"})
# A report's figures belong to a month: without a period they cannot be placed.
PERIOD_REQUIRED_KINDS = frozenset({"vendor_report"})


class PeriodMissing(InvalidInput):
    """A report states no month and none was given: the form asks for it (never today's)."""


@dataclass(frozen=True)
class DocumentInput:
    engagement_id: int
    kind: str
    date: dt.date
    period: str | None
    title: str
    text: str
    source_filename: str | None = None
    external_id: str | None = None
    # The same content as a stored document (apart from whitespace, sign-offs, format):
    # warn (forms, API), replace it, or keep both (imports, the user's 「別の文書として保存」).
    on_duplicate: DuplicatePolicy = "keep"


@dataclass(frozen=True)
class IngestResult:
    document_id: int
    created: bool
    chunk_count: int
    # A long document: stored and found by keyword now, its vectors written by a job.
    vectors_pending: bool = False


def parse_date(value: str, *, label: str) -> dt.date:
    """Parse YYYY-MM-DD (also accepts YYYY/MM/DD) with a Japanese error."""
    try:
        return dt.date.fromisoformat(value.strip().replace("/", "-"))
    except ValueError as error:
        raise InvalidInput(
            f"{label}は YYYY-MM-DD 形式で入力してください（入力値: {value!r}）。"
        ) from error


def validate_period(value: str | None) -> str | None:
    """A typed month as YYYY-MM (「2026年2月」「2026/2」「2026-02」 all accepted); None if empty."""
    if value is None or not value.strip():
        return None
    period = parse_period(value)
    if period is None:
        raise InvalidInput(
            f"対象期間は「2026年2月」「2026/2」「2026-02」のように年と月で入力してください（入力値: {value.strip()!r}）。"
        )
    return period


def resolve_period(
    *, kind: str, period: str | None, title: str, text: str, date: dt.date
) -> str | None:
    """The given period, else the one the title or opening lines state; a report with
    neither is refused with PeriodMissing rather than filed under some month by guess."""
    resolved = validate_period(period)
    if resolved is None and kind in PERIOD_INFERRED_KINDS:
        resolved = infer_period(title=title, text=text, date=date)
    if resolved is None and kind in PERIOD_REQUIRED_KINDS:
        raise PeriodMissing(
            "何月分の報告かが、タイトルからも本文からも読み取れませんでした。"
            "対象期間を「2026年2月」のように入力してください。"
        )
    return resolved


def clean_text(text: str, *, max_chars: int) -> str:
    """Unify line endings; the result is the original every offset refers to."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise InvalidInput("本文が空です。報告書のテキストを貼り付けてください。")
    if (problem := unstorable_text_problem(text)) is not None:
        raise InvalidInput(problem)
    if len(text) > max_chars:
        raise TooLarge(f"本文が長すぎます（{len(text):,}文字。上限は{max_chars:,}文字です）。")
    return text


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ChunkRecords:
    """What storing one document's chunks writes: rows, vector ids and metadata, keyword
    catalogue entries (ingest and the scale benchmark's bulk fill write the same)."""

    rows: list[Chunk]
    vector_ids: list[str]
    metadatas: list[Metadata]
    entries: list[CatalogEntry]


def chunk_records(
    *,
    document_id: int,
    data: DocumentInput,
    period: str | None,
    digest: str,
    text: str,
    spans: Sequence[ChunkSpan],
    token_lists: Sequence[Sequence[str]],
) -> ChunkRecords:
    vector_ids = [f"doc{document_id}-{digest[:12]}-{ordinal}" for ordinal in range(len(spans))]
    rows = [
        Chunk(
            document_id=document_id,
            ordinal=ordinal,
            start=span.start,
            end=span.end,
            prefix=span.prefix,
            tokens=" ".join(tokens),
            vector_id=vector_id,
        )
        for ordinal, (span, tokens, vector_id) in enumerate(
            zip(spans, token_lists, vector_ids, strict=True)
        )
    ]
    entries = [
        CatalogEntry(
            vector_id=vector_id,
            document_id=document_id,
            engagement_id=data.engagement_id,
            kind=data.kind,
            period=period,
            start=span.start,
            end=span.end,
            quote=text[span.start : span.end],
            tokens=tuple(tokens),
        )
        for vector_id, span, tokens in zip(vector_ids, spans, token_lists, strict=True)
    ]
    metadatas = [
        chunk_metadata(
            document_id=document_id,
            engagement_id=data.engagement_id,
            kind=data.kind,
            period=period,
            span=span,
        )
        for span in spans
    ]
    return ChunkRecords(rows, vector_ids, metadatas, entries)


@dataclass
class _Deadline:
    """The ingest time limit, checked between steps: a thread cannot be killed, but it can
    stop before anything is written."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise TooLarge(
                f"文書の処理が{self.seconds:g}秒以内に終わらなかったため中止しました。"
                "何も保存されていません。文書をいくつかに分けて保存してください。"
            )


def ingest_document(*, container: Container, data: DocumentInput) -> IngestResult:
    """Store row + chunks + vectors + BM25 entries, or nothing; the same text twice is stored once."""
    settings = container.settings
    deadline = _Deadline(settings.ingest_timeout_s)
    if data.kind not in DOCUMENT_KINDS:
        raise InvalidInput(f"文書の種類が不正です: {data.kind!r}（{', '.join(DOCUMENT_KINDS)}）")
    text = clean_text(data.text, max_chars=settings.max_text_chars)
    period = resolve_period(
        kind=data.kind, period=data.period, title=data.title, text=text, date=data.date
    )
    title = (
        data.title.strip()
        or f"{period or data.date.isoformat()} {container.knowledge.vocabulary.document_kind_label(data.kind)}"
    )
    digest = content_hash(text)

    with container.session_factory() as session:
        engagement = repository.require_engagement(session, data.engagement_id)
        existing = repository.find_document_by_hash(
            session, engagement_id=engagement.id, content_hash=digest
        )
        if existing is not None:
            return IngestResult(existing.id, created=False, chunk_count=len(existing.chunks))
        replaced = duplicates.check(
            session,
            engagement_id=engagement.id,
            policy=data.on_duplicate,
            text=text,
            kind=data.kind,
            period=period,
        )

    spans = chunk_text(text)
    chunk_texts = [span.text(text) for span in spans]
    token_lists = [container.tokenizer.tokenize(chunk) for chunk in chunk_texts]
    # Embed before opening the write transaction: it is the slow step. A long document's
    # vectors are left to a job committed with it (app.ingest.vectors).
    later = deferred(container, chunk_texts)
    vectors = [] if later else embed_texts(container, chunk_texts, deadline.check)

    vector_ids: list[str] = []
    with container.session_factory() as session:
        document = Document(
            engagement_id=data.engagement_id,
            kind=data.kind,
            date=data.date,
            period=period,
            title=title[:300],
            text=text,
            source_filename=data.source_filename,
            content_hash=digest,
            external_id=data.external_id,
        )
        session.add(document)
        try:
            session.flush()
        except IntegrityError:  # the same text arrived concurrently
            session.rollback()
            return _existing(container, data.engagement_id, digest)
        records = chunk_records(
            document_id=document.id,
            data=data,
            period=period,
            digest=digest,
            text=text,
            spans=spans,
            token_lists=token_lists,
        )
        vector_ids = records.vector_ids
        session.add_all(records.rows)
        try:
            session.flush()
            if later:
                repository.queue_job(
                    session,
                    kind=EMBEDDING_JOB,
                    engagement_id=data.engagement_id,
                    payload={"document_id": document.id},
                )
            else:
                # Vectors before the commit: a crash in between leaves only vectors without
                # rows, which the start-up sweep removes, never rows without vectors.
                container.vector_store.add(
                    ids=vector_ids,
                    texts=chunk_texts,
                    embeddings=vectors,
                    metadatas=records.metadatas,
                )
            repository.bump_index_generation(session)
            session.commit()
        except Exception as error:
            session.rollback()
            forget_vectors(container, vector_ids)
            if isinstance(error, IntegrityError):
                return _existing(container, data.engagement_id, digest)
            log.exception("ingest failed; nothing was kept")
            raise StorageFailed(
                "文書の保存に失敗しました。何も保存されていません。もう一度お試しください。"
            ) from error
        document_id = document.id

    container.catalog.add(records.entries)
    for old_id in replaced:  # 「置き換える」: the new document is stored, the old one goes
        delete_document(container=container, document_id=old_id)
    return IngestResult(document_id, created=True, chunk_count=len(spans), vectors_pending=later)


def _existing(container: Container, engagement_id: int, digest: str) -> IngestResult:
    with container.session_factory() as session:
        existing = repository.find_document_by_hash(
            session, engagement_id=engagement_id, content_hash=digest
        )
        if existing is None:
            raise StorageFailed("文書の保存に失敗しました。もう一度お試しください。")
        return IngestResult(existing.id, created=False, chunk_count=len(existing.chunks))


def delete_document(*, container: Container, document_id: int) -> int:
    """Remove the row, its chunks, its vectors and its BM25 entries; returns the engagement."""
    with container.session_factory() as session:
        document = repository.get_document(session, document_id)
        engagement_id = document.engagement_id
        vector_ids = [chunk.vector_id for chunk in document.chunks]
        session.delete(document)
        repository.bump_index_generation(session)
        session.commit()
    # Rows first, vectors after: a crash in between leaves orphan vectors (swept at start-up),
    # never a document whose chunks have lost their vectors.
    container.catalog.remove(vector_ids)
    forget_vectors(container, vector_ids)
    return engagement_id


def delete_engagement(*, container: Container, engagement_id: int) -> None:
    """Remove an engagement with all its documents, vectors and BM25 entries."""
    with container.session_factory() as session:
        engagement = repository.require_engagement(session, engagement_id)
        vector_ids = repository.vector_ids_of_engagement(session, engagement_id)
        session.delete(engagement)
        repository.bump_index_generation(session)
        session.commit()
    container.catalog.remove(vector_ids)
    forget_vectors(container, vector_ids)


def reindex(*, container: Container) -> int:
    """Re-embed every stored chunk (after changing the embedder), remove vectors without a
    chunk row and rebuild BM25."""
    sweep_vectors(
        session_factory=container.session_factory,
        vector_store=container.vector_store,
        grace_s=sweep_grace_s(container.settings),
    )
    with container.session_factory() as session:
        rows = repository.all_chunks_with_documents(session)
        batch: list[tuple[str, str, Metadata]] = []
        for chunk, document in rows:
            span = ChunkSpan(chunk.start, chunk.end, chunk.prefix)
            metadata = chunk_metadata(
                document_id=document.id,
                engagement_id=document.engagement_id,
                kind=document.kind,
                period=document.period,
                span=span,
            )
            batch.append((chunk.vector_id, span.text(document.text), metadata))
    for start in range(0, len(batch), 256):
        part = batch[start : start + 256]
        texts = [text for _, text, _ in part]
        container.vector_store.add(
            ids=[vector_id for vector_id, _, _ in part],
            texts=texts,
            embeddings=embed_texts(container, texts),
            metadatas=[metadata for _, _, metadata in part],
        )
    return load_catalog(session_factory=container.session_factory, catalog=container.catalog)
