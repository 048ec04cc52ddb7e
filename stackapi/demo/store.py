"""The demo's state through SQLAlchemy: one transaction per request, committed before answering.

``connection`` is a SQLAlchemy URL: a SQLite file by default, PostgreSQL
(``postgresql+psycopg://``) when several processes or hosts share the state.
Only ``stackapi.demo`` imports SQLAlchemy; ``import stackapi`` does not.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator

import sqlalchemy
import webob
from sqlalchemy import Connection, Engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool, QueuePool

from stackapi.demo import migrate
from stackapi.errors import ConfigError
from stackapi.faults import fault_response

LOG = logging.getLogger(__name__)

ENVIRON_KEY = "stackapi.demo.db"
RETRY_AFTER = 5  # seconds: what a 503 asks the client to wait before trying again
POOL_TIMEOUT = 10.0  # seconds a request waits for a free connection of its process
CONNECT_TIMEOUT = 5  # seconds to reach PostgreSQL (libpq's connect_timeout)
QUERY_TIMEOUT = 10.0  # seconds any one wait for PostgreSQL's answer may take
PING_IDLE = 1.0  # seconds a pooled PostgreSQL connection may idle and be used unchecked
# Milliseconds an established PostgreSQL connection may leave data unacknowledged
# (the host vanished) before it fails; with keepalives, an idle one is probed too.
TCP_USER_TIMEOUT_MS = 10_000
PSYCOPG_DEFAULTS = {
    "connect_timeout": CONNECT_TIMEOUT,
    "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 2,
}
POSTGRESQL_POOL = {"pool_size": 10, "max_overflow": 10}  # per process
SQLITE_BUSY_TIMEOUT = 10.0  # seconds a writer waits for another process's write lock
# SQLite errors that say "not now" rather than "this SQL is wrong".
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk I/O error",
    "database or disk is full",
)
_CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock
_READS = frozenset({"GET", "HEAD"})
_WRITE = "stackapi_write"  # execution option: the transaction writes (SQLite: BEGIN IMMEDIATE)

_live: dict[str, Store] = {}  # this process's newest Store of each URL
_every: weakref.WeakSet[Store] = weakref.WeakSet()  # and all of them, while they live
_live_lock = threading.Lock()


class Store:
    """The demo's database, upgraded to this code's schema when the app is built.

    ::

        store = Store("sqlite:////var/lib/stackapi/demo.sqlite3")
        resp = store.respond(req, app)      # app calls database(req).execute(...)

    One transaction per request: everything the request wrote is committed
    together before the response is sent, or (status >= 400, exception)
    nothing is.  A database that cannot be reached is a 503 fault with
    ``Retry-After`` (see :func:`refusal`), bounded by ``POOL_TIMEOUT`` and
    ``CONNECT_TIMEOUT``; the next request tries again, so the service comes
    back by itself with the database.

    **Processes.**  Building the Store runs the migrations on a connection
    that is closed before the constructor returns; the engine that serves
    requests is created on first use, in the process that uses it.  A
    process that inherited an engine through ``fork`` drops it without
    closing the parent's connections (``dispose(close=False)``) and creates
    its own: no connection is ever shared by two processes.

    **Reload.**  SIGHUP builds a new app (and Store) while requests in
    flight finish on the old one.  A new Store disposes the engine of the
    previous Store of the same URL in this process: its idle connections
    close at once, and the ones still checked out by requests in flight
    are dropped by their pool when it is garbage-collected.  The old Store
    stays usable (a late request opens a fresh pool), so nothing in flight
    fails.  When the old app is dropped (the last request on it done, or
    the URL changed by the reload), its Store's finalizer disposes the
    engine again.

    **SQLite.**  One connection per process (a pool of one): a request
    waits, green or real thread alike, for the transaction before it.  Under
    eventlet, SQLite's busy wait sleeps in C and would block every green
    thread of the process, so a second connection of the same process must
    never wait for a lock that a sleeping green thread holds.  Between
    processes SQLite's file locks apply: WAL mode lets readers go on during a
    write, a writer waits up to ``SQLITE_BUSY_TIMEOUT``, and a write
    transaction takes the lock at its start (``BEGIN IMMEDIATE``) so that two
    writers never deadlock upgrading a read lock.  A committed transaction
    survives ``kill -9`` (WAL, ``synchronous=NORMAL``); a power loss may drop
    the last ones.

    **PostgreSQL.**  A pool of 10 (+10 overflow) connections per process,
    checked with a ping when taken after a second of idleness (see
    :func:`_ping`).  READ COMMITTED; a request that changes a server locks its row
    first (``SELECT ... FOR UPDATE``, in the controller), so two changes of
    one server run one after the other and the second sees the first's
    result: a rename after a delete is a 404, an action in the wrong state a
    409, as in nova; a create counts its project's servers under a transaction
    lock of that project, so concurrent creates never pass the quota.
    Serialization failures and deadlocks, should they occur, are 409 too,
    never 500.  No wait is unbounded: ``CONNECT_TIMEOUT`` to
    connect, ``QUERY_TIMEOUT`` for any answer (see :func:`bounded_connection_class`,
    which also makes psycopg's waits green under eventlet), TCP keepalives
    and ``tcp_user_timeout`` for a host that vanished.
    """

    def __init__(self, connection: str) -> None:
        self.url = parse_connection(connection)
        self.name = self.url.render_as_string(hide_password=True)
        self._upgrade()
        self._engines = _ProcessEngine(self.url)
        # Closes this process's connections when the Store goes (an app dropped by a
        # reload, the interpreter's exit), not only when a newer Store replaces it.
        weakref.finalize(self, self._engines.dispose)
        key = self.url.render_as_string(hide_password=False)
        with _live_lock:
            previous, _live[key] = _live.get(key), self
            _every.add(self)
        if previous is not None:
            previous.dispose()

    def _upgrade(self) -> None:
        """Migrate to this code's schema on a connection of its own, closed afterwards."""
        try:
            if self.url.get_backend_name() == "sqlite":
                os.makedirs(os.path.dirname(os.path.abspath(self.url.database)), exist_ok=True)
            engine = create_engine(self.url, pooled=False)
        except (OSError, ImportError, sa_exc.ArgumentError) as exc:
            raise ConfigError(f"{self.name}: {exc}", key="connection") from None
        try:
            with self.transaction(write=True, engine=engine) as db:
                before, after = migrate.upgrade(db)
        except (migrate.UnknownRevision, sa_exc.SQLAlchemyError) as exc:
            raise ConfigError(f"{self.name}: {describe(exc)}", key="connection") from None
        finally:
            engine.dispose()
        if not before:  # a new database: nothing an operator needs to hear about
            LOG.debug("%s: schema created at revision %s", self.name, after)
        elif before != (after,):
            LOG.info("%s: schema upgraded from %s to %s", self.name, ",".join(before), after)

    @property
    def engine(self) -> Engine:
        """This process's engine, created on first use (after any fork)."""
        return self._engines.get()

    def dispose(self) -> None:
        """Close this process's idle connections (a later use opens new ones)."""
        self._engines.dispose()

    @contextlib.contextmanager
    def transaction(
        self, write: bool = False, engine: Engine | None = None
    ) -> Iterator[Connection]:
        """One transaction: committed if the block ends normally, else rolled back."""
        with (engine or self.engine).connect() as db:
            if write:
                db.execution_options(**{_WRITE: True})
            elif db.dialect.name == "postgresql":
                # READ COMMITTED gives each statement its own snapshot anyway: a read
                # in autocommit sees the same and saves the BEGIN and COMMIT round trips.
                db.execution_options(isolation_level="AUTOCOMMIT")
            with db.begin():
                yield db

    def respond(self, req: webob.Request, app: Callable) -> webob.Response:
        """Answer ``req`` with ``app`` inside one transaction: the request's all or nothing.

        The app finds the connection with :func:`database`.  A response of
        400 or more (or an exception) rolls back; anything else is committed
        before the response leaves.  The body must already be read (no
        connection is held while a client uploads slowly, nor while it reads).
        """
        try:
            with self.transaction(write=req.method not in _READS) as db:
                req.environ[ENVIRON_KEY] = db
                resp = req.get_response(app)
                resp.body  # noqa: B018 - the whole answer is built inside the transaction
                if resp.status_int >= 400:
                    raise _Refused(resp)
        except _Refused as refused:
            resp = refused.response
        except sa_exc.SQLAlchemyError as exc:
            resp = self.refusal(exc)
            if resp is None:
                raise
        finally:
            req.environ.pop(ENVIRON_KEY, None)
        return resp

    def refusal(self, exc: sa_exc.SQLAlchemyError) -> webob.Response | None:
        """The fault for a database that is unavailable (503) or a conflict (409), else None."""
        status = classify(exc)
        if status == 503:
            LOG.warning("%s unavailable, answering 503: %s", self.name, describe(exc))
            return fault_response(
                503,
                "The database is unavailable; retry later.",
                [("Retry-After", str(RETRY_AFTER))],
            )
        if status == 409:
            LOG.info("%s: concurrent change, answering 409: %s", self.name, describe(exc))
            return fault_response(409, "A concurrent request changed this server; retry.")
        return None

    def ping(self) -> tuple[bool, str]:
        """``(reachable, one line)``: a ``SELECT 1`` through this process's pool."""
        started = time.monotonic()
        try:
            with self.transaction() as db:
                db.exec_driver_sql("SELECT 1")
        except sa_exc.SQLAlchemyError as exc:
            return False, f"{self.name}: {describe(exc)}"
        return True, f"{self.name}: SELECT 1 in {(time.monotonic() - started) * 1000:.1f} ms"


class _ProcessEngine:
    """The engine of one URL in this process: created on first use, never inherited."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.engine: Engine | None = None
        self.pid = 0
        self.lock = threading.Lock()

    def get(self) -> Engine:
        if self.pid != os.getpid():
            with self.lock:
                if self.pid != os.getpid():
                    if self.engine is not None:
                        self.engine.dispose(close=False)  # the parent's connections are its own
                    self.engine, self.pid = create_engine(self.url), os.getpid()
        assert self.engine is not None
        return self.engine

    def dispose(self) -> None:
        with self.lock:
            if self.engine is not None and self.pid == os.getpid():
                self.engine.dispose()


class _Refused(Exception):
    """Carries a 4xx/5xx response out of the transaction, which it rolls back."""

    def __init__(self, response: webob.Response) -> None:
        super().__init__(response.status)
        self.response = response


def database(req: webob.Request) -> Connection:
    """The connection of ``req``'s transaction (see :meth:`Store.respond`)."""
    return req.environ[ENVIRON_KEY]


def live_stores() -> list[Store]:
    """The Stores this process serves from (the newest of each URL)."""
    with _live_lock:
        return list(_live.values())


def dispose_all() -> None:
    """Close the pooled connections of every Store of this process; forget them (tests)."""
    with _live_lock:
        stores = list(_every)
        _live.clear()
    for store in stores:
        store.dispose()


def parse_connection(value: str) -> URL:
    """The ``connection`` key as a URL, or a ConfigError naming it."""
    try:
        url = make_url(value.strip())
    except sa_exc.ArgumentError:
        raise ConfigError(
            "expected a database URL: sqlite:///path/to/demo.sqlite3 or"
            " postgresql+psycopg://user:password@host:5432/dbname",
            key="connection",
        ) from None
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise ConfigError(
            "SQLite needs a file that every process opens: sqlite:///path/to/demo.sqlite3",
            key="connection",
        )
    return url


def create_engine(url: URL, pooled: bool = True) -> Engine:
    """An engine for ``url`` as :class:`Store` documents it (``pooled=False``: NullPool)."""
    pool: dict = {"poolclass": NullPool}
    if url.get_backend_name() == "sqlite":
        if pooled:
            pool = {"poolclass": QueuePool, "pool_size": 1, "max_overflow": 0}
            pool["pool_timeout"] = POOL_TIMEOUT
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False}
        engine = sqlalchemy.create_engine(url, connect_args=connect_args, **pool)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    psycopg = url.get_driver_name() == "psycopg"
    connect_args = {}
    if psycopg:
        connect_args = {k: v for k, v in PSYCOPG_DEFAULTS.items() if k not in url.query}
    if pooled:
        # psycopg: the bounded ping below; SQLAlchemy's own would hang on a frozen server.
        pool = {**POSTGRESQL_POOL, "pool_timeout": POOL_TIMEOUT, "pool_pre_ping": not psycopg}
    engine = sqlalchemy.create_engine(url, connect_args=connect_args, **pool)
    event.listen(engine, "handle_error", _timeout_is_disconnect)
    if psycopg:
        event.listen(engine, "do_connect", _connect_bounded)
    if psycopg and pooled:
        event.listen(engine, "connect", _idle_from_now)
        event.listen(engine, "checkin", _idle_from_now)
        event.listen(engine, "checkout", _ping)
    return engine


def _sqlite_connect(dbapi_connection, connection_record) -> None:
    # The transactions are ours (BEGIN below), not pysqlite's implicit, deferred ones.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(db: Connection) -> None:
    db.exec_driver_sql("BEGIN IMMEDIATE" if db.get_execution_options().get(_WRITE) else "BEGIN")


def _connect_bounded(dialect, connection_record, cargs, cparams):
    """SQLAlchemy's connect, with a :func:`bounded_connection_class` connection."""
    return bounded_connection_class().connect(*cargs, **cparams)


@functools.cache
def bounded_connection_class() -> type:
    """A psycopg connection whose every wait on the server ends within QUERY_TIMEOUT,
    and is green under eventlet; this engine's connections only (no psycopg global).

    psycopg waits for PostgreSQL with no time limit: a server that accepts
    connections but never answers (frozen, stalled storage) would hold each
    request for ever.  Past QUERY_TIMEOUT psycopg raises an OperationalError
    (a 503), and :func:`_timeout_is_disconnect` has the connection thrown away.
    Its default wait is C code calling poll(), which under eventlet would block
    every green thread of the process during each query (psycopg recognizes
    gevent, not eventlet): there, this waits in select(), which eventlet made green.
    """
    import psycopg
    import psycopg.waiting

    patcher = sys.modules.get("eventlet.patcher")  # made once per process, after the patch
    green = patcher is not None and patcher.is_monkey_patched("select")
    waiter = psycopg.waiting.wait_select if green else psycopg.waiting.wait

    class BoundedConnection(psycopg.Connection):
        def wait(self, gen, interval=0.1, timeout=None):
            limit = QUERY_TIMEOUT if timeout is None else min(timeout, QUERY_TIMEOUT)
            return waiter(gen, self.pgconn.socket, interval=interval, timeout=limit)

    return BoundedConnection


def _idle_from_now(dbapi_connection, connection_record) -> None:
    """A connection made or given back to the pool: idle from now (see :func:`_ping`)."""
    connection_record.info["stackapi_idle_since"] = time.monotonic()


def _ping(dbapi_connection, connection_record, connection_proxy) -> None:
    """A pooled psycopg connection idle for PING_IDLE must answer ``SELECT 1`` to be used.

    Else it is closed, and with it every connection pooled before (the server
    restarted, or stopped answering), and the pool opens a new one.  The wait
    is bounded by QUERY_TIMEOUT.  A connection used less than PING_IDLE ago is
    not pinged (under load, none is: a round trip saved per request); if the
    database went away since, that request is a 503 and the pool is renewed.
    """
    import psycopg

    idle_since = connection_record.info.get("stackapi_idle_since", 0.0)
    if time.monotonic() - idle_since < PING_IDLE:
        return
    try:
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.autocommit = False
    except psycopg.Error as exc:
        dbapi_connection.close()  # possibly mid-query: nothing else is safe to do with it
        raise sa_exc.InvalidatePoolError(f"ping failed: {exc}") from exc


def _timeout_is_disconnect(context: sqlalchemy.engine.ExceptionContext) -> None:
    """A connection whose query outlived QUERY_TIMEOUT is in an unknown state: drop it."""
    if "wait timeout expired" in str(context.original_exception):
        context.is_disconnect = True


def classify(exc: BaseException) -> int | None:
    """503 for "the database is not there now", 409 for a concurrent change, else None."""
    if isinstance(exc, sa_exc.TimeoutError):  # no free connection within POOL_TIMEOUT
        return 503
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    if exc.connection_invalidated:
        return 503
    if getattr(exc.orig, "sqlstate", None) in _CONFLICT_SQLSTATES:
        return 409
    if not isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return None
    if exc.orig.__class__.__module__.startswith("sqlite3"):
        return 503 if str(exc.orig).startswith(_SQLITE_UNAVAILABLE) else None
    return 503


def describe(exc: BaseException) -> str:
    """One line about a database error: the driver's words, without SQLAlchemy's SQL dump."""
    cause = getattr(exc, "orig", None) or exc
    return " ".join(str(cause).split()) or type(cause).__name__
