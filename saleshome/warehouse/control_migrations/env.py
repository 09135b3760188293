"""Alembic's entry for the control store: always run on a connection Sales Home gives it (see control_schema)."""

from alembic import context

from saleshome.warehouse.control_tables import METADATA

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=METADATA, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
