"""A server's life as an operator and systemd see it: ready means ready, notify, reload, stop.

Real ``stackapi-server`` (and ``pserve``) processes on loopback; a Unix datagram
socket made by the test stands for systemd's ``NOTIFY_SOCKET``.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROBE_INI, REPO, ServerProcess, server_command, server_env
from httpclient import get

pytestmark = pytest.mark.slow


class Systemd:
    """The receiving end of ``NOTIFY_SOCKET``: the messages a server sent, in order."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(20)

    def next(self) -> list[str]:
        return self.sock.recv(4096).decode().split("\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def systemd(tmp_path):
    listener = Systemd(tmp_path / "notify.sock")
    yield listener
    listener.close()


def test_the_app_loads_before_the_socket_listens_and_ready_follows(run_server, write_ini):
    ini = write_ini(
        """
        [app:main]
        paste.app_factory = server_probe:announced_factory
        """
    )
    server = run_server(ini)
    server.wait_log("ready: 1000 requests in flight at most")
    log = server.log_text()
    loaded = log.index("app built")
    listening = log.index("listening on")
    ready = log.index("ready: 1000 requests in flight at most")
    assert loaded < listening < ready


def test_systemd_hears_ready_reloading_and_stopping(run_server, systemd, tmp_path):
    ini = tmp_path / "api-paste.ini"
    ini.write_text(PROBE_INI.read_text())
    server = run_server(ini, env={**server_env(), "NOTIFY_SOCKET": systemd.path})
    assert systemd.next() == ["READY=1"]
    ini.write_text(PROBE_INI.read_text().replace("one", "two"))
    server.proc.send_signal(signal.SIGHUP)
    reloading = systemd.next()
    assert reloading[0] == "RELOADING=1"
    assert re.fullmatch(r"MONOTONIC_USEC=\d+", reloading[1])
    assert systemd.next() == ["READY=1"]
    assert get(server)[2]["label"] == "two"
    server.proc.send_signal(signal.SIGTERM)
    assert systemd.next() == ["STOPPING=1"]
    assert server.wait_exit() == 0


def test_with_workers_only_the_parent_speaks_to_systemd(run_server, systemd):
    server = run_server(
        PROBE_INI, "--workers", "2", env={**server_env(), "NOTIFY_SOCKET": systemd.path}
    )
    assert systemd.next() == ["READY=1"]
    server.wait_log(r"ready: 2 worker\(s\) starting")
    server.proc.send_signal(signal.SIGHUP)
    assert systemd.next()[0] == "RELOADING=1"
    assert systemd.next() == ["READY=1"]
    server.proc.send_signal(signal.SIGTERM)
    assert systemd.next() == ["STOPPING=1"]
    assert server.wait_exit() == 0
    systemd.sock.settimeout(0.5)
    with pytest.raises(TimeoutError):
        systemd.next()  # no worker sent anything of its own


def test_sighup_reads_the_logging_sections_again(run_server, write_ini):
    quiet = """
        [app:main]
        paste.app_factory = server_probe:factory
        label = one

        [loggers]
        keys = root, server

        [handlers]
        keys = stderr

        [formatters]
        keys = plain

        [logger_root]
        level = WARNING
        handlers = stderr

        [logger_server]
        level = INFO
        handlers = stderr
        qualname = stackapi.server
        propagate = 0

        [handler_stderr]
        class = StreamHandler
        args = (sys.stderr,)
        formatter = plain

        [formatter_plain]
        format = {prefix} %(levelname)s %(name)s %(message)s
        """
    ini = write_ini(quiet.replace("{prefix}", "FIRST"))
    server = run_server(ini)
    assert "FIRST INFO stackapi.server listening on" in server.log_text()
    write_ini(quiet.replace("{prefix}", "SECOND"))
    server.proc.send_signal(signal.SIGHUP)
    server.wait_log("SECOND INFO stackapi.server reloaded")
    # An ini whose app cannot load changes nothing, its logging sections included.
    mark = server.log_size()
    broken = quiet.replace("{prefix}", "THIRD").replace("server_probe:", "no_such_module:")
    write_ini(broken)
    server.proc.send_signal(signal.SIGHUP)
    server.wait_log(r"ERROR stackapi.server reload failed", since=mark)
    assert "SECOND ERROR stackapi.server reload failed" in server.log_text(mark)
    assert "THIRD" not in server.log_text(mark)
    # Nor does one whose certificate cannot load (the TLS context is made after the app).
    mark = server.log_size()
    missing = ini.parent / "missing.pem"
    bad_tls = quiet.replace("{prefix}", "FOURTH") + (
        f"\n[server:main]\ncert_file = {missing}\nkey_file = {missing}\n"
    )
    write_ini(bad_tls)
    server.proc.send_signal(signal.SIGHUP)
    server.wait_log(r"ERROR stackapi.server reload failed", since=mark)
    assert "SECOND ERROR stackapi.server reload failed" in server.log_text(mark)
    assert "FOURTH" not in server.log_text(mark)


def test_version_and_debug():
    done = subprocess.run([*server_command(), "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert re.fullmatch(r"stackapi-server \d+\.\d+\.\d+\n", done.stdout)
    broken = REPO / "tests" / "configs" / "loader_unknown_egg.ini"
    args = [*server_command(), "--config", str(broken)]
    plain = subprocess.run(args, capture_output=True, text=True, timeout=60, env=server_env())
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert len(plain.stderr.strip().splitlines()) == 1
    debug = subprocess.run(
        [*args, "--debug"], capture_output=True, text=True, timeout=60, env=server_env()
    )
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == plain.stderr.strip()


def test_pserve_serves_the_demo_ini_with_the_guard(tmp_path):
    pserve = Path(sys.executable).with_name("pserve")
    ini = tmp_path / "api-paste.ini"
    text = (REPO / "etc" / "api-paste.ini").read_text()
    ini.write_text(re.sub(r"(?m)^port = \d+$", "port = 0", text))
    server = ServerProcess([str(pserve), str(ini)], tmp_path / "pserve.log")
    try:
        server.wait_listening()
        status, _, body = get(server, "/")
        assert status == 200 and body["versions"][0]["id"] == "v2.1"
        status, _, body = get(server, "/%ff")  # the Guard is in front under pserve too
        assert (status, list(body)) == (400, ["badRequest"])
        assert server.stop() == 0
    finally:
        server.kill()
    assert "Traceback" not in server.log_text()
