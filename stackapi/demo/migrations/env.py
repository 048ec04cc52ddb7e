"""Alembic's environment for the demo: online only, on the connection the caller hands over.

``stackapi.demo.migrate.upgrade`` puts it in ``config.attributes["connection"]``,
inside its own transaction (which holds the migration lock).
"""

from alembic import context

from stackapi.demo.tables import metadata

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    render_as_batch=True,  # ALTERs that SQLite lacks become table copies
)
with context.begin_transaction():
    context.run_migrations()
