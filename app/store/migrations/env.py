"""Alembic environment: runs on the connection handed over by `app.store.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from app.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic` CLI use: url from the ini or env
    url = config.get_main_option("sqlalchemy.url") or "sqlite:///data/renewal-desk.sqlite3"
    with create_engine(url).begin() as own_connection:
        context.configure(connection=own_connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
