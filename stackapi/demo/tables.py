"""The demo's tables, as SQLAlchemy Core sees them (the migrations create them).

Revision 0001 is the schema the previous release wrote by hand in SQLite (every
column TEXT but ``seq``), so that its database files upgrade in place; later
revisions add columns (``migrations/versions/``).  Keep this file and the newest
revision in step (tests/test_demo_migrations.py compares them).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, Table, Text, false

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
    # 0002: what nova's create stores beyond the first schema
    Column("access_ip_v4", Text),  # NULL: none ("" on the wire)
    Column("access_ip_v6", Text),
    Column("user_data", Text),  # base64, as given
    Column("config_drive", Boolean, nullable=False, server_default=false()),
    Column("auto_disk_config", Boolean, nullable=False, server_default=false()),  # AUTO
    Column("reservation_id", Text),  # r-xxxxxxxx, one per create request
    Column("launch_index", Integer, nullable=False, server_default="0"),
    # 0003: NULL, "owner" or "admin" (nova's lock)
    Column("locked_by", Text),
    Index("servers_by_project", "project_id", "seq"),
    Index("servers_by_reservation", "reservation_id"),
    # SQLite: AUTOINCREMENT, as before, so that a deleted server's seq is never reused.
    sqlite_autoincrement=True,
)

# 0004: a server's tags, one row each (nova's tags table)
server_tags = Table(
    "server_tags",
    metadata,
    Column("server_id", Text, primary_key=True),  # servers.id; deleted with the server
    Column("tag", Text, primary_key=True),
    Index("server_tags_by_tag", "tag"),
)
