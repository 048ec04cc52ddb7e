"""Schema upgrades on start: Alembic to the newest revision, one process at a time.

Every process that loads the demo calls :func:`upgrade` (with ``--workers``, each
worker; with several hosts, each host): a lock makes the others wait, then find
nothing to do.  A database at a revision this code does not know is refused.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

# Any constant shared by every release: the key of PostgreSQL's advisory lock.
_PG_LOCK_KEY = 0x5A7C_DE60


class UnknownRevision(Exception):
    """The database was upgraded by a newer release than this code."""


def alembic_config() -> Config:
    """The Alembic configuration of the demo's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", "stackapi.demo:migrations")
    return config


def head() -> str:
    """The newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current(connection: Connection) -> tuple[str, ...]:
    """The revision(s) the database is at (empty: never migrated)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def upgrade(connection: Connection) -> tuple[tuple[str, ...], str]:
    """Upgrade to :func:`head` inside ``connection``'s transaction; ``(before, after)``.

    The caller opens a write transaction (SQLite: ``BEGIN IMMEDIATE``, which
    is its lock); on PostgreSQL a transaction-scoped advisory lock serializes
    the processes of every host.  PostgreSQL's DDL is transactional: a failed
    upgrade leaves the database as it was.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    known = {revision.revision for revision in script.walk_revisions()}
    before = current(connection)
    unknown = [revision for revision in before if revision not in known]
    if unknown:
        raise UnknownRevision(
            f"the database is at schema revision {', '.join(unknown)}, unknown to this"
            f" release (newest: {script.get_current_head()}): was it upgraded by a newer one?"
        )
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return before, script.get_current_head() or ""
