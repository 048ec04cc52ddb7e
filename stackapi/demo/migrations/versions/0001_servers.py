"""servers: the schema of the previous release (hand-written for SQLite), unchanged.

Revision ID: 0001
Revises: (none, the first)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database file of the previous release has the table already (and no
    # alembic_version): adopt it as it is, rows included.
    if sa.inspect(op.get_bind()).has_table("servers"):
        return
    op.create_table(
        "servers",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("id", sa.Text, nullable=False, unique=True),
        sa.Column("project_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("flavor_id", sa.Text, nullable=False),
        sa.Column("old_flavor_id", sa.Text),
        sa.Column("image_ref", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("metadata", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("updated", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("servers_by_project", "servers", ["project_id", "seq"])


def downgrade() -> None:
    op.drop_index("servers_by_project", table_name="servers")
    op.drop_table("servers")
