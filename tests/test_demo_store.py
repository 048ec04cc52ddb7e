"""The demo's Store: created and upgraded on start, all-or-nothing, safe for threads and forks.

The tests that take ``demo_db`` run on a SQLite file and on PostgreSQL.
"""

import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
import webob
from sqlalchemy import text

import stackapi
from conftest import testapp
from demo_config import demo_ini
from stackapi.demo import migrate
from stackapi.demo.images import CIRROS
from stackapi.demo.store import Store
from stackapi.errors import ConfigError

ALICE = {"X-Auth-Token": "alice:demo"}
THREADS = 8
REQUESTS_PER_THREAD = 25

#: The schema the previous release (0.1.0, stackapi/demo/store.py before SQLAlchemy)
#: wrote by hand, verbatim, and how it wrote it: what an existing file holds.
PREVIOUS_RELEASE_SCHEMA = """
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


def sqlite_url(path):
    return f"sqlite:///{path}"


def count(store):
    with store.transaction() as db:
        return db.execute(text("SELECT count(*) FROM servers")).scalar_one()


def insert(db, server_id):
    db.execute(
        text(
            "INSERT INTO servers (id, project_id, user_id, name, flavor_id, status, created,"
            " updated) VALUES (:id, 'p', 'u', 'n', '1', 'ACTIVE', 'now', 'now')"
        ),
        {"id": server_id},
    )


def names(api):
    """alice's servers, newest first, through the API."""
    return [s["name"] for s in api.get("/v2.1/servers", headers=ALICE).json["servers"]]


def previous_release_file(path, names):
    """A database file as the previous release left it, with alice's servers ``names``."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("BEGIN IMMEDIATE")
    for statement in PREVIOUS_RELEASE_SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    for n, name in enumerate(names):
        db.execute(
            "INSERT INTO servers (id, project_id, user_id, name, flavor_id, status, metadata,"
            " created, updated) VALUES (?, 'demo', 'alice', ?, '1', 'ACTIVE', '{}',"
            " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            (f"00000000-0000-4000-8000-00000000000{n}", name),
        )
    db.execute("COMMIT")
    db.close()


def test_created_with_its_directory_on_first_use(tmp_path):
    path = tmp_path / "state" / "deep" / "demo.sqlite3"
    store = Store(sqlite_url(path))
    assert count(store) == 0
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrate.head(),)
        ]


def test_a_transaction_is_all_or_nothing(demo_db):
    store = Store(demo_db.url)
    with pytest.raises(RuntimeError), store.transaction(write=True) as db:
        insert(db, "a")
        raise RuntimeError("after the write")
    assert count(store) == 0
    with store.transaction(write=True) as db:
        insert(db, "a")
    assert count(Store(str(store.url))) == 1  # committed: another engine sees it


def test_an_unusable_path_names_the_key(tmp_path):
    (tmp_path / "file").write_text("")
    url = sqlite_url(tmp_path / "file" / "demo.sqlite3")
    with pytest.raises(ConfigError) as caught:
        Store(url)
    assert str(caught.value).startswith(f"connection: {url}: ")


@pytest.mark.parametrize(
    "value",
    ["not a url", "sqlite://", "sqlite:///:memory:", "nosuchdb://host/db"],
)
def test_a_bad_url_is_one_line_naming_the_key(tmp_path, value):
    with pytest.raises(ConfigError) as caught:
        Store(value)
    message = str(caught.value)
    assert message.startswith("connection: ") and "\n" not in message


def test_a_missing_driver_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"connection: mysql://u:\*\*\*@h/db: .*module"):
        Store("mysql://u:secret@h/db")  # no MySQL driver installed; the password stays hidden


def test_a_database_from_a_newer_release_is_refused(demo_db):
    with Store(demo_db.url).transaction(write=True) as db:
        db.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(ConfigError, match="schema revision 9999, unknown to this release"):
        Store(demo_db.url)


def test_the_previous_releases_file_upgrades_in_place(tmp_path):
    path = tmp_path / "demo.sqlite3"
    previous_release_file(path, ["old-1", "old-2"])
    with sqlite3.connect(path) as db:
        schema = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        columns = db.execute("PRAGMA table_info(servers)").fetchall()

    api = testapp(stackapi.loadapp(str(demo_ini(tmp_path))))  # the shipped ini: this file
    assert names(api) == ["old-2", "old-1"]
    api.post_json(
        "/v2.1/servers",
        {"server": {"name": "new", "flavorRef": "1", "imageRef": CIRROS}},
        headers=ALICE,
    )

    with sqlite3.connect(path) as db:
        upgraded = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        # Revision 0001 adopts the file as it is; later ones only add (columns, indexes):
        # every column and index it had is still there, unchanged.
        assert db.execute("PRAGMA table_info(servers)").fetchall()[: len(columns)] == columns
        assert [row for row in schema if row[0] == "index"] == [
            row for row in upgraded if row[0] == "index" and row in schema
        ]
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrate.head(),)
        ]
        rows = db.execute("SELECT seq, name FROM servers ORDER BY seq").fetchall()
    assert rows == [(1, "old-1"), (2, "old-2"), (3, "new")]


def test_the_ini_must_name_the_database(tmp_path):
    ini = demo_ini(tmp_path)
    ini.write_text(ini.read_text().replace("connection = sqlite:///%(here)s/demo.sqlite3\n", ""))
    with pytest.raises(ConfigError, match=r"\[app:compute_api\] connection: set the database URL"):
        stackapi.loadapp(str(ini))


def test_the_previous_releases_db_path_key_still_works(tmp_path, caplog):
    previous_release_file(tmp_path / "old.sqlite3", ["kept"])
    ini = demo_ini(tmp_path, api_options="db_path = %(here)s/old.sqlite3")
    shipped = ini.read_text()
    ini.write_text(shipped.replace("connection = sqlite:///%(here)s/demo.sqlite3\n", ""))
    assert names(testapp(stackapi.loadapp(str(ini)))) == ["kept"]
    assert "db_path is deprecated: write connection = sqlite:///" in caplog.text

    ini.write_text(shipped)  # both keys
    with pytest.raises(ConfigError, match=r"\[app:compute_api\] db_path: set connection or"):
        stackapi.loadapp(str(ini))


def test_real_threads_write_concurrently(tmp_path, demo_db):
    """As under gunicorn's threaded workers: no lost write, no 'database is locked'."""
    app = stackapi.loadapp(str(demo_db.ini(tmp_path)))

    def create(n):
        statuses = []
        for i in range(REQUESTS_PER_THREAD):
            req = webob.Request.blank("/v2.1/servers", method="POST")
            req.headers["X-Auth-Token"] = "alice:demo"
            req.json_body = {"server": {"name": f"t{n}-{i}", "flavorRef": "1", "imageRef": CIRROS}}
            statuses.append(req.get_response(app).status_int)
        return statuses

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = [s for batch in pool.map(create, range(THREADS), timeout=120) for s in batch]
    assert statuses == [202] * THREADS * REQUESTS_PER_THREAD
    listing = webob.Request.blank("/v2.1/servers", headers={"X-Auth-Token": "alice:demo"})
    names = {s["name"] for s in listing.get_response(app).json["servers"]}
    assert len(names) == THREADS * REQUESTS_PER_THREAD


def test_a_forked_process_uses_its_own_connection(demo_db):
    store = Store(demo_db.url)
    with store.transaction(write=True) as db:  # the parent's engine and connection are open
        insert(db, "parent")
    parent_engine = store.engine
    pid = os.fork()
    if pid == 0:  # the child: must not reuse (nor close) the parent's connection
        try:
            with store.transaction(write=True) as db:
                insert(db, "child")
            os._exit(0 if store.engine is not parent_engine else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.engine is parent_engine
    assert count(store) == 2  # the parent's pooled connection still works


def test_a_new_store_of_the_same_url_disposes_the_previous_pool(demo_db):
    """What a SIGHUP reload does: the old app's idle connections close, the old app still works."""
    old = Store(demo_db.url)
    assert count(old) == 0
    assert old.engine.pool.checkedin() == 1  # its one connection, idle in the pool
    new = Store(demo_db.url)
    assert old.engine.pool.checkedin() == 0
    with old.transaction(write=True) as db:  # a request still routed to the old app
        insert(db, "late")
    assert count(new) == 1
