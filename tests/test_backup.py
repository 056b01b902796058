"""Backup while a live server runs, restore into a fresh data dir: same documents, search
results and analyses; a write during the backup leaves a restored store that agrees with itself."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.analyse.service import get_analysis
from app.backup import backup, restore
from app.container import Container, build_container
from app.errors import Conflict
from app.ingest.service import DocumentInput, ingest_document
from app.retrieve.bm25 import Bm25Filter
from app.settings import Settings
from app.store.models import Chunk, Document
from tests.conftest import LiveServer

REPORTS = {
    "2026-04": "4月度のご報告です。架電数は1,200件、アポイントは24件でした。新任の担当者が"
    "リストの精査を進めています。来月は業種別のトークスクリプトを試します。",
    "2026-05": "5月度のご報告です。架電数は1,150件、アポイントは19件でした。担当者の交代が"
    "あり、引き継ぎに時間がかかりました。先方の決裁者との接点が課題です。",
    "2026-06": "6月度のご報告です。架電数は1,300件、アポイントは27件、商談化は9件でした。"
    "改善提案として、展示会の来場者リストを使ったフォローを提案します。",
}
QUERIES = ("担当者の交代", "改善提案", "アポイント件数")


def _seed(container: Container, engagement_id: int) -> None:
    for period, text in REPORTS.items():
        year, month = (int(part) for part in period.split("-"))
        ingest_document(
            container=container,
            data=DocumentInput(
                engagement_id=engagement_id,
                kind="vendor_report",
                date=dt.date(year, month + 1, 5),
                period=period,
                title=f"{month}月度 活動報告",
                text=text,
            ),
        )


def _state(container: Container, engagement_id: int) -> dict[str, object]:
    """What a user sees: counts, search hits and the analysis of the engagement."""
    with container.session_factory() as session:
        documents = session.scalar(select(func.count(Document.id)))
        chunks = session.scalar(select(func.count(Chunk.id)))
    hits = {
        query: [
            (hit.document_id, hit.start, hit.end)
            for hit in container.retriever.search(
                query, k=5, mode="hybrid", filters=Bm25Filter(engagement_id=engagement_id)
            )
        ]
        for query in QUERIES
    }
    analysis = get_analysis(container=container, engagement_id=engagement_id)
    return {
        "documents": documents,
        "chunks": chunks,
        "vectors": container.vector_store.count(),
        "hits": hits,
        "decision": analysis.decision.model_dump(),
        "signals": {key: signal.model_dump() for key, signal in analysis.signals.items()},
        "kpi_table": [row.model_dump() for row in analysis.kpi_table],
    }


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RENEWAL_DESK_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_backup_while_serving_restores_the_same_documents_search_and_analysis(
    container: Container, engagement_id: int, live_server: LiveServer, tmp_path: Path
) -> None:
    _seed(container, engagement_id)
    overlay = container.settings.knowledge_overlay_dir
    overlay.mkdir(parents=True, exist_ok=True)
    (overlay / "kpi_synonyms.yaml").write_text(
        "synonyms:\n  appointments:\n  - 面談設定数\n", encoding="utf-8"
    )
    with live_server.client() as client:
        assert client.get(f"/api/v1/engagements/{engagement_id}").status_code == 200
    before = _state(container, engagement_id)

    archive = tmp_path / "backups" / "renewal-desk.tar.gz"
    made = _cli(container.settings.data_dir, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    counts = json.loads(made.stdout.strip().splitlines()[-1])
    assert counts["documents"] == 3 and counts["vectors"] == before["vectors"]
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "renewal-desk.sqlite3", "knowledge/kpi_synonyms.yaml"} <= names

    fresh = tmp_path / "restored"
    restored = _cli(fresh, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert (fresh / "knowledge" / "kpi_synonyms.yaml").read_text(encoding="utf-8") == (
        overlay / "kpi_synonyms.yaml"
    ).read_text(encoding="utf-8")
    # A second restore onto data refuses without --force.
    again = _cli(fresh, "restore", str(archive))
    assert again.returncode == 2 and "--force" in again.stderr

    after_container = build_container(Settings(data_dir=fresh), embeddings=container.embeddings)
    try:
        after = _state(after_container, engagement_id)
    finally:
        after_container.close()
    assert after == before


def test_a_write_during_the_backup_leaves_a_store_that_agrees_with_itself(
    container: Container, engagement_id: int, live_server: LiveServer, tmp_path: Path
) -> None:
    _seed(container, engagement_id)
    archive = tmp_path / "during.tar.gz"
    posted: list[int] = []

    def post() -> None:
        with live_server.client() as client:
            response = client.post(
                f"/api/v1/engagements/{engagement_id}/documents",
                json={
                    "kind": "meeting_notes",
                    "date": "2026-07-10",
                    "title": "定例会 議事録",
                    "text": "定例会を行いました。先方から商談化率の改善策について説明がありました。",
                },
            )
            posted.append(response.status_code)

    writer = threading.Thread(target=post)
    writer.start()
    report = backup(settings=container.settings, target=archive)
    writer.join()
    assert posted == [201]

    fresh = Settings(data_dir=tmp_path / "fresh")
    result = restore(settings=fresh, source=archive)
    assert result["restored"]["documents"] == report.manifest["counts"]["documents"]
    restored = build_container(fresh, embeddings=container.embeddings)
    try:
        with restored.session_factory() as session:
            vector_ids = set(session.scalars(select(Chunk.vector_id)))
        assert {vector_id for vector_id, _ in restored.vector_store.entries()} == vector_ids
    finally:
        restored.close()

    with pytest.raises(Conflict):
        restore(settings=fresh, source=archive)
    assert restore(settings=fresh, source=archive, force=True)["restored"]["documents"] >= 3
