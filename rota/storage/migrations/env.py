"""Alembic environment: always runs on a connection handed over by rota.storage.migrate."""

from __future__ import annotations

from alembic import context

from rota.storage.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `rotabot db upgrade`, which sets up the connection.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
