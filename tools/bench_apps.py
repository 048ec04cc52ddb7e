"""The apps tools/bench.py serves: the bare WSGI function and the stackapi routers.

Imported by the server processes (tools/ is on their PYTHONPATH), named in the
inis tools/bench_servers.py writes.  Each app answers the same small JSON document.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable

import routes

import stackapi

PING_BODY = json.dumps({"ping": "pong"}).encode()
SLEEP_SECONDS = 1.0


def bare_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """The limit: no framework, one fixed JSON answer (``/sleep`` first sleeps 1 s)."""
    if environ["PATH_INFO"].endswith("/sleep"):
        time.sleep(SLEEP_SECONDS)  # plain time.sleep: the server has patched it
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(PING_BODY)))],
    )
    return [PING_BODY]


def bare_factory(global_conf: dict, **local_conf: str) -> Callable:
    """``paste.app_factory`` of :func:`bare_app`: an ini whose ``[app:main]`` is the function."""
    return bare_app


class PingController(stackapi.Controller):
    def index(self, req):
        return {"ping": "pong"}


class SleepController(stackapi.Controller):
    def index(self, req):
        time.sleep(SLEEP_SECONDS)  # plain time.sleep, as blocking user code would
        return {"ping": "pong"}


class BenchRouter(stackapi.Router):
    """``GET /ping`` (the trivial JSON GET) and ``GET /sleep`` (blocks 1 s)."""

    def __init__(self, **conf: str) -> None:
        mapper = routes.Mapper()
        for path, controller in (("/ping", PingController()), ("/sleep", SleepController())):
            mapper.connect(
                path,
                controller=stackapi.Resource(controller),
                action="index",
                conditions={"method": ["GET"]},
            )
        super().__init__(mapper)


class ItemsController(stackapi.Controller):
    def show(self, req, id):
        return {"ping": "pong"}


def many_routes_mapper(count: int, resource: stackapi.Resource) -> routes.Mapper:
    """``count`` routes ``GET /r{i}/items/{id}``, connected in order; the last is i = count-1.

    One top-level collection per route, as an API with many resources has.
    """
    mapper = routes.Mapper()
    for i in range(count):
        mapper.connect(
            f"/r{i}/items/{{id}}",
            controller=resource,
            action="show",
            conditions={"method": ["GET"]},
        )
    return mapper


def last_route_path(count: int) -> str:
    """A path that only the last route of :func:`many_routes_mapper` matches."""
    return f"/r{count - 1}/items/42"


class ManyRoutesRouter(stackapi.Router):
    """A Router of ``routes`` (ini key) generated routes, for the routing-cost test."""

    def __init__(self, routes: str = "10", **conf: str) -> None:
        super().__init__(many_routes_mapper(int(routes), stackapi.Resource(ItemsController())))
