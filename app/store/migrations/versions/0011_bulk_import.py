"""Bulk import: a job may belong to an import batch and carry the file it imports.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): SQLite keeps the table, and with it AUTOINCREMENT (0007).
    op.add_column("jobs", sa.Column("batch_id", sa.String(length=32), nullable=True))
    op.add_column("jobs", sa.Column("data", sa.LargeBinary(), nullable=True))
    op.create_index("ix_jobs_batch_id", "jobs", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_batch_id", table_name="jobs")
    with op.batch_alter_table("jobs", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("data")
        batch.drop_column("batch_id")
