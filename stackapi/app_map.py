"""app_map: one walk of a loaded app -- URL prefixes, pipelines, filters, apps, routes.

What describes an app uses it: ``--check``'s tree, ``--routes``, ``--routes-for``,
the OpenAPI document, and the Guard looking for the filters a refused request would
have passed.  It follows what PasteDeploy built (a URLMap's entries, each filter's
``application``, each Router's mapper), sees through stackapi's own wrappers (the
Guard, Server-Timing), and names sections from the loader's
:class:`~stackapi.loader.Node` tree when it is given one.  No eventlet, no server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stackapi.microversion import APIVersion, Microversions
from stackapi.urlmap import URLMap, base_prefix

_FORMAT_SUFFIX = ".{format}"  # what routes.Mapper.resource adds to every route


def unwrap(app: Any) -> Any:
    """``app`` without stackapi's transparent wrappers (the Guard, Server-Timing)."""
    while getattr(app, "transparent_wrapper", False):
        app = app.app
    return app


def next_app(layer: Any) -> Any:
    """The app a filter calls: its ``application`` (stackapi's and oslo.middleware's
    name for it), or ``app``/``_app`` (keystonemiddleware's); None if it has none."""
    layer = unwrap(layer)
    for name in ("application", "app", "_app"):
        found = getattr(layer, name, None)
        if callable(found):
            return found
    return None


@dataclass
class Route:
    """One way a client reaches a method: ``GET /v2.1/servers/{id}`` -> ``show``."""

    method: str  # "GET"; "GET,POST" for a route with several; "ANY" without a condition
    path: str  # the full template, prefix included: "/v2.1/servers/{id}"
    controller: str  # the controller's class name, or the plain WSGI app's
    function: str | None = None  # "show", "_reboot"; None for a plain WSGI app
    action: str | None = None  # the @action name of a POST .../action route
    handler: Any = None  # the bound method (maybe versioned), or the plain app
    #: The microversion ranges the method exists in (None: the API has no microversions).
    versions: list[tuple[APIVersion, APIVersion]] | None = None
    microversions: Microversions | None = None
    formats: bool = False  # also answered with a ".{format}" suffix

    @property
    def target(self) -> str:
        """``ServersController.show``, ``ServersController._reboot @action reboot``."""
        if self.function is None:
            return self.controller
        action = f" @action {self.action}" if self.action else ""
        return f"{self.controller}.{self.function}{action}"

    def version_text(self) -> str:
        """``2.1-2.3``, ``2.1-2.1,2.2-2.3``; ``-`` without microversions, ``none`` if never."""
        if self.versions is None:
            return "-"
        return ",".join(f"{low}-{high}" for low, high in self.versions) or "none"


@dataclass
class Branch:
    """One app a URL prefix leads to, with the filters in front of it, outermost first."""

    host: str | None
    prefix: str  # the path prefix, "" at the root
    pipeline: str | None  # "pipeline:api_v21"; None when the prefix leads to an app directly
    filters: list[tuple[str, Any]] = field(default_factory=list)  # (name, built filter)
    app_name: str = ""  # "app:compute_api", or the class name without the loader's tree
    app: Any = None  # the built app; None behind a filter the walk cannot see through
    environ: dict | None = None  # walked for one request: its environ, the prefix moved on

    @property
    def label(self) -> str:
        return f"{self.host or ''}{self.prefix or '/'}"

    def routes(self) -> list[Route]:
        """The routes of a Router app (one per reachable method), else the app itself."""
        if self.app is None:  # behind a filter that does not say what it calls
            return [Route("ANY", self.prefix or "/", "?", handler=None)]
        if hasattr(self.app, "mapper"):
            return routes_of(self.app, self.prefix)
        # A plain WSGI app: it answers its prefix and every path below it.
        return [Route("ANY", self.prefix or "/", type(self.app).__name__, handler=self.app)]


def branches(app: Any, tree: Any = None, environ: dict | None = None) -> list[Branch]:
    """Every prefix -> pipeline -> app of ``app`` (what ``loadapp`` returned).

    ``tree``: the loader's Node for ``app`` (section names); without it filters and
    apps are named by their class.  ``environ``: only the branch that request takes.
    """
    found: list[Branch] = []
    _visit(app, tree, None, "", dict(environ) if environ is not None else None, found)
    return found


def _visit(
    built: Any, node: Any, host: str | None, prefix: str, environ: dict | None, out: list
) -> None:
    built = unwrap(built)
    if isinstance(built, URLMap):
        children = dict(node.children) if node is not None else {}
        for entry_host, entry_prefix, child in _entries(built, environ):
            label = f"{entry_host or ''}{entry_prefix or '/'}"
            path = prefix + base_prefix(entry_prefix)  # "/v2.1/+" serves paths below /v2.1
            _visit(child, children.get(label), entry_host or host, path, environ, out)
        return
    pipeline = node.section if _kind(node) == "pipeline" else None
    branch = Branch(host, prefix, pipeline, environ=environ)
    if _kind(node) == "pipeline":
        *filter_nodes, app_node = [child for _, child in node.children]
        for filter_node in filter_nodes:
            branch.filters.append((filter_node.name, unwrap(built)))
            built = next_app(built)
        branch.app_name, branch.app = app_node.section, unwrap(built)
    else:
        while node is None and hasattr(built, "application"):  # filters, seen by their class
            branch.filters.append((type(built).__name__, built))
            built = unwrap(built.application)
        branch.app_name = node.section if node is not None else type(built).__name__
        branch.app = built
    out.append(branch)


def _kind(node: Any) -> str | None:
    return getattr(node, "kind", None)


def _entries(urlmap: URLMap, environ: dict | None) -> list:
    """All of a URLMap's entries, or the one it gives ``environ`` (PATH_INFO moved on)."""
    if environ is None:
        return list(urlmap.entries)
    entry = urlmap.enter(environ)  # as the URLMap moves a request's paths
    return [] if entry is None else [entry]


def filters_on_path(app: Any, environ: dict) -> list[Any]:
    """The built filters a request would pass, outermost first (the Guard asks)."""
    found = branches(app, None, environ)
    return [built for _, built in found[0].filters] if found else []


# -- the routes of a Router ----------------------------------------------------


def routes_of(router: Any, prefix: str) -> list[Route]:
    """One Route per method a client can reach through ``router``'s mapper."""
    microversions = getattr(router, "microversions", None)
    found: list[Route] = []
    for route in router.mapper.matchlist:
        found.extend(targets_of(route, prefix, microversions))
    return _fold_format_twins(found)


def targets_of(route: Any, prefix: str, microversions: Microversions | None) -> list[Route]:
    """What one Routes route reaches: a method, each @action method, a plain app, or none."""
    methods = ",".join((route.conditions or {}).get("method") or ["ANY"])
    path = prefix + template(route)
    return list(_reached(methods, path, route.defaults.get("controller"), route, microversions))


def template(route: Any) -> str:
    """``/servers/{id}``: a Routes route's path with its variables in braces."""
    return "".join(p if isinstance(p, str) else "{" + p["name"] + "}" for p in route.routelist)


def _reached(
    methods: str, path: str, app: Any, route: Any, microversions: Microversions | None
) -> Iterator[Route]:
    """The Routes a route reaches: the Controller contract, asked of the Resource itself."""
    action = route.defaults.get("action")
    if not hasattr(app, "method_for"):  # not a Resource: a plain WSGI app
        if callable(app):
            yield Route(methods, path or "/", type(app).__name__, handler=app)
        return
    microversions = getattr(app, "microversions", None) or microversions
    controller = type(app.controller).__name__
    method = app.method_for(action)
    if method is not None:
        yield _route(methods, path, controller, action, None, method, microversions)
        return
    if not app.handles(action):
        return  # the Router answers 404/405 for it: not a route a client can use
    for name, attr in sorted(getattr(app.controller, "wsgi_actions", {}).items()):
        handler = getattr(app.controller, attr)
        yield _route(methods, path, controller, attr, name, handler, microversions)
    for name, handler in sorted(app.extension_actions.items()):
        owner = type(getattr(handler, "__self__", handler)).__name__
        yield _route(methods, path, owner, handler.__name__, name, handler, microversions)


def _route(
    methods: str,
    path: str,
    controller: str,
    function: str,
    action: str | None,
    handler: Any,
    microversions: Microversions | None,
) -> Route:
    versions = version_ranges(handler, microversions)
    return Route(methods, path, controller, function, action, handler, versions, microversions)


def version_ranges(
    handler: Any, microversions: Microversions | None
) -> list[tuple[APIVersion, APIVersion]] | None:
    """The ranges of the API's versions in which ``handler`` has a variant."""
    if microversions is None:
        return None
    low, high = microversions.min_version, microversions.max_version
    variants = getattr(handler, "variants", None)  # @api_version methods
    if not variants:
        return [(low, high)]
    ranges = []
    for variant_low, variant_high, _ in variants:
        start, end = max(variant_low, low), min(variant_high or high, high)
        if start <= end:
            ranges.append((start, end))
    return sorted(ranges, key=lambda r: (r[0].major, r[0].minor))


def _fold_format_twins(found: list[Route]) -> list[Route]:
    """``/widgets.{format}`` next to ``/widgets`` (same method, same target) -> one Route."""
    keys = {(r.method, r.path, r.target) for r in found}
    folded = []
    for route in found:
        base = route.path.removesuffix(_FORMAT_SUFFIX)
        if base != route.path and (route.method, base, route.target) in keys:
            continue
        route.formats = (route.method, route.path + _FORMAT_SUFFIX, route.target) in keys
        folded.append(route)
    return folded
