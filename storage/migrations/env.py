"""Alembic environment: runs against the engine handed in by ``reelwright.storage.db.migrate``."""

from alembic import context

from reelwright.storage.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
