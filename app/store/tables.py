"""Every ORM table in one metadata, for Alembic's env and the schema test.

Importing the table modules registers them on `Base.metadata`; a table module that is not
imported here would look deleted to `alembic revision --autogenerate`.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from app.store import auth_tables, chat_tables, draft_tables, models, reminder_tables

metadata: MetaData = models.Base.metadata

__all__ = ["auth_tables", "chat_tables", "draft_tables", "metadata", "models", "reminder_tables"]
