"""RouteIndex: ``routes.Mapper.routematch`` without the cost that grows with the route count.

Routes 2.5 first tries one "master" regexp, the alternation of every route's
pattern, to reject unknown URLs early; Python's ``re`` tries the alternatives
one by one, so a mapper of 1000 routes tries ~1000 patterns per request (on
this machine: 6 us at 10 routes, 49 us at 1000).  Routes then looks routes up
by static prefix, which is cheap.  RouteIndex keeps that second step exactly
(same buckets, same order, each ``Route.match`` unchanged) and skips the first,
which only ever rejects URLs no route matches anyway.  The result is the same
match dict and the same route as ``mapper.routematch`` -- tests/test_route_index.py
compares the two on generated mappers.
"""

from __future__ import annotations

import itertools
from typing import Any

import routes


class RouteIndex:
    """Stands in for a ``routes.Mapper`` where ``RoutesMiddleware`` wants one.

    ``routematch`` is indexed; every other attribute (URL generation, ...) is
    the mapper's own.  Routes connected after construction are picked up (the
    index is rebuilt when ``len(mapper.matchlist)`` changes).
    """

    def __init__(self, mapper: routes.Mapper) -> None:
        self.mapper = mapper
        self._indexed = -1
        self._buckets: dict[str, list[Any]] = {}
        self._lengths: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.mapper, name)

    @property
    def environ(self) -> Any:
        return self.mapper.environ

    @environ.deleter
    def environ(self) -> None:
        # RoutesMiddleware clears the mapper's thread-local environ after every
        # request, which in non-singleton mode was never set: without this no-op
        # each request would raise and catch an AttributeError (0.6 us).
        pass

    def routematch(self, url: str | None = None, environ: dict | None = None) -> Any:
        mapper = self.mapper
        if mapper.prefix or mapper.debug or mapper.always_scan:
            return mapper.routematch(url, environ)  # rare modes: let Routes do all of it
        if url is None:
            url = environ["PATH_INFO"]  # type: ignore[index]
        if self._indexed != len(mapper.matchlist):
            self._build()
        environ = environ or mapper.environ
        for length in self._lengths:
            for route in self._buckets.get(url[:length], ()):
                match = route.match(
                    url,
                    environ,
                    mapper.sub_domains,
                    mapper.sub_domains_ignore,
                    mapper.domain_match,
                )
                if isinstance(match, dict) or match:
                    return match, route
        return None

    def _build(self) -> None:
        """Bucket the routes by static prefix, exactly as ``Mapper._create_regs`` does."""
        self.mapper.create_regs()  # compiles each route's own regexp
        buckets: dict[str, list[Any]] = {}
        for route in self.mapper.matchlist:
            if route.static:
                continue
            prefix = "".join(itertools.takewhile(lambda p: isinstance(p, str), route.routelist))
            if route.minimization and not prefix.startswith("/"):
                prefix = "/" + prefix
            buckets.setdefault(prefix.rstrip("/"), []).append(route)
        self._buckets = buckets
        self._lengths = sorted({len(p) for p in buckets}, reverse=True)
        self._indexed = len(self.mapper.matchlist)
