"""RouteIndex answers exactly what routes.Mapper.routematch answers, on generated mappers;
the Router routes through it and hands its apps the same match as plain RoutesMiddleware."""

import json
import random
import re

import pytest
import routes
import routes.middleware
import webob

import stackapi
from conftest import testapp
from stackapi.route_index import RouteIndex

WORDS = ["servers", "flavors", "images", "os-keypairs", "v2", "detail", "action", "a", "ab"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]
KINDS = [
    "static",
    "var",
    "resource",
    "nested",
    "prefixed",
    "requirement",
    "resource_requirement",
    "function",
    "subpath",
    "wild",
    "leading_var",
]


def not_zero(environ, result):
    """A ``conditions={"function": ...}`` check: ids of "0" are refused."""
    return result.get("id") != "0"


def connect_one(mapper, rng, n, kind, word, target):
    """Connect one generated route (or resource) of ``kind`` to ``target``."""
    conditions = {"method": rng.sample(METHODS, rng.randint(1, 3))}
    other = rng.choice(WORDS)
    if kind == "static":
        mapper.connect(f"/{word}/{other}", controller=target, conditions=conditions)
    elif kind == "var":
        mapper.connect(
            f"/{word}/{{id}}/{other}", controller=target, action="show", conditions=conditions
        )
    elif kind == "resource":
        mapper.resource(
            word.rstrip("s") or "x",
            word,
            controller=target,
            member={"action": "POST"},
            collection={"detail": "GET"},
        )
    elif kind == "nested":  # /{word}/{parent_id}/ips[/{id}]
        mapper.resource(
            "ip",
            "ips",
            controller=target,
            parent_resource={"member_name": "parent", "collection_name": word},
        )
    elif kind == "prefixed":  # nova's /{project_id}/servers
        mapper.resource(f"thing{n}", word, controller=target, path_prefix="/{project_id}")
    elif kind == "requirement":
        mapper.connect(
            f"/{word}/{{id}}",
            controller=target,
            requirements={"id": r"\d+"},
            conditions=conditions,
        )
    elif kind == "resource_requirement":
        mapper.resource(f"r{n}", word, controller=target, requirements={"id": r"[0-9a-f]+"})
    elif kind == "function":
        mapper.connect(
            f"/{word}/{{id}}",
            controller=target,
            action="show",
            conditions={**conditions, "function": not_zero},
        )
    elif kind == "subpath":  # a variable that spans segments
        mapper.connect(f"/{word}/{{id}}/files/{{path:.*}}", controller=target, action="show")
    elif kind == "wild":
        mapper.connect(f"/{word}/*path_info", controller=target)
    else:
        mapper.connect(f"/{{tenant}}/{word}", controller=target, conditions=conditions)


def paths_for(word, rng):
    return [
        f"/{word}",
        f"/{word}/",
        f"/{word}/42",
        f"/{word}/0",
        f"/{word}/beef",
        f"/{word}/abc/{rng.choice(WORDS)}",
        f"/{word}/7/action",
        f"/{word}.json",
        f"/{word}/detail",
        f"/{word}/detail.json",
        f"/{word}/42/edit",
        f"/{word}/5/ips",
        f"/{word}/5/ips/9",
        f"/{word}/5/files/a/b.txt",
        f"/p1/{word}",
        f"/p1/{word}/3",
        f"/t1/{word}",
        f"/{word}/x/y/z",
        f"/{word}/9.json",
    ]


def build_mapper(rng, minimization, size, target=lambda n: f"app{n}"):
    """A mapper mixing every kind of route, and the paths its templates suggest."""
    mapper = routes.Mapper()
    mapper.minimization = minimization
    paths = []
    for n in range(rng.randint(*size)):
        word = rng.choice(WORDS) + (str(n) if rng.random() < 0.5 else "")
        connect_one(mapper, rng, n, rng.choice(KINDS), word, target(n))
        paths += paths_for(word, rng)
    paths += ["/", "", "/nothing", "//", "/%ff", "/servers/%00"]
    return mapper, paths


@pytest.mark.parametrize("seed", range(24))
def test_same_match_as_routes(seed):
    """Every path x every method (the Router's HEAD and 405 probes included)."""
    rng = random.Random(seed)
    mapper, paths = build_mapper(rng, minimization=seed % 4 == 0, size=(5, 40))
    index = RouteIndex(mapper)
    checked = matched = 0
    for path in paths:
        for method in METHODS:
            environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "HTTP_HOST": "h"}
            expected = mapper.routematch(environ=dict(environ))
            got = index.routematch(environ=dict(environ))
            assert got == expected, (path, method)
            if expected:
                assert got[1] is expected[1]  # the very same Route object
                matched += 1
            checked += 1
    assert checked >= 60
    assert matched >= 5  # the generated paths do reach routes


def test_routes_connected_later_are_found():
    mapper = routes.Mapper()
    mapper.connect("/a", controller="a")
    index = RouteIndex(mapper)
    assert index.routematch("/b", {"REQUEST_METHOD": "GET"}) is None
    mapper.connect("/b", controller="b")
    match, route = index.routematch("/b", {"REQUEST_METHOD": "GET"})
    assert match["controller"] == "b"


def test_prefixed_mapper_falls_back_to_routes():
    mapper = routes.Mapper()
    mapper.prefix = "/api"
    mapper.connect("/x", controller="x")
    index = RouteIndex(mapper)
    assert index.routematch("/api/x", {"REQUEST_METHOD": "GET"}) == mapper.routematch(
        "/api/x", {"REQUEST_METHOD": "GET"}
    )


def test_url_generation_is_the_mappers():
    mapper = routes.Mapper()
    mapper.connect("widget", "/widgets/{id}", controller="w")
    assert RouteIndex(mapper).generate(controller="w", id="3") == "/widgets/3"


# -- the Router routes through the index ------------------------------------------


class Recorder:
    """A WSGI app that answers with its name, the match dict and the route it was given."""

    def __init__(self, name):
        self.name = name

    def __call__(self, environ, start_response):
        record = {
            "app": self.name,
            "match": environ["wsgiorg.routing_args"][1],
            "route": id(environ["routes.route"]),
            "path_info": environ["PATH_INFO"],
            "script_name": environ["SCRIPT_NAME"],
        }
        body = json.dumps(record, default=str).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]


def plain_routes(mapper):
    """The reference: plain RoutesMiddleware over the mapper itself, no index."""

    def dispatch(environ, start_response):
        return environ["wsgiorg.routing_args"][1]["controller"](environ, start_response)

    return routes.middleware.RoutesMiddleware(
        dispatch, mapper, use_method_override=False, singleton=False
    )


def call(app, path, method):
    return webob.Request.blank(path, method=method).get_response(app)


@pytest.mark.parametrize("seed", range(6))
def test_router_passes_the_same_match_as_plain_routes(seed):
    """Through the Router, an app gets the match and route plain Routes picks; HEAD
    falls back to the GET route, and a miss is a 404 or a 405 fault."""
    rng = random.Random(1000 + seed)
    mapper, paths = build_mapper(
        rng, seed % 3 == 0, target=lambda n: Recorder(f"app{n}"), size=(5, 20)
    )
    router = stackapi.Router(mapper)
    reference = plain_routes(mapper)
    routed = 0
    for path in paths:
        if not path.startswith("/"):
            continue
        for method in ("GET", "POST", "PUT", "DELETE", "HEAD"):
            environ = {"PATH_INFO": path, "REQUEST_METHOD": method}
            expected = mapper.routematch(environ=dict(environ))
            probe = method
            if expected is None and method == "HEAD":  # the Router falls back to GET
                probe = "GET"
                expected = mapper.routematch(environ=dict(environ, REQUEST_METHOD=probe))
            got = call(router, path, method)
            if expected is None:
                assert got.status_int in (404, 405), (path, method)
                continue
            got, want = got.json, call(reference, path, probe).json
            assert got == want, (path, method)  # the HEAD -> GET fallback's route too
            routed += 1
    assert routed >= 5


def test_router_does_not_try_every_route():
    """GETs through the Router never run Routes' alternation of all 1000 patterns."""
    mapper = routes.Mapper()
    app = Recorder("items")
    for i in range(1000):
        mapper.connect(f"/r{i}/items/{{id}}", controller=app, conditions={"method": ["GET"]})
    router = testapp(stackapi.Router(mapper))
    router.get("/r0/items/1")  # builds the regexps
    # Routes' alternation of every route's pattern; a broken one fails whoever tries it.
    mapper._master_regexp = "(unterminated"
    assert router.get("/r999/items/42").json["match"]["id"] == "42"
    assert router.get("/r500/items/7").json["match"]["id"] == "7"
    # The 404 and 405 probes (one per method, for Allow) go through the index too.
    assert router.post("/r999/items/42", status=405).headers["Allow"] == "GET, HEAD"
    assert router.get("/r1000/items/42", status=404).json["itemNotFound"]["code"] == 404
    with pytest.raises(re.error):  # plain Routes would have tried it
        mapper.routematch("/r999/items/42", {"REQUEST_METHOD": "GET"})


def test_environ_reads_the_mappers_and_deleting_it_is_harmless():
    mapper = routes.Mapper()
    index = RouteIndex(mapper)
    assert index.environ is mapper.environ
    del index.environ  # what RoutesMiddleware does after each request
    del index.environ
