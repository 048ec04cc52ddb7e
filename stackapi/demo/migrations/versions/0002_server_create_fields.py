"""servers: what nova's create stores beyond the first schema, and the reservation id.

Revision ID: 0002
Revises: 0001

Columns added (additive: a server of revision 0001 that inserts without them
still works during a rolling upgrade):

- ``access_ip_v4``, ``access_ip_v6``: ``accessIPv4``/``accessIPv6`` as given (NULL: none).
- ``user_data``: the base64 text as given (nova shows it to admins only, from 2.3).
- ``config_drive``: whether the create asked for one (nova shows ``"True"`` or ``""``).
- ``auto_disk_config``: ``OS-DCF:diskConfig`` AUTO (true) or MANUAL (false).
- ``reservation_id``: ``r-xxxxxxxx``, shared by the servers of one create request,
  filterable (``GET /servers?reservation_id=``); ``launch_index``: 0, 1, ... within it.

The rows already there get the reservation id the API showed for them before
(derived from who created them, when, with what flavor and image), so that a
client that kept one still finds its servers.
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# A snapshot of the table as this revision knows it (never stackapi.demo.tables).
_servers = sa.table(
    "servers",
    sa.column("seq", sa.Integer),
    sa.column("project_id", sa.Text),
    sa.column("user_id", sa.Text),
    sa.column("created", sa.Text),
    sa.column("flavor_id", sa.Text),
    sa.column("image_ref", sa.Text),
    sa.column("reservation_id", sa.Text),
)


def _derived_reservation_id(row: sa.Row) -> str:
    """What revision 0001's code showed as OS-EXT-SRV-ATTR:reservation_id for this row."""
    key = "|".join(
        str(getattr(row, k))
        for k in ("project_id", "user_id", "created", "flavor_id", "image_ref")
    )
    return "r-" + hashlib.sha1(key.encode()).hexdigest()[:8]


def upgrade() -> None:
    op.add_column("servers", sa.Column("access_ip_v4", sa.Text))
    op.add_column("servers", sa.Column("access_ip_v6", sa.Text))
    op.add_column("servers", sa.Column("user_data", sa.Text))
    op.add_column(
        "servers",
        sa.Column("config_drive", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "servers",
        sa.Column("auto_disk_config", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("servers", sa.Column("reservation_id", sa.Text))
    op.add_column(
        "servers", sa.Column("launch_index", sa.Integer, nullable=False, server_default="0")
    )
    op.create_index("servers_by_reservation", "servers", ["reservation_id"])

    bind = op.get_bind()
    rows = bind.execute(sa.select(_servers).where(_servers.c.reservation_id.is_(None))).all()
    for row in rows:
        bind.execute(
            _servers.update()
            .where(_servers.c.seq == row.seq)
            .values(reservation_id=_derived_reservation_id(row))
        )


def downgrade() -> None:
    op.drop_index("servers_by_reservation", table_name="servers")
    for column in ("launch_index", "reservation_id", "auto_disk_config", "config_drive",
                   "user_data", "access_ip_v6", "access_ip_v4"):  # fmt: skip
        op.drop_column("servers", column)  # SQLite >= 3.35 drops a column in place
