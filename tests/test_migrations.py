"""The migrations and the ORM describe the same schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.store.db import make_engine, migrate
from app.store.tables import metadata


def test_a_migrated_database_matches_every_orm_table(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == [], f"autogenerate would change the schema: {differences}"
