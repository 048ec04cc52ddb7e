"""stackapi.logs.JSONFormatter: one JSON object per line, from an ini's [formatter_*] section."""

from __future__ import annotations

import json
import logging
import sys

from conftest import DEMO_INI, run_python
from stackapi.logs import JSONFormatter
from stackapi.request_ids import install_log_record_factory

GLOBAL_ID = "req-11111111-2222-4333-8444-555555555555"


def test_a_request_of_the_demo_logs_json_lines(tmp_path):
    """The demo ini with its commented-out JSON formatter switched on, as its comment says."""
    text = DEMO_INI.read_text()
    text = text.replace("keys = default\n", "keys = default, json\n", 1)
    text = text.replace("formatter = default\n", "formatter = json\n")
    text = text.replace("# [formatter_json]\n# class =", "[formatter_json]\nclass =")
    ini = tmp_path / "api-paste.ini"
    ini.write_text(text)
    done = run_python(
        f"""
        from stackapi.loader import setup_logging
        from stackapi.testing import app_from_ini
        setup_logging({str(ini)!r})
        client = app_from_ini({str(ini)!r})
        headers = {{"X-Auth-Token": "alice:demo", "X-OpenStack-Request-ID": {GLOBAL_ID!r}}}
        print(client.get("/v2.1/servers", headers=headers).headers["x-openstack-request-id"])
        client.get("/v2.1/servers/%ff", status=400)
        """
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    access, guard = records
    assert access["logger"] == "stackapi.access" and access["level"] == "INFO"
    assert access["request_id"] == done.stdout.strip()
    assert access["global_request_id"] == GLOBAL_ID
    assert (access["user_id"], access["project_id"]) == ("alice", "demo")
    assert '"GET /v2.1/servers" status: 200' in access["message"]
    assert access["time"].endswith("Z") and len(access["time"]) == len("2026-01-01T00:00:00.000Z")
    # The Guard's refusal: before any filter, so an id but no user.
    assert guard["logger"] == "stackapi.guard" and guard["request_id"].startswith("req-")
    assert "user_id" not in guard and "global_request_id" not in guard


def test_exceptions_and_unknown_fields():
    install_log_record_factory()
    logger = logging.getLogger("stackapi.test_logs")
    try:
        raise ValueError("boom \u2603")
    except ValueError:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "failed: %s", ("x",), sys.exc_info()
        )
    line = JSONFormatter().format(record)
    assert "\n" not in line and line.isascii()
    document = json.loads(line)
    assert document["message"] == "failed: x"
    assert document["exception"].startswith("Traceback") and "boom \u2603" in document["exception"]
    assert set(document) == {"time", "level", "logger", "message", "process", "exception"}
