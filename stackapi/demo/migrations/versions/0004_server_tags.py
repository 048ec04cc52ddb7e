"""server_tags: a server's tags (nova's create takes them from 2.52; shown from 2.26).

Revision ID: 0004
Revises: 0003

One row per tag of a server, as nova's ``tags`` table: the tag filters of
``GET /servers`` (``tags``, ``tags-any``, ``not-tags``, ``not-tags-any``)
are lookups on (server_id, tag).  A server's rows go with it (deleted in the
same transaction).  Additive.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_tags",
        sa.Column("server_id", sa.Text, primary_key=True),  # servers.id
        sa.Column("tag", sa.Text, primary_key=True),
    )
    op.create_index("server_tags_by_tag", "server_tags", ["tag"])


def downgrade() -> None:
    op.drop_index("server_tags_by_tag", table_name="server_tags")
    op.drop_table("server_tags")
