"""Ingestion throughput through the service layer vs. raw embedding of the same chunks."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ingest.chunking import chunk_text
from app.ingest.service import DocumentInput
from app.workflows import store_document
from scripts.bench_common import (
    bench_engagement,
    emit,
    percentile,
    temporary_container,
)

OPENINGS = ["いつもお世話になっております。", "平素より大変お世話になっております。"]
FINDINGS = [
    "従業員{n}名規模の{industry}では、{topic}に関する課題を挙げる企業が多く見られました。",
    "{industry}向けのリストでは接続率が{rate}%と、他業種に比べて高い傾向があります。",
    "商談では「{topic}をもっと簡単にしたい」という声が{count}件ありました。",
    "競合他社の低価格プランと比較される場面が{count}件あり、導入支援の内容で差別化を図っています。",
    "{topic}について、御社マーケティング部門と共同で事例資料を作成することを提案いたします。",
]
INDUSTRIES = ["運送業", "建設業", "製造業", "小売業", "医療法人", "介護事業者"]
TOPICS = ["勤怠集計", "請求書発行", "在庫管理", "採用管理", "問い合わせ対応"]


def synthetic_report(rng: random.Random, month: int) -> str:
    """About 2,000 characters: a KPI table, findings and next month's plan."""
    lines = [
        "株式会社サンプル 営業企画部 御中",
        "",
        rng.choice(OPENINGS) + f"{month}月度の活動結果をご報告いたします。",
        "",
        "## 実績サマリー",
        "| 指標 | 月間目標 | 実績 |",
        "|---|---|---|",
        f"| 架電数 | ― | {rng.randint(900, 1500):,}件 |",
        f"| 接続数 | ― | {rng.randint(250, 450)}件 |",
        f"| アポ獲得数 | 30件 | {rng.randint(15, 40)}件 |",
        f"| 商談化率 | 60% | {rng.uniform(40, 70):.1f}% |",
        "",
        "## 現場で見えてきたこと",
    ]
    while sum(len(line) for line in lines) < 1750:
        template = rng.choice(FINDINGS)
        lines.append(
            "- "
            + template.format(
                n=rng.choice([30, 50, 100, 300]),
                industry=rng.choice(INDUSTRIES),
                topic=rng.choice(TOPICS),
                rate=rng.randint(15, 35),
                count=rng.randint(2, 9),
            )
        )
    lines += ["", "## 来月の進め方", "業種別のトークスクリプトを改訂し、A/Bテストを継続します。"]
    return "\n".join(lines)[:2100]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    reports = [synthetic_report(rng, 1 + index % 12) for index in range(args.docs)]

    container = temporary_container()
    engagement_id = bench_engagement(container, "ingest-benchmark")
    latencies: list[float] = []
    searchable: list[float] = []
    chunks = 0
    started = time.perf_counter()
    for index, report in enumerate(reports):
        begin = time.perf_counter()
        result = store_document(  # what a paste does: store, index, re-analyse
            container=container,
            data=DocumentInput(
                engagement_id=engagement_id,
                kind="vendor_report",
                date=dt.date(2025, 1, 1) + dt.timedelta(days=index),
                period=None,
                title=f"report {index}",
                text=report,
            ),
        )
        latencies.append((time.perf_counter() - begin) * 1000)
        # First search after the paste: includes the lazy BM25 rebuild.
        hits = container.retriever.search("アポ獲得数", k=3)
        searchable.append((time.perf_counter() - begin) * 1000)
        assert hits, "a stored report must be searchable at once"
        chunks += result.chunk_count
    total = time.perf_counter() - started

    chunk_texts = [[span.text(report) for span in chunk_text(report)] for report in reports]
    begin = time.perf_counter()
    for texts in chunk_texts:  # same batching as ingestion: one document's chunks per call
        container.embeddings.embed_documents(texts)
    embed_only = time.perf_counter() - begin
    ingest_s = sum(latencies) / 1000
    emit(
        {
            "docs": len(reports),
            "avg_chars": round(statistics.mean(len(report) for report in reports)),
            "docs_per_s": round(len(reports) / ingest_s, 3),
            "chunks_per_s": round(chunks / ingest_s, 3),
            "wall_s_with_searches": round(total, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            "searchable_p50_ms": round(statistics.median(searchable), 1),
            "embed_only_chunks_per_s": round(sum(map(len, chunk_texts)) / embed_only, 3),
        },
        as_json=args.json,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
