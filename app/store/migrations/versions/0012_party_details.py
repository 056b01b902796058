"""Engagement parties, continued: our contact's title, telephone and e-mail.

A letter to the vendor signs off with them (「課長　堀江」, TEL, E-mail); all optional, a
placeholder (【電話番号】) shows while one is empty.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

DETAIL_COLUMNS = ("client_title", "client_phone", "client_email")


def upgrade() -> None:
    with op.batch_alter_table("engagements", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name in DETAIL_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("engagements", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name in reversed(DETAIL_COLUMNS):
            batch.drop_column(name)
