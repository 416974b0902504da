"""Alembic environment: always run with a connection handed in by assistant.database."""

from alembic import context
from sqlmodel import SQLModel

import assistant.models  # noqa: F401  (registers the tables)

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - guarded by assistant.database.migrate
    raise RuntimeError("run migrations through `python -m assistant db upgrade`")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
