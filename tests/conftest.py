"""Shared fixtures: ini files, webtest apps, and real stackapi-server processes.

``run_server(ini, *flags)`` starts the installed ``stackapi-server`` console
script on 127.0.0.1 with ``--port 0``, waits (bounded) for its "listening on"
log line and stops it by PID at the end of the test.  Its log is kept in
``tmp_path`` and printed when a test fails.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import webtest

HERE = Path(__file__).parent
APPS = HERE / "apps"
CONFIGS = HERE / "configs"
REPO = HERE.parent
DEMO_INI = REPO / "etc" / "api-paste.ini"
#: The live server tests' app (tests/apps/server_probe.py): answers its pid and ini label.
PROBE_INI = CONFIGS / "server_probe.ini"

STARTUP_TIMEOUT = 30.0  # seconds for a server to log "listening on"
STOP_TIMEOUT = 30.0  # seconds for a server to exit after a signal

if str(APPS) not in sys.path:  # the fixture apps import as top-level modules
    sys.path.insert(0, str(APPS))


def server_command() -> list[str]:
    """The console script installed next to this interpreter (as users run it)."""
    script = Path(sys.executable).with_name("stackapi-server")
    return [str(script)] if script.exists() else [sys.executable, "-m", "stackapi"]


def server_args(ini, *flags: str) -> list[str]:
    """``stackapi-server --config INI --host 127.0.0.1 --port 0 FLAGS...``."""
    return [*server_command(), "--config", str(ini), "--host", "127.0.0.1", "--port", "0", *flags]


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(APPS), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """``python -c CODE`` (dedented) in a fresh interpreter, the fixture apps importable."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**server_env(), **env},
        cwd=str(REPO),
    )


@pytest.fixture
def write_ini(tmp_path):
    """``write_ini(text, name="api-paste.ini") -> Path``; text is dedented."""

    def write(text: str, name: str = "api-paste.ini") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return write


def testapp(app, **kwargs) -> webtest.TestApp:
    """``webtest.TestApp(app)`` (lint on: webtest checks WSGI compliance)."""
    return webtest.TestApp(app, **kwargs)


testapp.__test__ = False  # a helper, not a test, though test modules import it


class ServerProcess:
    """A running ``stackapi-server``; ``url`` is ``http://127.0.0.1:PORT``."""

    def __init__(
        self,
        args: list[str],
        log_path: Path,
        env: dict | None = None,
        cwd: Path = REPO,
        preexec=None,
    ) -> None:
        self.args = args
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env or server_env(),
            cwd=str(cwd),
            preexec_fn=preexec,  # e.g. a lower open-files limit for this server only
        )
        self.url = ""
        self.port = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self, since: int = 0) -> str:
        """The log, from byte ``since`` on (a test's own part of a shared server's log)."""
        with open(self.log_path, "rb") as log:
            log.seek(since)
            return log.read().decode("utf-8", "replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def wait_listening(self, timeout: float = STARTUP_TIMEOUT) -> ServerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r"listening on ((?:https?://|unix:)\S+)", self.log_text())
            if match:
                self.url = match.group(1)
                if not self.url.startswith("unix:"):
                    self.port = int(self.url.rsplit(":", 1)[1])
                return self
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"server exited with {self.proc.returncode}:\n{self.log_text()}"
                )
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"server not listening after {timeout}s:\n{self.log_text()}")

    def wait_log(self, pattern: str, timeout: float = STARTUP_TIMEOUT, since: int = 0) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.log_text(since))
            if match:
                return match
            time.sleep(0.05)
        text = self.log_text(since)
        raise AssertionError(f"{pattern!r} not in the log after {timeout}s:\n{text}")

    def count_log(self, pattern: str) -> int:
        return len(re.findall(pattern, self.log_text()))

    def wait_log_count(self, pattern: str, count: int, timeout: float = STARTUP_TIMEOUT) -> None:
        """Wait (bounded) until ``pattern`` occurs at least ``count`` times in the log."""
        deadline = time.monotonic() + timeout
        while self.count_log(pattern) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{pattern!r} < {count} times after {timeout}s:\n{self.log_text()}"
                )
            time.sleep(0.05)

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        """Wait for the exit code without sending anything; kill and fail if it hangs."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            message = f"server still running after {timeout}s:\n{self.log_text()}"
            raise AssertionError(message) from None
        self._log.close()
        return self.proc.returncode

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``sig`` and wait for the exit code; kill and fail if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait_exit(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
        self._log.close()


@pytest.fixture
def run_server(tmp_path, request):
    """``run_server(ini, *flags, wait=True) -> ServerProcess`` on 127.0.0.1, port 0."""
    started: list[ServerProcess] = []

    def start(
        ini, *flags: str, wait: bool = True, env: dict | None = None, preexec=None
    ) -> ServerProcess:
        args = server_args(ini, *flags)
        log_path = tmp_path / f"server-{len(started)}.log"
        server = ServerProcess(args, log_path, env, preexec=preexec)
        started.append(server)
        return server.wait_listening() if wait else server

    yield start
    failed = getattr(request.node, "rep_call", None)
    for server in started:
        server.kill()
        if failed is not None and failed.failed:
            sys.stderr.write(f"--- log of {server.args} ---\n{server.log_text()}\n")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --- the demo's databases: SQLite, and a PostgreSQL server of this run (tests/postgres.py) ---

#: Set by .ci/run: a test that would skip because PostgreSQL or nginx cannot run fails instead.
NO_SKIP = os.environ.get("STACKAPI_NO_SKIP") == "1"
DATABASES = ("sqlite", "postgresql")


def skip_unavailable(reason: str) -> None:
    """Skip, saying why -- or fail, where CI must run everything (STACKAPI_NO_SKIP=1)."""
    if NO_SKIP:
        pytest.fail(f"{reason} (STACKAPI_NO_SKIP=1: failing instead of skipping)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """One PostgreSQL server for the whole run, in its tmp dir, stopped at the end."""
    from postgres import PostgresServer, Unavailable

    try:
        server = PostgresServer.start(tmp_path_factory.mktemp("postgres"))
    except Unavailable as exc:
        skip_unavailable(f"PostgreSQL cannot run here: {exc}")
    yield server
    server.stop()


def new_demo_db(request, kind: str, directory: Path):
    """A fresh, empty demo database of ``kind``: a SQLite file in ``directory``, or a PG db."""
    from demo_config import DemoDatabase

    if kind == "sqlite":
        return DemoDatabase(kind, f"sqlite:///{directory / 'demo.sqlite3'}")
    return DemoDatabase(kind, request.getfixturevalue("postgres").create_database())


@pytest.fixture(params=DATABASES)
def demo_db(request, tmp_path):
    """The demo's tests run twice: on a SQLite file and on a PostgreSQL database."""
    yield new_demo_db(request, request.param, tmp_path)
    from stackapi.demo.store import dispose_all

    dispose_all()  # the pools of the apps this test built in this process
