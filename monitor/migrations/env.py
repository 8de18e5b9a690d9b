"""Alembic environment: runs on the connection handed in by `monitor.db.upgrade`,
or on MONITOR_DATABASE_URL when called from the alembic command line."""

from alembic import context
from sqlmodel import SQLModel

import monitor.models  # noqa: F401  (registers the tables)
from monitor.db import engine_for
from monitor.settings import Settings

target_metadata = SQLModel.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with engine_for(Settings()).begin() as conn:
        _run(conn)
