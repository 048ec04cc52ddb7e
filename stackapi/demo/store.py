"""The demo's state: one SQLite file, one transaction per request, committed before answering.

Safe under eventlet green threads and under real threads (gunicorn): each
process has one connection, and a lock lets one transaction use it at a time.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator

import webob

from stackapi.errors import ConfigError

ENVIRON_KEY = "stackapi.demo.db"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS servers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- creation order: newest first in listings
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    flavor_id TEXT NOT NULL,
    old_flavor_id TEXT,                      -- while a resize waits for confirm/revert
    image_ref TEXT,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS servers_by_project ON servers (project_id, seq);
"""


class Store:
    """The SQLite database of the demo, created (with its directory) on first use.

    ::

        store = Store("/var/lib/stackapi/demo.sqlite3")
        resp = store.respond(req, app)      # app calls database(req).execute(...)

    One transaction per request: everything the request wrote is committed
    together before the response is sent, or (status >= 400, exception)
    nothing is.

    Why a lock around one connection per process, rather than a connection
    per request: under eventlet, SQLite's busy wait sleeps in C and blocks
    every green thread of the process, so a second connection of the *same*
    process waiting for a write lock that a sleeping green thread holds would
    stall the whole server until the timeout.  ``threading.Lock`` is
    monkey-patched into a green lock there (the app is built after
    patching), and is a real lock under gunicorn threads; either way one
    transaction at a time uses the connection, the others wait without
    blocking the process.  Transactions are short (no I/O inside), so the
    queue is too.  Between processes (``--workers``, gunicorn workers) SQLite's
    own file locks apply: WAL mode lets readers proceed during a write, and a
    writer waits up to ``timeout`` seconds.  The connection is opened per
    process (a forked worker opens its own; SQLite forbids sharing one).

    Durability: every write transaction is committed before the response
    is built; in WAL mode with ``synchronous=NORMAL`` a committed
    transaction survives the process being killed (``kill -9``); a power
    loss may drop the last ones.
    """

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        self.path = os.path.abspath(path)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._inherited: sqlite3.Connection | None = None
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with self.transaction(write=True) as db:
                self._migrate(db)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"{self.path}: {exc}", key="db_path") from None

    def _connect(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            # Keep (never close) a connection inherited through fork: it is the parent's.
            self._inherited = self._connection
            db = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._connection, self._pid = db, os.getpid()
        assert self._connection is not None
        return self._connection

    @contextlib.contextmanager
    def transaction(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction: committed if the block ends normally, else rolled back.

        ``write=True`` takes SQLite's write lock at the start (``BEGIN
        IMMEDIATE``), so two writers never deadlock upgrading a read lock.
        """
        with self._lock:
            db = self._connect()
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def respond(self, req: webob.Request, app: Callable) -> webob.Response:
        """Answer ``req`` with ``app`` inside one transaction: the request's all or nothing.

        The app finds the connection with :func:`database`.  A response of
        400 or more (or an exception) rolls back; anything else is committed
        before the response leaves.  The body must already be read (the
        lock is not held while a client uploads slowly, nor while it reads).
        """
        try:
            with self.transaction(write=req.method not in ("GET", "HEAD")) as db:
                req.environ[ENVIRON_KEY] = db
                resp = req.get_response(app)
                resp.body  # noqa: B018 - the whole answer is built inside the transaction
                if resp.status_int >= 400:
                    raise _Refused(resp)
        except _Refused as refused:
            resp = refused.response
        finally:
            req.environ.pop(ENVIRON_KEY, None)
        return resp

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"schema version {version} is newer than this code's {SCHEMA_VERSION}"
            )
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


class _Refused(Exception):
    """Carries a 4xx/5xx response out of the transaction, which it rolls back."""

    def __init__(self, response: webob.Response) -> None:
        super().__init__(response.status)
        self.response = response


def database(req: webob.Request) -> sqlite3.Connection:
    """The connection of ``req``'s transaction (see :meth:`Store.respond`)."""
    return req.environ[ENVIRON_KEY]
