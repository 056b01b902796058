"""Ids never reused: AUTOINCREMENT on SQLite for every table whose id appears in a URL or
the API, so after a delete an old link answers 404 instead of opening a newer record.

SQLite can only add AUTOINCREMENT by recreating the table (batch mode, `recreate="always"`);
`app.store.db.migrate` runs migrations with foreign keys off on SQLite, because dropping the
old table with them on would cascade-delete its children. PostgreSQL sequences never hand an
id out twice: nothing to do there.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The tables whose ids users see (links, API paths); auth tables got it in 0006.
TABLES = (
    "vendors",
    "engagements",
    "documents",
    "jobs",
    "drafts",
    "draft_versions",
    "chat_conversations",
    "chat_messages",
)


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
