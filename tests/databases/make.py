"""Make a demo database with the stackapi found first on ``sys.path``, through its own API.

The dumps next to this file were made so, each from the tree of an earlier
version, and are what tests/test_demo_migrations.py upgrades::

    mkdir -p /tmp/old && git archive 538e13e | tar -x -C /tmp/old    # or 819d973
    PYTHONPATH=/tmp/old .venv/bin/python tests/databases/make.py /tmp/old /tmp/old/out
    .venv/bin/python tests/databases/make.py --dump /tmp/old/out/demo.sqlite3 "WHAT" > FILE.sql
"""

import shutil
import sqlite3
import sys
from pathlib import Path


def make(tree: Path, out: Path) -> None:
    """Servers of two projects, renamed, paused, one deleted: the old code's ini and API."""
    import webtest

    import stackapi

    print("stackapi from", stackapi.__file__, file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(tree / "etc" / "api-paste.ini", out / "api-paste.ini")
    app = webtest.TestApp(stackapi.loadapp(str(out / "api-paste.ini")))
    alice = {"X-Auth-Token": "alice:demo"}
    ids = []
    for name in ("web-1", "db-1", "gone"):
        body = {"server": {"name": name, "flavorRef": "1", "metadata": {"role": name}}}
        ids.append(app.post_json("/v2.1/servers", body, headers=alice).json["server"]["id"])
    app.put_json(f"/v2.1/servers/{ids[1]}", {"server": {"name": "db-primary"}}, headers=alice)
    app.post_json(f"/v2.1/servers/{ids[0]}/action", {"pause": None}, headers=alice)
    app.delete(f"/v2.1/servers/{ids[2]}", headers=alice)
    body = {"server": {"name": "bob-1", "flavorRef": "2"}}
    app.post_json("/v2.1/servers", body, headers={"X-Auth-Token": "bob:other"})


def dump(path: Path, what: str) -> str:
    """sqlite3's dump of ``path``, with its ``user_version`` (which the dump omits)."""
    db = sqlite3.connect(path)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    lines = [
        f"-- The demo's database as {what} left it,",
        "-- made through that code's own API by tests/databases/make.py; sqlite3's dump.",
        *db.iterdump(),
    ]
    if version:
        lines.insert(lines.index("COMMIT;"), f"PRAGMA user_version = {version};")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1] == "--dump":
        sys.stdout.write(dump(Path(sys.argv[2]), sys.argv[3]))
    else:
        make(Path(sys.argv[1]), Path(sys.argv[2]))
