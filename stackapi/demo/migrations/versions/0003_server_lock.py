"""servers: who locked a server (nova's ``lock``/``unlock`` actions, ``locked`` from 2.9).

Revision ID: 0003
Revises: 0002

``locked_by``: NULL (not locked), ``owner`` (locked by its project) or ``admin``
(locked by an admin of another project: only an admin may unlock it), as nova's
instances column.  Additive.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("servers", sa.Column("locked_by", sa.Text))


def downgrade() -> None:
    op.drop_column("servers", "locked_by")
