"""Engagement parties: our company, department, contact and the vendor's department and contact.

They fill a draft's header, salutation and sign-off (filled by the drafts work); all optional,
because a contract is often registered before anyone knows who will sign the letters.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PARTY_COLUMNS = (
    "client_company",
    "client_department",
    "client_contact",
    "vendor_department",
    "vendor_contact",
)


def upgrade() -> None:
    with op.batch_alter_table("engagements", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name in PARTY_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("engagements", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name in reversed(PARTY_COLUMNS):
            batch.drop_column(name)
