"""Engagement owners and the reminders already sent.

`engagements.owner_id` names the user who receives an engagement's reminders (SET NULL when
the user is deleted); `sent_reminders` holds one row per engagement, kind, event and channel,
UNIQUE, so a reminder is claimed before it is sent and never goes out twice.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("engagements", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_engagements_owner_id_users", "users", ["owner_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_engagements_owner_id", ["owner_id"])
    op.create_table(
        "sent_reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "engagement_id",
            sa.Integer(),
            sa.ForeignKey("engagements.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("event_key", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint(
            "engagement_id", "kind", "event_key", "channel", name="uq_sent_reminder_event"
        ),
    )
    op.create_index("ix_sent_reminders_engagement_id", "sent_reminders", ["engagement_id"])


def downgrade() -> None:
    op.drop_index("ix_sent_reminders_engagement_id", table_name="sent_reminders")
    op.drop_table("sent_reminders")
    with op.batch_alter_table("engagements", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index("ix_engagements_owner_id")
        batch.drop_constraint("fk_engagements_owner_id_users", type_="foreignkey")
        batch.drop_column("owner_id")
