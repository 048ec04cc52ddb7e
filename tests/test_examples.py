"""examples/: the README's code is these files, and they run as the README says.

A real ``stackapi-server`` started in examples/ (no PYTHONPATH) serves them; the
examples' own tests (docs/testing.md) pass under a real pytest.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from conftest import REPO, ServerProcess, server_args, server_command

EXAMPLES = REPO / "examples"
TIMEOUT = 30


def code_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, text)`` of each fenced block of a Markdown text."""
    return [(m[1], m[2]) for m in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.S | re.M)]


def user_env() -> dict[str, str]:
    """The environment a user has: no PYTHONPATH pointing at the tests' apps."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.mark.parametrize("name", ["mywidgets.py", "myfilters.py", "api-paste.ini"])
def test_the_readme_shows_the_files_whole(name):
    readme = (REPO / "README.md").read_text()
    text = (EXAMPLES / name).read_text()
    language = "python" if name.endswith(".py") else "ini"
    assert (language, text) in code_blocks(readme), f"README.md no longer shows examples/{name}"


def test_docs_testing_shows_the_examples_tests():
    blocks = code_blocks((REPO / "docs" / "testing.md").read_text())
    for name in ("conftest.py", "test_mywidgets.py"):
        assert ("python", (EXAMPLES / name).read_text()) in blocks, name


def call(server, method, path, headers=None, body=None):
    """``(status, headers, JSON body or None)``; faults are answers, not errors."""
    data = json.dumps(body).encode() if body is not None else None
    headers = dict(headers or {}, **({"Content-Type": "application/json"} if data else {}))
    req = urllib.request.Request(server.url + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            status, got, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, got, raw = err.code, err.headers, err.read()
    return status, got, json.loads(raw) if raw else None


@pytest.mark.slow
def test_served_from_the_examples_directory(tmp_path):
    server = ServerProcess(
        server_args("api-paste.ini"), tmp_path / "server.log", user_env(), cwd=EXAMPLES
    )
    try:
        server.wait_listening()
        alice, admin = {"X-Auth-Token": "alice"}, {"X-Auth-Token": "admin"}
        status, headers, body = call(server, "GET", "/v1/widgets", alice)
        assert (status, body) == (200, {"widgets": [{"id": "1", "name": "sprocket"}]})
        assert headers["X-Gate"] == "passed"
        status, _, body = call(server, "GET", "/v1/widgets/2", alice)
        assert (status, body["itemNotFound"]["message"]) == (404, "Widget 2 could not be found.")
        status, _, body = call(server, "GET", "/v1/widgets", {**alice, "X-Deny": "1"})
        assert (status, body["forbidden"]["message"]) == (403, "Blocked by the gate.")
        polish = {"polish": {}}
        assert call(server, "POST", "/v1/widgets/1/action", alice, polish)[0] == 403
        assert call(server, "POST", "/v1/widgets/1/action", admin, polish)[:1] == (202,)
        status, _, document = call(server, "GET", "/openapi.json")
        assert (status, document["info"]) == (200, {"title": "Widgets", "version": "1.0"})
        assert call(server, "GET", "/v1/widgets/%ff")[0] == 400  # the Guard
    finally:
        assert server.stop() == 0
    assert "Traceback" not in server.log_text()


def run_cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*server_command(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=user_env(),
        cwd=str(cwd),
    )


def test_app_dir_names_where_the_modules_are(tmp_path):
    ini = str(EXAMPLES / "api-paste.ini")
    done = run_cli("--config", ini, "--routes", cwd=tmp_path)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert "[filter:gate] paste.filter_factory: cannot load 'myfilters:Gate.factory'" in line
    assert "ModuleNotFoundError" in line
    done = run_cli("--config", ini, "--app-dir", str(EXAMPLES), "--routes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "WidgetsController._polish @action polish" in done.stdout
    done = run_cli("--config", ini, "--app-dir", str(tmp_path / "nope"), "--check", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert (
        done.stderr
        == f"stackapi-server: error: --app-dir {tmp_path / 'nope'}: no such directory\n"
    )


@pytest.mark.slow
def test_the_examples_tests_pass_under_pytest():
    done = subprocess.run(  # as docs/testing.md runs them
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=120,
        env=user_env(),
        cwd=str(EXAMPLES),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b5 passed\b", done.stdout), done.stdout


@pytest.mark.parametrize("command", ["--routes", '--routes-for "POST /v1/widgets/1/action"'])
def test_the_readme_shows_what_the_commands_print(command):
    readme = (REPO / "README.md").read_text().splitlines()
    start = readme.index(f"$ stackapi-server --config api-paste.ini {command}") + 1
    end = next(i for i in range(start, len(readme)) if readme[i].startswith(("$", "```")))
    args = ["--routes"] if command == "--routes" else ["--routes-for", "POST /v1/widgets/1/action"]
    done = run_cli("--config", "api-paste.ini", *args, cwd=EXAMPLES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == readme[start:end]
