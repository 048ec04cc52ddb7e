"""The demo's schema history: Alembic revisions, applied by ``stackapi.demo.migrate`` on start.

To change the schema, add ``versions/NNNN_what.py`` with ``revision = "NNNN"`` and
``down_revision`` = the current head, written against ``alembic.op`` (a snapshot:
never import ``stackapi.demo.tables`` from a revision).  SQLite cannot alter a
column in place: use ``op.batch_alter_table``.  Keep revisions additive when servers
of two releases share one database during a rolling upgrade (docs/deploying.md).
"""
