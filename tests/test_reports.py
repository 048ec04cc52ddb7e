"""stackapi-server --routes [--json] and --routes-for: the walk of --check, a line per route."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import CONFIGS, server_args, server_env
from demo_config import demo_ini
from stackapi.cli import main

FILTERS = "http_proxy_to_wsgi,request_id,access_log,cors,faultwrap,sizelimit,noauth"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def demo(tmp_path):
    return str(demo_ini(tmp_path, api_options="extensions = server_extras:ServerExtras"))


def test_routes_one_line_each(capsys, demo):
    code, out, err = run(capsys, "--config", demo, "--routes")
    assert (code, err) == (0, "")
    lines = [line.split() for line in out.splitlines()]
    assert lines[0] == ["PREFIX", "FILTERS", "METHOD", "PATH", "TARGET", "VERSIONS"]
    # the demo's routes are nova's: no .{format} suffix; "/v2.1/+" serves paths below /v2.1
    assert ["/v2.1", FILTERS, "GET", "/v2.1/servers", "ServersController.index",
            "2.1-2.61"] in lines  # fmt: skip
    # each @action on its own line; an extension's actions with their own class
    action = "/v2.1/servers/{id}/action"
    assert ["/v2.1", FILTERS, "POST", action, "ServersController._reboot", "@action", "reboot",
            "2.1-2.61"] in lines  # fmt: skip
    assert ["/v2.1", FILTERS, "POST", action, "ServerExtras._ping", "@action", "ping",
            "2.1-2.61"] in lines  # fmt: skip
    # a plain WSGI app answers its prefix; read-only flavors list no POST/PUT/DELETE
    assert ["/", "http_proxy_to_wsgi,request_id,healthcheck,access_log,cors,faultwrap", "ANY",
            "/", "app:versions_app", "(ComputeVersions)", "-"] in lines  # fmt: skip
    assert not [line for line in lines if "/flavors" in line[3] and line[2] != "GET"]
    assert len({len(line) for line in out.splitlines()[1:]}) > 1  # rstripped, not padded


def test_routes_json(capsys, demo):
    code, out, err = run(capsys, "--config", demo, "--routes", "--json")
    assert code == 0, err
    rows = json.loads(out)
    (show,) = [
        r for r in rows if r["function"] == "show" and r["controller"] == "ServersController"
    ]
    assert show == {
        "host": None,
        "prefix": "/v2.1",
        "pipeline": "pipeline:api_v21",
        "filters": FILTERS.split(","),
        "app": "app:compute_api",
        "method": "GET",
        "path": "/v2.1/servers/{id}",
        "formats": False,
        "controller": "ServersController",
        "function": "show",
        "action": None,
        "versions": "2.1-2.61",
        "service_type": "compute",
    }


def test_microversion_ranges_of_versioned_methods(capsys):
    code, out, err = run(capsys, "--config", str(CONFIGS / "routes_versioned.ini"), "--routes")
    assert code == 0, err
    lines = {" ".join(line.split()[2:5]): line.split()[-1] for line in out.splitlines()[1:]}
    assert lines["GET /v1/gadgets/{id}[.{format}] Gadgets.show"] == "2.1-2.1,2.2-2.5"
    assert lines["DELETE /v1/gadgets/{id}[.{format}] Gadgets.delete"] == "2.3-2.5"
    assert lines["GET /v1/gadgets[.{format}] Gadgets.index"] == "2.1-2.5"
    # the host entry: its prefix, with the host in front
    assert "api.example.com/v2" in out


@pytest.mark.parametrize(
    ("request_line", "expected"),
    [
        (
            "POST /v2.1/servers/1/action",
            [
                "POST /v2.1/servers/1/action",
                "  prefix    /v2.1 -> pipeline:api_v21",
                f"  filters   {FILTERS.replace(',', ' ')}",
                "  app       app:compute_api",
                "  route     POST /v2.1/servers/{id}/action  id='1'",
            ],
        ),
        (
            "HEAD /v2.1/flavors/7",
            [
                "HEAD /v2.1/flavors/7",
                "  route     GET /v2.1/flavors/{id}  id='7'",
                "  reaches   FlavorsController.show  versions 2.1-2.61",
            ],  # fmt: skip
        ),
        (  # "/v2.1" and "/v2.1/" are the version document's; "/v2.1/+" takes what is below
            "GET /v2.1/",
            [
                "  prefix    /v2.1 -> pipeline:version_v21",
                "  reaches   app:version_v21_app (ComputeVersion)",
            ],
        ),
        (
            "GET /healthcheck",
            [
                "  prefix    / -> pipeline:versions",
                "  reaches   app:versions_app (ComputeVersions)",
            ],
        ),  # fmt: skip
    ],
)
def test_routes_for(capsys, demo, request_line, expected):
    code, out, err = run(capsys, "--config", demo, "--routes-for", request_line)
    assert (code, err) == (0, "")
    for line in expected:
        assert line in out.splitlines(), out
    if "action" in request_line:
        assert "  reaches   ServersController._reboot @action reboot  versions 2.1-2.61" in out
        assert "  reaches   ServerExtras._ping @action ping  versions 2.1-2.61" in out


def test_routes_for_json(capsys, demo):
    code, out, _ = run(capsys, "--config", demo, "--routes-for", "PUT /v2.1/servers/abc", "--json")
    assert code == 0
    found = json.loads(out)
    assert found["route"] == "PUT /v2.1/servers/{id}" and found["args"] == {"id": "abc"}
    assert [(r["controller"], r["function"]) for r in found["reaches"]] == [
        ("ServersController", "update")
    ]


@pytest.mark.parametrize(
    ("request_line", "message"),
    [
        (
            "PATCH /v2.1/servers/1",
            "405 badMethod: app:compute_api routes /v2.1/servers/1 for GET, HEAD, PUT, DELETE",
        ),  # fmt: skip
        (
            "DELETE /v2.1/flavors/1",
            "405 badMethod: app:compute_api routes /v2.1/flavors/1 for GET, HEAD",
        ),  # fmt: skip
        ("GET /v2.1/nope", "404 itemNotFound: no route of app:compute_api matches /v2.1/nope"),
        ("GET /v2.1/servers/%ff", "400 badRequest from the Guard: The URL is not valid UTF-8."),
        ("GET /v2.1/servers/..", "400 badRequest from the Guard: The URL must not contain"),
        ("/v2.1/servers", 'expected "METHOD /path", e.g. "GET /"'),
        ("GET v2.1/servers", "the path must start with /"),
        ("get /v2.1/servers", "the method is GET, not get"),
    ],
)
def test_routes_for_what_is_not_reached_is_one_line(capsys, demo, request_line, message):
    code, out, err = run(capsys, "--config", demo, "--routes-for", request_line)
    assert (code, out) == (1, "")
    (line,) = err.splitlines()
    assert line.startswith(f"stackapi-server: error: --routes-for {request_line!r}: {message}")


@pytest.mark.parametrize("request_line", ["", "  "])
def test_an_empty_routes_for_is_an_error_not_a_server(demo, request_line):
    # In a process of its own: the defect was to serve (for ever) instead of reporting.
    argv = server_args(demo, "--routes-for", request_line)
    done = subprocess.run(argv, env=server_env(), capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert done.stderr == (
        f"stackapi-server: error: --routes-for {request_line!r}: "
        'expected "METHOD /path", e.g. "GET /"\n'
    )


def test_no_prefix_matches(capsys):
    ini = str(CONFIGS / "routes_versioned.ini")
    code, out, err = run(capsys, "--config", ini, "--routes-for", "GET /v3/x")
    assert (code, out) == (1, "")
    assert err == (
        "stackapi-server: error: --routes-for 'GET /v3/x': 404 itemNotFound: "
        "no URL prefix matches\n"
    )
    code, out, err = run(
        capsys, "--config", ini, "--routes-for", "GET http://api.example.com/v2/gadgets"
    )
    assert code == 0 and "  prefix    api.example.com/v2 -> pipeline:hosted" in out, err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--routes", "--openapi"], "--routes, --openapi: give only one of them"),
        (["--routes", "--check"], "--routes, --check: give only one of them"),
        (["--json"], "--json goes with --routes or --routes-for"),
        (["--openapi", "--json"], "--json goes with --routes or --routes-for"),
    ],
)
def test_flag_mistakes_are_one_line(capsys, demo, flags, message):
    code, out, err = run(capsys, "--config", demo, *flags)
    assert (code, out, err) == (1, "", f"stackapi-server: error: {message}\n")


def test_a_broken_ini_is_one_line(capsys):
    path = CONFIGS / "loader_missing_filter.ini"
    for flag in ("--routes", "--openapi"):
        code, out, err = run(capsys, "--config", str(path), flag)
        assert (code, out) == (1, "")
        (line,) = err.splitlines()
        assert line.startswith(f"stackapi-server: error: {path}: [pipeline:api] pipeline: No ")


def test_behind_a_filter_that_hides_its_app(capsys):
    ini = str(CONFIGS / "routes_opaque_filter.ini")
    code, out, err = run(capsys, "--config", ini, "--routes")
    assert code == 0, err
    assert out.splitlines()[1].split() == ["/v1", "request_id,opaque", "ANY", "/v1",
                                           "app:widgets", "(?)", "-"]  # fmt: skip
    code, out, err = run(capsys, "--config", ini, "--routes-for", "GET /v1/widgets")
    assert code == 0, err
    assert out.splitlines()[-1] == "  reaches   (unknown: a filter the walk cannot see through)"
