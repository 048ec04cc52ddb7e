"""server_timing = true: a Server-Timing header naming each filter and the app; none when off."""

from __future__ import annotations

import re
import textwrap

import pytest

from conftest import testapp
from stackapi.cli import main
from stackapi.errors import ConfigError
from stackapi.filters.request_id import RequestIdMiddleware
from stackapi.loader import loadapp
from stackapi.server_timing import ServerTiming, header_value

ALICE = {"X-Auth-Token": "alice"}
INI = """
    {default}
    [composite:main]
    use = egg:stackapi#urlmap
    /v1: api
    /other: other

    [pipeline:api]
    pipeline = request_id faultwrap noauth widgets
    {set_api}

    [pipeline:other]
    pipeline = request_id widgets

    [filter:request_id]
    use = egg:stackapi#request_id

    [filter:faultwrap]
    use = egg:stackapi#faultwrap

    [filter:noauth]
    use = egg:stackapi#noauth

    [app:widgets]
    paste.app_factory = widgets_app:WidgetsRouter.factory
"""


def ini(write_ini, default="", set_api=""):
    return write_ini(textwrap.dedent(INI).format(default=default, set_api=set_api))


def metrics(resp) -> list[tuple[str, float]]:
    """``[(name, ms), ...]`` of the Server-Timing header, checked against its grammar."""
    found = []
    for metric in resp.headers["Server-Timing"].split(", "):
        match = re.fullmatch(r"([\w.-]+);dur=(\d+\.\d{3})", metric)
        assert match, metric
        found.append((match[1], float(match[2])))
    return found


def test_default_section_times_every_pipeline(write_ini):
    app = testapp(loadapp(str(ini(write_ini, default="[DEFAULT]\nserver_timing = true"))))
    resp = app.get("/v1/widgets", headers=ALICE)
    assert [name for name, _ in metrics(resp)] == ["request_id", "faultwrap", "noauth", "widgets"]
    assert all(ms >= 0 for _, ms in metrics(resp))
    other = app.get("/other/widgets")
    assert [name for name, _ in metrics(other)] == ["request_id", "widgets"]
    # A filter that answers by itself: the layers it never called are not named.
    refused = app.get("/v1/widgets", status=401)
    assert [name for name, _ in metrics(refused)] == ["request_id", "faultwrap", "noauth"]
    # Faults raised below faultwrap too, and the header is in the response once.
    missing = app.get("/v1/widgets/9", headers=ALICE, status=404)
    assert missing.headers.getall("Server-Timing") == [missing.headers["Server-Timing"]]


def test_set_in_one_pipeline_times_that_one(write_ini):
    app = testapp(loadapp(str(ini(write_ini, set_api="set server_timing = true"))))
    assert "Server-Timing" in app.get("/v1/widgets", headers=ALICE).headers
    assert "Server-Timing" not in app.get("/other/widgets").headers
    # and "set server_timing = false" turns off the [DEFAULT]'s for one pipeline
    path = ini(
        write_ini, default="[DEFAULT]\nserver_timing = true", set_api="set server_timing = false"
    )
    app = testapp(loadapp(str(path)))
    assert "Server-Timing" not in app.get("/v1/widgets", headers=ALICE).headers
    assert "Server-Timing" in app.get("/other/widgets").headers


def test_off_builds_what_pastedeploy_builds(write_ini):
    app = loadapp(str(ini(write_ini)))
    resp = testapp(app).get("/v1/widgets", headers=ALICE)
    assert "Server-Timing" not in resp.headers
    (api,) = [entry for _, prefix, entry in app.app.entries if prefix == "/v1"]
    assert type(api) is RequestIdMiddleware  # no wrapper of any kind in front of the filter
    assert type(api.application).__name__ == "FaultWrapMiddleware"


def test_each_layer_gets_its_own_time():
    """A layer's call includes the layers inside it: the header names what is its own."""
    timings = [("widgets", 0.050), ("noauth", 0.051), ("faultwrap", 0.0515), ("request_id", 0.052)]
    assert header_value(timings) == (
        "request_id;dur=0.500, faultwrap;dur=0.500, noauth;dur=1.000, widgets;dur=50.000"
    )


def test_write_and_lazy_bodies_keep_their_bytes():
    def writer(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"first ")
        return [b"second"]

    def lazy(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"lazy"

    for app, body in ((writer, b"first second"), (lazy, b"lazy")):
        resp = testapp(ServerTiming(app)).get("/")
        assert resp.body == body
        assert resp.headers["Server-Timing"] == ""  # no layer was timed


@pytest.mark.parametrize(
    ("default", "set_api", "message"),
    [
        ("[DEFAULT]\nserver_timing = maybe", "",
         "[DEFAULT] server_timing: expected true or false, got 'maybe'"),
        ("", "set server_timing = maybe",
         "[pipeline:api] set server_timing: expected true or false, got 'maybe'"),
        ("", "server_timing = true", "[pipeline:api] server_timing: a pipeline section takes only "
         "'pipeline', not server_timing (for one pipeline, write 'set server_timing = true')"),
    ],
)  # fmt: skip
def test_bad_settings_are_one_line(write_ini, capsys, default, set_api, message):
    path = ini(write_ini, default=default, set_api=set_api)
    assert main(["--config", str(path), "--check"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"stackapi-server: error: {path}: ") and line.endswith(message)
    with pytest.raises(ConfigError):
        loadapp(str(path))
