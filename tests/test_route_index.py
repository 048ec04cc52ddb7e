"""RouteIndex answers exactly what routes.Mapper.routematch answers, on generated mappers."""

import random

import pytest
import routes

from stackapi.route_index import RouteIndex

WORDS = ["servers", "flavors", "images", "os-keypairs", "v2", "detail", "action", "a", "ab"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]


def build_mapper(rng: random.Random, minimization: bool) -> tuple[routes.Mapper, list[str]]:
    """A mapper mixing every kind of route, and the paths its templates suggest."""
    mapper = routes.Mapper()
    mapper.minimization = minimization
    paths = []
    for n in range(rng.randint(5, 60)):
        kind = rng.choice(["static", "var", "resource", "requirement", "wild", "leading_var"])
        word = rng.choice(WORDS) + (str(n) if rng.random() < 0.5 else "")
        conditions = {"method": rng.sample(METHODS, rng.randint(1, 3))}
        target = f"app{n}"
        if kind == "static":
            mapper.connect(
                f"/{word}/{rng.choice(WORDS)}", controller=target, conditions=conditions
            )
        elif kind == "var":
            mapper.connect(
                f"/{word}/{{id}}/{rng.choice(WORDS)}",
                controller=target,
                action="show",
                conditions=conditions,
            )
        elif kind == "resource":
            mapper.resource(
                word.rstrip("s") or "x",
                word,
                controller=target,
                member={"action": "POST"},
                collection={"detail": "GET"},
            )
        elif kind == "requirement":
            mapper.connect(
                f"/{word}/{{id}}",
                controller=target,
                requirements={"id": r"\d+"},
                conditions=conditions,
            )
        elif kind == "wild":
            mapper.connect(f"/{word}/*path_info", controller=target)
        else:
            mapper.connect(f"/{{tenant}}/{word}", controller=target, conditions=conditions)
        paths += [
            f"/{word}",
            f"/{word}/",
            f"/{word}/42",
            f"/{word}/abc/{rng.choice(WORDS)}",
            f"/{word}/7/action",
            f"/{word}.json",
            f"/{word}/detail",
            f"/t1/{word}",
            f"/{word}/x/y/z",
            f"/{word}/9.json",
        ]
    paths += ["/", "", "/nothing", "//", "/%ff", "/servers/%00"]
    return mapper, paths


@pytest.mark.parametrize("seed", range(40))
def test_same_match_as_routes(seed):
    rng = random.Random(seed)
    mapper, paths = build_mapper(rng, minimization=seed % 4 == 0)
    index = RouteIndex(mapper)
    checked = 0
    for path in paths:
        for method in METHODS:
            environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "HTTP_HOST": "h"}
            expected = mapper.routematch(environ=dict(environ))
            assert index.routematch(environ=dict(environ)) == expected, (path, method)
            checked += 1
    assert checked >= 60


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
