"""Alembic environment: laop passes its own connection (see laop.db.upgrade)."""

from alembic import context
from sqlmodel import SQLModel

from laop.models import load_all

load_all()  # every table on SQLModel.metadata
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from laop.db import database_url, make_engine

        connection = make_engine(database_url(None)).connect()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables safely.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
