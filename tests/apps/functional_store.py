"""A small SQLite-backed API that persists the way a careful demo does.

Stands in for the nova-like demo of issue 5 in tests/functional/test_state.py
until that demo exists.  The rules it follows: one transaction per request
(``with conn:`` commits on success, rolls back on any exception), committed
*before* the response is returned; validation that fails half-way through a
multi-row write raises inside the transaction, so nothing of it stays.
"""

import logging
import sqlite3
import time

import routes
from webob import exc

import stackapi

LOG = logging.getLogger("stackapi.store")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL DEFAULT 0
)
"""


class ItemsController(stackapi.Controller):
    """``{"item": {"name": str, "size": int}}``; ``split`` replaces one item by several."""

    def __init__(self, database):
        self.database = database
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)

    def _connect(self):
        conn = sqlite3.connect(self.database, timeout=10)
        conn.execute("PRAGMA synchronous=FULL")
        conn.row_factory = sqlite3.Row
        return conn

    def _transaction(self, work):
        """Run ``work(conn)`` in one transaction: all of it is committed, or none."""
        conn = self._connect()
        try:
            with conn:
                return work(conn)
        except sqlite3.IntegrityError:
            raise exc.HTTPConflict(explanation="An item with that name exists.") from None
        finally:
            conn.close()

    def index(self, req):
        rows = self._transaction(lambda c: c.execute("SELECT * FROM items ORDER BY id").fetchall())
        return {"items": [dict(row) for row in rows]}

    def show(self, req, id):
        return {"item": self._transaction(lambda c: _get(c, id))}

    @stackapi.response(201)
    def create(self, req, body):
        name, size = _item_from(body)

        def insert(conn):
            cursor = conn.execute("INSERT INTO items (name, size) VALUES (?, ?)", (name, size))
            return _get(conn, cursor.lastrowid)

        return {"item": self._transaction(insert)}

    def update(self, req, id, body):
        name, size = _item_from(body)

        def change(conn):
            _get(conn, id)
            conn.execute("UPDATE items SET name = ?, size = ? WHERE id = ?", (name, size, id))
            return _get(conn, id)

        return {"item": self._transaction(change)}

    def delete(self, req, id):
        def remove(conn):
            _get(conn, id)
            conn.execute("DELETE FROM items WHERE id = ?", (id,))

        self._transaction(remove)

    @stackapi.action("split")
    def _split(self, req, id, body):
        """``{"split": {"names": [...], "pause": s}}``: one new item per name, then delete ``id``.

        Each name is checked as it is inserted, so a bad one fails the request
        after earlier rows were written -- and the transaction takes them back.
        ``pause`` (tests only) sleeps after each insert, to kill the server mid-way.
        """
        spec = body["split"] or {}
        names = spec.get("names")
        if not isinstance(names, list) or not names:
            raise exc.HTTPBadRequest(explanation="split needs a non-empty list of names.")
        pause = min(float(spec.get("pause", 0)), 5.0)

        def split(conn):
            original = _get(conn, id)
            LOG.info("split of item %s started", id)
            for name in names:
                conn.execute(
                    "INSERT INTO items (name, size) VALUES (?, ?)",
                    (_checked_name(name), original["size"]),
                )
                time.sleep(pause)
            conn.execute("DELETE FROM items WHERE id = ?", (id,))
            rows = conn.execute("SELECT * FROM items ORDER BY id").fetchall()
            return {"items": [dict(row) for row in rows]}

        return self._transaction(split)


def _get(conn, id):
    row = conn.execute("SELECT * FROM items WHERE id = ?", (str(id),)).fetchone()
    if row is None:
        raise exc.HTTPNotFound(explanation=f"Item {id} could not be found.")
    return dict(row)


def _checked_name(name):
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 255:
        raise exc.HTTPBadRequest(explanation="An item name is a string of 1 to 255 characters.")
    return name.strip()


def _item_from(body):
    item = body.get("item")
    if not isinstance(item, dict):
        raise exc.HTTPBadRequest(explanation='Expected {"item": {"name": "<string>"}}.')
    size = item.get("size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size < 2**31:
        raise exc.HTTPBadRequest(explanation="An item size is an integer from 0.")
    return _checked_name(item.get("name")), size


class StoreRouter(stackapi.Router):
    """``/items`` backed by the SQLite file named by the section's ``database`` key."""

    def __init__(self, database, **conf):
        mapper = routes.Mapper()
        mapper.resource(
            "item",
            "items",
            controller=stackapi.Resource(ItemsController(database)),
            member={"action": "POST"},
        )
        super().__init__(mapper)
