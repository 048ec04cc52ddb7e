"""The demo's schema revisions: older databases upgrade in place, rows and answers kept.

The databases upgraded here were made by the older code itself, through its
API (tests/databases/make.py): the previous release's hand-written SQLite
schema, and revision 0001 as branch demo-sqlalchemy made it.
"""

import hashlib
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import stackapi
from conftest import testapp
from demo_config import demo_ini
from stackapi.demo import migrate, tables
from stackapi.demo.images import CIRROS

DATABASES = Path(__file__).parent / "databases"
ALICE = {"X-Auth-Token": "alice:demo"}
ADMIN = {"X-Auth-Token": "admin:ops", "X-OpenStack-Nova-API-Version": "2.3"}


def load(dump: str, path: Path) -> None:
    """A SQLite file at ``path`` holding what ``tests/databases/<dump>`` holds."""
    db = sqlite3.connect(path)
    db.executescript((DATABASES / dump).read_text())
    db.close()


def shape(path: Path) -> tuple[list, list]:
    """The servers table as SQLite describes it: its columns and its indexes."""
    with sqlite3.connect(path) as db:
        columns = db.execute("PRAGMA table_info(servers)").fetchall()
        indexes = sorted(
            (name, unique, [c[2] for c in db.execute(f"PRAGMA index_info('{name}')")])
            for _, name, unique, *_ in db.execute("PRAGMA index_list(servers)")
        )
    return [c[1:] for c in columns], indexes  # (name, type, notnull, default, pk)


def old_reservation_id(row: tuple) -> str:
    """What the code before revision 0002 showed for a row (derived, never stored)."""
    key = "|".join(str(v) for v in row)
    return "r-" + hashlib.sha1(key.encode()).hexdigest()[:8]


@pytest.mark.parametrize("dump", ["demo-0.1.0.sql", "demo-alembic-0001.sql"])
def test_an_older_database_upgrades_in_place(tmp_path, dump):
    path = tmp_path / "demo.sqlite3"  # the file the shipped ini names
    load(dump, path)
    columns, _ = shape(path)
    with sqlite3.connect(path) as db:
        before = db.execute(
            "SELECT seq, id, name, status, metadata, project_id, user_id, created, flavor_id,"
            " image_ref FROM servers ORDER BY seq"
        ).fetchall()

    api = testapp(stackapi.loadapp(str(demo_ini(tmp_path))))

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    testapp(stackapi.loadapp(str(demo_ini(fresh))))
    # The columns it had, unchanged (0001 adopted the previous release's table as it
    # was: its seq lacks an explicit NOT NULL), then those of a new database.
    upgraded, new = shape(path), shape(fresh / "demo.sqlite3")
    assert upgraded[0] == columns + new[0][len(columns) :]
    assert upgraded[1] == new[1]  # the indexes
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrate.head(),)
        ]

    # Every row kept, and answered as before; the new fields as nova shows "none".
    listed = api.get("/v2.1/servers/detail?all_tenants=1", headers=ADMIN).json["servers"]
    assert [(s["id"], s["name"], s["status"]) for s in reversed(listed)] == [
        row[1:4] for row in before
    ]
    for server in listed:
        assert (server["accessIPv4"], server["accessIPv6"], server["config_drive"]) == ("", "", "")
        assert server["OS-DCF:diskConfig"] == "MANUAL"
        assert server["OS-EXT-SRV-ATTR:user_data"] is None
        assert server["OS-EXT-SRV-ATTR:launch_index"] == 0
    web = next(s for s in listed if s["name"] == "web-1")
    assert web["metadata"] == {"role": "web-1"}

    # The reservation ids the older code showed are now stored, and filter.
    shown = {s["id"]: s["OS-EXT-SRV-ATTR:reservation_id"] for s in listed}
    assert shown == {row[1]: old_reservation_id(row[5:]) for row in before}
    wanted = shown[web["id"]]
    found = api.get(f"/v2.1/servers?reservation_id={wanted}", headers=ALICE).json["servers"]
    assert web["id"] in [s["id"] for s in found]

    # New servers continue the sequence, with the new columns.
    body = {"server": {"name": "new", "flavorRef": "1", "imageRef": CIRROS,
                       "accessIPv4": "192.0.2.1", "config_drive": True}}  # fmt: skip
    api.post_json("/v2.1/servers", body, headers=ALICE, status=202)
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT seq, access_ip_v4, config_drive FROM servers WHERE name = 'new'"
        ).fetchone()
        assert row == (5, "192.0.2.1", 1)  # after bob-1's 4 (3 was deleted, not reused)


def test_the_tables_module_matches_the_newest_revision(tmp_path):
    """stackapi/demo/tables.py (what the code queries) is what the migrations build."""
    testapp(stackapi.loadapp(str(demo_ini(tmp_path))))
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    with engine.connect() as db:
        assert compare_metadata(MigrationContext.configure(db), tables.metadata) == []
    engine.dispose()


def test_the_newest_revision_downgrades_and_upgrades_again(tmp_path):
    path = tmp_path / "demo.sqlite3"
    load("demo-alembic-0001.sql", path)
    original = shape(path)
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    config = migrate.alembic_config()
    with engine.begin() as db:
        config.attributes["connection"] = db
        command.upgrade(config, "head")
        command.downgrade(config, "0001")
    assert shape(path) == original
    with engine.begin() as db:
        assert migrate.upgrade(db) == (("0001",), migrate.head())
        assert db.execute(sqlalchemy.text("SELECT count(*) FROM servers")).scalar_one() == 3
    engine.dispose()
