"""One degenerate document: a single line with no punctuation or spaces, stored through the
service (chunk, tokenise, store, re-analyse) and then given its vectors by the background job,
with each step timed at several lengths.

Storing must grow linearly with the length (seconds per 10,000 characters stay flat) and
take seconds: a document this long is searchable by keyword and analysed once stored, its
vectors are written by a job (app.ingest.vectors), timed here as `vectors_s`. A security
review once measured ~380 s for 150,000 characters; this script is how that is checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ingest.chunking import chunk_text
from app.ingest.service import DocumentInput
from app.jobs import run_pending
from app.workflows import store_document
from scripts.bench_common import bench_engagement, emit, temporary_container

ALPHABET = "営業活動報告架電接続商談受注継続検討改善提案資料作成顧客訪問"


def long_line(length: int) -> str:
    """No punctuation, no spaces, and no repetition an embedding cache could skip."""
    return "".join(
        ALPHABET[(index * index + index // 7) % len(ALPHABET)] for index in range(length)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chars", type=int, nargs="+", default=[37_500, 75_000, 150_000])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    container = temporary_container()
    result: dict[str, object] = {}
    for length in args.chars:
        text = long_line(length)
        begin = time.perf_counter()
        spans = chunk_text(text)
        chunk_s = time.perf_counter() - begin
        texts = [span.text(text) for span in spans]
        begin = time.perf_counter()
        for chunk in texts:
            container.tokenizer.tokenize(chunk)
        tokenize_s = time.perf_counter() - begin
        engagement_id = bench_engagement(container, f"long-line-{length}")
        begin = time.perf_counter()
        stored = store_document(  # what a paste does: store, index, re-analyse
            container=container,
            data=DocumentInput(
                engagement_id=engagement_id,
                kind="meeting_notes",
                date=dt.date(2026, 3, 2),
                period="2026-02",
                title="長い一行",
                text=text,
            ),
        )
        store_s = time.perf_counter() - begin
        begin = time.perf_counter()
        run_pending(container=container)  # what the server's job runner does next
        vectors_s = time.perf_counter() - begin
        result[str(length)] = {
            "chunks": stored.chunk_count,
            "distinct_chunks": len(set(texts)),
            "vectors_deferred": stored.vectors_pending,
            "chunk_s": round(chunk_s, 3),
            "tokenize_s": round(tokenize_s, 2),
            "store_total_s": round(store_s, 1),
            "store_s_per_10k_chars": round(store_s / length * 10_000, 2),
            "vectors_s": round(vectors_s, 1),
            "vectors_in_total_s": round(store_s + vectors_s, 1),
        }
        print(f"{length}: {result[str(length)]}", file=sys.stderr)
    container.close()
    emit(result, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
