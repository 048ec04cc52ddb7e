"""stackapi.wsgi_app: ``application`` from $STACKAPI_CONFIG, with no eventlet, under real engines.

The engine tests start gunicorn (``-k gthread``) and uWSGI exactly as docs/deploying.md
shows, on 127.0.0.1, and skip (with the reason) only when the engine is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import CONFIGS, DEMO_INI, ServerProcess, run_python, server_env
from demo_config import demo_ini

ENGINES_INI = CONFIGS / "server_engines.ini"
ENGINE_TIMEOUT = 60.0  # seconds for an engine to answer its first request


def test_application_from_the_environment_imports_no_eventlet(tmp_path):
    done = run_python(
        """
        import socket, sys, webtest
        from stackapi.wsgi_app import application
        app = webtest.TestApp(application)
        print(app.get("/").json["versions"][0]["id"])
        print(app.get("/v2.1/servers", headers={"X-Auth-Token": "alice:demo"}).json)
        print(app.get("/v2.1/servers/..", status=400).json)  # the Guard wraps it
        print("eventlet" in sys.modules, socket.socket.__module__)
        """,
        STACKAPI_CONFIG=str(demo_ini(tmp_path)),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "v2.1",
        "{'servers': []}",
        "{'badRequest': {'code': 400, 'message': \"The URL must not contain '.' or '..' "
        'segments."}}',
        "False socket",
    ]


def test_app_name_from_the_environment():
    done = run_python(
        """
        import webtest
        from stackapi.wsgi_app import application
        print(webtest.TestApp(application).get("/healthcheck").status_int)
        """,
        STACKAPI_CONFIG=str(DEMO_INI),
        STACKAPI_APP_NAME="versions",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "200"


def test_missing_or_broken_config_is_one_line():
    env = server_env()
    env.pop("STACKAPI_CONFIG", None)
    code = "import stackapi.wsgi_app"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "stackapi.errors.ConfigError: set STACKAPI_CONFIG to the path of the paste ini"
    )
    broken = str(CONFIGS / "loader_unknown_egg.ini")
    done = run_python(code, STACKAPI_CONFIG=broken)
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"stackapi.errors.ConfigError: {broken}: [filter:request_id] use: "
            "Entry point 'request_idd'"
        )
    )


# -- real engines --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def engine(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install 'stackapi[{name}]')")
    return found


def engine_command(name: str, port: int, paste: Path | None = None) -> list[str]:
    """The commands of docs/deploying.md, on a test port (``gunicorn --paste INI`` too)."""
    if paste is not None:
        return [engine("gunicorn"), "--paste", str(paste), "-b", f"127.0.0.1:{port}"]
    if name == "gunicorn":
        return [
            engine("gunicorn"),
            "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}",
            "stackapi.wsgi_app:application",
        ]  # fmt: skip
    return [
        engine("uwsgi"),
        "--http", f"127.0.0.1:{port}", "--module", "stackapi.wsgi_app:application",
        "--master", "--processes", "1", "--threads", "4", "--need-app", "--die-on-term",
        "--home", sys.prefix,
    ]  # fmt: skip


class Engine(ServerProcess):
    """A gunicorn or uWSGI process serving ``ini`` on a free port; stopped by PID."""

    def __init__(self, name: str, ini: Path, tmp_path: Path, paste: bool = False) -> None:
        port = free_port()
        env = {**server_env(), "STACKAPI_CONFIG": str(ini), "HOME": str(tmp_path)}
        log_path = tmp_path / f"{name}-{ini.stem}{'-paste' if paste else ''}.log"
        command = engine_command(name, port, ini if paste else None)
        super().__init__(command, log_path, env, cwd=tmp_path)
        self.port = port

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict]:
        """GET, retried (bounded) until the engine answers."""
        deadline = time.monotonic() + ENGINE_TIMEOUT
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers=headers or {}
        )
        while True:
            try:
                with urllib.request.urlopen(request, timeout=10) as resp:
                    return resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as err:
                return err.code, json.loads(err.read())
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"engine not answering:\n{self.log_text()}") from None
                time.sleep(0.1)


@pytest.mark.parametrize("name", ["gunicorn", "uwsgi"])
def test_engine_serves_the_demo_without_eventlet(name, tmp_path):
    engine(name)  # skips, with the reason, if it is not installed
    demo = Engine(name, demo_ini(tmp_path), tmp_path)
    probe = Engine(name, ENGINES_INI, tmp_path)  # both start at once
    try:
        status, body = demo.get("/")
        assert (status, body["versions"][0]["id"]) == (200, "v2.1")
        status, body = demo.get("/v2.1/servers", {"X-Auth-Token": "alice:demo"})
        assert (status, body) == (200, {"servers": []})
        status, body = demo.get("/v2.1/servers/nope", {"X-Auth-Token": "alice:demo"})
        assert (status, list(body)) == (404, ["itemNotFound"])
        # The Guard of stackapi-server is in the application too: no NUL reaches the app.
        status, body = demo.get("/v2.1/servers/%00", {"X-Auth-Token": "alice:demo"})
        assert (status, list(body)) == (400, ["badRequest"])
        status, body = probe.get("/", {"X-Auth-Token": "alice"})
        assert status == 200
        assert body["label"] == "engine" and body["pid"] != os.getpid()
        assert body["eventlet"] is False
    finally:
        codes = (demo.stop(), probe.stop())
    print(f"\n{name} exit codes after SIGTERM: {codes}")
    assert codes == (0, 0)
    assert "Traceback" not in demo.log_text() + probe.log_text()


def test_gunicorn_paste_serves_the_guard_too(tmp_path):
    """``gunicorn --paste`` loads the ini with PasteDeploy alone: the urlmap brings the Guard."""
    engine("gunicorn")
    server = Engine("gunicorn", demo_ini(tmp_path), tmp_path, paste=True)
    try:
        status, body = server.get("/v2.1/servers/%ff")  # 400 from the Guard, not noauth's 401
        assert (status, body) == (
            400,
            {"badRequest": {"code": 400, "message": "The URL is not valid UTF-8."}},
        )
        status, body = server.get("/v2.1/servers", {"X-Auth-Token": "alice:demo"})
        assert (status, body) == (200, {"servers": []})
    finally:
        assert server.stop() == 0
    assert "Traceback" not in server.log_text()
