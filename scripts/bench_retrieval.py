"""Retrieval benchmark through the app's own ingestion and hybrid retriever.

--jsquad FILE: every passage indexed, every question must find its own passage.
--jsts-paraphrase FILE: corpus = distinct JSTS sentences; query = sentence1 of pairs with
label >= 3.0 and different sentences; gold = sentence2; the query itself never counts.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.bench_common import (
    MODES,
    bench_engagement,
    emit,
    evaluate_mode,
    ingest_corpus,
    ranked_documents,
    temporary_container,
)


def jsquad(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str, str | None]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    corpus: list[tuple[str, str]] = []
    queries: list[tuple[str, str, str | None]] = []
    for article in data["data"]:
        for index, paragraph in enumerate(article["paragraphs"]):
            key = f"{article['title']}#{index}"
            corpus.append((key, paragraph["context"]))
            queries.extend((qa["question"], key, None) for qa in paragraph["qas"])
    return corpus, queries


def jsts_paraphrase(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str, str | None]]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    sentences: dict[str, None] = {}
    for row in rows:
        sentences.setdefault(row["sentence1"])
        sentences.setdefault(row["sentence2"])
    corpus = [(sentence, sentence) for sentence in sentences]
    queries = [
        (row["sentence1"], row["sentence2"], row["sentence1"])
        for row in rows
        if float(row["label"]) >= 3.0 and row["sentence1"] != row["sentence2"]
    ]
    return corpus, queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--jsquad", type=Path)
    source.add_argument("--jsts-paraphrase", type=Path)
    parser.add_argument("--limit-queries", type=int, default=0, help="sample this many queries")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the index here; a second run reuses it (index_s then measures no embedding)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    corpus, raw_queries = (
        jsquad(args.jsquad) if args.jsquad else jsts_paraphrase(args.jsts_paraphrase)
    )
    if args.limit_queries:
        raw_queries = random.Random(0).sample(
            raw_queries, min(args.limit_queries, len(raw_queries))
        )
    container = temporary_container(args.data_dir)
    engagement_id = bench_engagement(container, "benchmark")
    ids, index_s = ingest_corpus(container, engagement_id, corpus)
    started = time.perf_counter()
    container.catalog.rebuild()
    bm25_build_s = time.perf_counter() - started
    queries = [
        (query, ids[gold], ids[exclude] if exclude is not None else None)
        for query, gold, exclude in raw_queries
    ]
    result: dict[str, object] = {}
    for mode in MODES:
        # Every mode pays for embedding its queries: no vectors cached by the previous mode.
        container.retriever.query_cache.clear()
        result[mode] = evaluate_mode(
            queries,
            lambda query, exclude, mode=mode: ranked_documents(  # type: ignore[misc]
                container, query, mode=mode, depth=10, exclude=exclude
            ),
        )
    result["index_s"] = round(index_s, 1)
    result["bm25_rebuild_s"] = round(bm25_build_s, 3)
    result["passages"] = len(corpus)
    result["chunks"] = len(container.catalog)
    emit(result, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
