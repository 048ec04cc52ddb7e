"""The demo's tables, as SQLAlchemy Core sees them (the migrations create them).

The schema is the one the previous release wrote by hand in SQLite (every
column TEXT but ``seq``), so that its database files upgrade in place.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, Table, Text

metadata = MetaData()

servers = Table(
    "servers",
    metadata,
    Column("seq", Integer, primary_key=True),  # creation order: newest first in listings
    Column("id", Text, nullable=False, unique=True),
    Column("project_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("flavor_id", Text, nullable=False),
    Column("old_flavor_id", Text),  # while a resize waits for confirm/revert
    Column("image_ref", Text),
    Column("status", Text, nullable=False),
    Column("metadata", Text, nullable=False, server_default="{}"),  # a JSON object
    Column("created", Text, nullable=False),
    Column("updated", Text, nullable=False),
    Index("servers_by_project", "project_id", "seq"),
    # SQLite: AUTOINCREMENT, as before, so that a deleted server's seq is never reused.
    sqlite_autoincrement=True,
)
