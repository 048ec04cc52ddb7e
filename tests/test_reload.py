"""stackapi-server --reload: a real server process, its files edited under it (hupper)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import REPO, ServerProcess, server_args, server_env
from stackapi.cli import main

EXAMPLES = REPO / "examples"


def user_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def widgets(url: str, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(
        url + "/v1/widgets", headers={"X-Auth-Token": "alice", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def refuses(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


class Reloading:
    """The monitor process and the servers it starts, one "listening on" line each."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    def urls(self) -> list[str]:
        return re.findall(r"listening on (http://\S+)", self.server.log_text())

    def next_url(self, count: int) -> str:
        """The url of the ``count``-th server (waits for it, bounded)."""
        self.server.wait_log_count(r"listening on http://", count)
        return self.urls()[count - 1]

    def edit(self, path, old: str, new: str) -> None:
        text = path.read_text()
        assert old in text
        time.sleep(0.05)  # a new mtime, whatever the file system's granularity
        path.write_text(text.replace(old, new))


@pytest.mark.slow
def test_edits_restart_the_server_and_a_broken_one_waits(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES, project)
    server = ServerProcess(
        server_args("api-paste.ini", "--reload"), tmp_path / "server.log", user_env(), cwd=project
    )
    reloading = Reloading(server)
    try:
        url = reloading.next_url(1)
        assert widgets(url) == (200, {"widgets": [{"id": "1", "name": "sprocket"}]})

        reloading.edit(project / "mywidgets.py", '"sprocket"', '"gear"')  # an imported module
        url = reloading.next_url(2)
        assert widgets(url) == (200, {"widgets": [{"id": "1", "name": "gear"}]})

        reloading.edit(project / "mywidgets.py", "def index(self, req):", "def index(self, req)")
        server.wait_log(r"stackapi-server: error: .*SyntaxError")
        server.wait_log(r"Waiting for a file to change")
        (error,) = [line for line in server.log_text().splitlines() if "error:" in line]
        assert error.startswith("stackapi-server: error: api-paste.ini: [app:widgets] ")
        assert "Traceback" not in server.log_text()
        assert all(refuses(seen) for seen in reloading.urls())  # nothing left bound
        assert server.proc.poll() is None  # the monitor waits

        reloading.edit(project / "mywidgets.py", "def index(self, req)", "def index(self, req):")
        count = len(reloading.urls()) + 1
        url = reloading.next_url(count)
        assert widgets(url)[0] == 200

        reloading.edit(project / "api-paste.ini", "header = X-Deny", "header = X-Stop")  # the ini
        url = reloading.next_url(count + 1)
        assert widgets(url, {"X-Stop": "1"})[0] == 403
    finally:
        code = server.stop(signal.SIGTERM)
    workers = [
        int(pid) for pid in re.findall(r"Starting monitor for PID (\d+)", server.log_text())
    ]
    assert len(workers) >= 4
    for pid in workers:  # every server process is gone with the monitor
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert code == 0
    assert "Traceback" not in server.log_text()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--workers", "2"],
            "--reload runs one server process; workers = 2 (from --workers or "
            "[server:main]) cannot be reloaded: use --workers 1",
        ),  # fmt: skip
        (["--check"], "--reload restarts a server; --check serves nothing"),
        (["--routes"], "--reload restarts a server; --routes serves nothing"),
    ],
)
def test_refused_in_one_line(capsys, flags, message):
    ini = str(EXAMPLES / "api-paste.ini")
    assert main(["--config", ini, "--reload", *flags]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"stackapi-server: error: {message}\n")


def test_an_empty_routes_for_is_refused_too():
    # A process of its own: the defect was a monitor that never exits.
    argv = server_args(EXAMPLES / "api-paste.ini", "--reload", "--routes-for", "")
    done = subprocess.run(
        argv, cwd=EXAMPLES, env=server_env(), capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert done.stderr == (
        "stackapi-server: error: --reload restarts a server; --routes-for serves nothing\n"
    )


def test_workers_from_the_ini_are_refused_too(capsys, write_ini):
    ini = write_ini((EXAMPLES / "api-paste.ini").read_text().replace("port = 8080", "workers = 3"))
    assert main(["--config", str(ini), "--reload"]) == 1
    assert "workers = 3 (from --workers or [server:main])" in capsys.readouterr().err
