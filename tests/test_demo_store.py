"""The demo's SQLite Store: created on first use, all-or-nothing, safe for threads and forks."""

import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
import webob

import stackapi
from demo_config import demo_ini
from stackapi.demo.images import CIRROS
from stackapi.demo.store import Store
from stackapi.errors import ConfigError

THREADS = 8
REQUESTS_PER_THREAD = 25


def count(store):
    with store.transaction() as db:
        return db.execute("SELECT count(*) FROM servers").fetchone()[0]


def insert(db, server_id):
    db.execute(
        "INSERT INTO servers (id, project_id, user_id, name, flavor_id, status, created, updated)"
        " VALUES (?, 'p', 'u', 'n', '1', 'ACTIVE', 'now', 'now')",
        (server_id,),
    )


def test_created_with_its_directory_on_first_use(tmp_path):
    store = Store(str(tmp_path / "state" / "deep" / "demo.sqlite3"))
    assert count(store) == 0
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (1,)


def test_a_transaction_is_all_or_nothing(tmp_path):
    store = Store(str(tmp_path / "demo.sqlite3"))
    with pytest.raises(RuntimeError), store.transaction(write=True) as db:
        insert(db, "a")
        raise RuntimeError("after the write")
    assert count(store) == 0
    with store.transaction(write=True) as db:
        insert(db, "a")
    assert count(Store(store.path)) == 1  # committed: another connection sees it


def test_an_unusable_path_names_the_key(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError) as caught:
        Store(str(tmp_path / "file" / "demo.sqlite3"))
    assert str(caught.value).startswith(f"db_path: {tmp_path / 'file' / 'demo.sqlite3'}: ")


def test_a_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "demo.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(ConfigError, match="schema version 7 is newer than this code's 1"):
        Store(str(path))


def test_the_ini_must_name_the_file(tmp_path):
    ini = demo_ini(tmp_path)
    ini.write_text(ini.read_text().replace("db_path = %(here)s/demo.sqlite3\n", ""))
    with pytest.raises(ConfigError, match=r"\[app:compute_api\] db_path: set the SQLite file"):
        stackapi.loadapp(str(ini))


def test_real_threads_write_concurrently(tmp_path):
    """As under gunicorn's threaded workers: no lost write, no 'database is locked'."""
    app = stackapi.loadapp(str(demo_ini(tmp_path)))

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


def test_a_forked_process_uses_its_own_connection(tmp_path):
    store = Store(str(tmp_path / "demo.sqlite3"))
    with store.transaction(write=True) as db:  # the parent's connection is open
        insert(db, "parent")
    pid = os.fork()
    if pid == 0:  # the child: must not reuse the parent's connection
        try:
            with store.transaction(write=True) as db:
                insert(db, "child")
            os._exit(0 if store._connection is not store._inherited else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert count(store) == 2
