"""Cost of keeping the keyword index current across processes: `refresh_catalog` when
nothing changed (every search pays it) and after another process stored one document."""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ingest.service import DocumentInput, ingest_document
from app.retrieve.bm25 import ChunkCatalog, load_catalog, refresh_catalog
from scripts.bench_common import bench_engagement, emit, temporary_container


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    container = temporary_container()
    engagement_id = bench_engagement(container, "refresh-benchmark")

    def store(index: int) -> None:
        text = f"第{index}回の報告です。架電リストを業種別に見直し、接続率は{index % 40}%でした。"
        ingest_document(
            container=container,
            data=DocumentInput(
                engagement_id=engagement_id,
                kind="vendor_report",
                date=dt.date(2026, 1, 1),
                period="2026-01",
                title=f"報告{index}",
                text=text * 20,
            ),
        )

    for index in range(args.docs):
        store(index)
    # A second process's catalogue: loaded from the database, refreshed before each search.
    other = ChunkCatalog()
    load_catalog(session_factory=container.session_factory, catalog=other)
    unchanged = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        refresh_catalog(session_factory=container.session_factory, catalog=other)
        unchanged.append((time.perf_counter() - started) * 1000)
    store(args.docs)
    started = time.perf_counter()
    changed = refresh_catalog(session_factory=container.session_factory, catalog=other)
    after_change_ms = (time.perf_counter() - started) * 1000
    emit(
        {
            "chunks": len(other),
            "refresh_unchanged_ms_p50": round(statistics.median(unchanged), 3),
            "refresh_after_one_document_ms": round(after_change_ms, 2),
            "entries_changed": changed,
        },
        as_json=args.json,
    )
    container.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
