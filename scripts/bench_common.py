"""Shared helpers for the benchmark scripts: a throwaway app container and ranking metrics."""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from app.container import Container, build_container
from app.ingest.service import DocumentInput, ingest_document
from app.retrieve.bm25 import Bm25Filter
from app.retrieve.hybrid import SearchMode
from app.settings import Settings
from app.store import repository
from app.store.models import Engagement

MODES: tuple[SearchMode, ...] = ("dense", "bm25", "hybrid")


def temporary_container(data_dir: Path | None = None, **overrides: Any) -> Container:
    """A container with the app's real stores and settings, on a fresh data dir unless one is
    given (a kept index: ingestion then finds every passage stored and skips embedding)."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="renewal-desk-bench-"))
    return build_container(Settings(data_dir=data_dir, **overrides))


def bench_engagement(container: Container, name: str) -> int:
    """The benchmark's engagement: the one a kept data dir already holds, else a new one."""
    with container.session_factory() as session:
        vendor = repository.get_or_create_vendor(session, name=name)
        kept = session.scalars(
            select(Engagement.id).where(Engagement.vendor_id == vendor.id).order_by(Engagement.id)
        ).first()
        if kept is not None:
            return kept
        engagement = repository.create_engagement(
            session,
            vendor_id=vendor.id,
            service="benchmark",
            start_date=dt.date(2025, 1, 1),
            renewal_date=dt.date(2026, 1, 1),
        )
        session.commit()
        return engagement.id


def ingest_corpus(
    container: Container, engagement_id: int, texts: Iterable[tuple[str, str]]
) -> tuple[dict[str, int], float]:
    """Ingest (key, text) pairs through the service layer; returns key → document id, seconds."""
    started = time.perf_counter()
    ids: dict[str, int] = {}
    for key, text in texts:
        result = ingest_document(
            container=container,
            data=DocumentInput(
                engagement_id=engagement_id,
                kind="vendor_report",
                date=dt.date(2025, 1, 1),
                period=None,
                title=key[:300],
                text=text,
            ),
            # Retrieval benchmarks: re-analysing the engagement after each of thousands of
            # passages would measure the analysis, quadratically, not the index.
        )
        ids[key] = result.document_id
    return ids, time.perf_counter() - started


def ranked_documents(
    container: Container,
    query: str,
    *,
    mode: SearchMode,
    depth: int,
    exclude: int | None = None,
) -> tuple[list[int], float]:
    """Distinct document ids in rank order (chunks of one document count once), and ms."""
    started = time.perf_counter()
    hits = container.retriever.search(query, k=depth * 3, mode=mode, filters=Bm25Filter())
    elapsed_ms = (time.perf_counter() - started) * 1000
    seen: list[int] = []
    for hit in hits:
        if hit.document_id != exclude and hit.document_id not in seen:
            seen.append(hit.document_id)
    return seen[:depth], elapsed_ms


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def evaluate_mode(
    queries: list[tuple[str, int, int | None]],
    search: Callable[[str, int | None], tuple[list[int], float]],
) -> dict[str, float]:
    """Recall@1/5/10, MRR@10 and latency for (query, gold document, excluded document)."""
    recall = {1: 0, 5: 0, 10: 0}
    reciprocal = 0.0
    latencies: list[float] = []
    for query, gold, exclude in queries:
        ranked, elapsed_ms = search(query, exclude)
        latencies.append(elapsed_ms)
        if gold in ranked:
            rank = ranked.index(gold) + 1
            reciprocal += 1 / rank
            for cutoff in recall:
                if rank <= cutoff:
                    recall[cutoff] += 1
    total = max(1, len(queries))
    return {
        "recall@1": round(recall[1] / total, 4),
        "recall@5": round(recall[5] / total, 4),
        "recall@10": round(recall[10] / total, 4),
        "mrr@10": round(reciprocal / total, 4),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
        "p95_ms": round(percentile(latencies, 0.95), 2) if latencies else 0.0,
        "queries": len(queries),
    }


def emit(result: dict[str, Any], *, as_json: bool) -> None:
    """Human-readable lines, and with --json one JSON object as the last stdout line."""
    if not as_json:
        for key, value in result.items():
            print(f"{key}: {value}")
        return
    print(json.dumps(result, ensure_ascii=False))


RENEWAL_DESK = str(Path(sys.executable).parent / "renewal-desk")


def run_cli(env: Mapping[str, str], *args: str, stdin: str | None = None) -> str:
    """One `renewal-desk` command in `env`; its standard output (fails loudly otherwise)."""
    done = subprocess.run(
        [RENEWAL_DESK, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(env),
        check=True,
    )
    return done.stdout


@contextmanager
def serve_process(
    env: Mapping[str, str], port: int, *, start_timeout_s: float = 180
) -> Iterator[str]:
    """`renewal-desk serve` on loopback as a child process; yields its URL once `/login`
    answers, and stops it afterwards (the load test and the two-process test share it)."""
    process = subprocess.Popen(
        [RENEWAL_DESK, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            try:
                httpx.get(f"{url}/login", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the app server did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
