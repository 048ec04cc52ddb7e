"""What ``stackapi-server --check`` prints: the resolved tree of an ini, down to the routes.

Sections, targets and options come from the loader's walk (what PasteDeploy
resolved); routes come from the app ``paste.deploy.loadapp`` built (each
``Router``'s mapper, each ``Resource``'s controller).  No eventlet, no server.
"""

from __future__ import annotations

from typing import Any

from stackapi.loader import Node, inspect_config, loadapp
from stackapi.settings import ServerSettings
from stackapi.urlmap import URLMap, base_prefix

_FORMAT_SUFFIX = ".{format}"  # what routes.Mapper.resource adds to every route


def render_tree(path: str, name: str, settings: ServerSettings) -> str:
    """The tree as text; raises ConfigError (one line) if anything fails to load."""
    tree = inspect_config(path, name)
    app = loadapp(path, name)
    server = " ".join(f"{k}={v}" for k, v in settings.as_dict().items() if v is not None)
    lines = [f"{path}: [server:main] {server}"]
    _node(tree, app, "", 0, lines)
    return "\n".join(lines)


def _node(node: Node, built: Any, prefix: str, depth: int, lines: list[str]) -> None:
    # A composite's options are its children, printed below it.
    shown = {} if node.kind == "composite" else node.options
    options = "".join(f" {key}={value!r}" for key, value in shown.items())
    target = f" {node.target}" if node.target else ""
    lines.append(f"{'  ' * depth}[{node.section}]{target}{options}")
    if node.kind == "composite":
        entries = _urlmap_entries(built)
        for label, child in node.children:
            child_built, child_prefix = entries.get(label, (None, label.rstrip("/")))
            lines.append(f"{'  ' * (depth + 1)}{label} ->")
            _node(child, child_built, child_prefix, depth + 2, lines)
    elif node.kind == "pipeline":
        for _, child in node.children:
            _node(child, built, prefix, depth + 1, lines)
            built = getattr(built, "application", None)  # the next app of a stackapi filter
    elif node.kind == "app":
        lines.extend(f"{'  ' * (depth + 1)}{line}" for line in _routes(built, prefix))


def _urlmap_entries(built: Any) -> dict[str, tuple[Any, str]]:
    """``label -> (app, prefix)`` with the labels the loader's walk uses."""
    if not isinstance(built, URLMap):
        return {}
    return {
        f"{host or ''}{prefix or '/'}": (app, "" if host else base_prefix(prefix))
        for host, prefix, app in built.entries
    }


def _routes(router: Any, prefix: str) -> list[str]:
    """``METHOD path -> Controller.method`` for each route that reaches a method."""
    mapper = getattr(router, "mapper", None)
    if mapper is None:
        return []
    rows: list[tuple[str, str, str]] = []
    for route in mapper.matchlist:
        target = _reaches(route.defaults.get("controller"), route.defaults.get("action"))
        if target is None:
            continue  # the Router answers 404/405 for it: not a route a client can use
        methods = ",".join((route.conditions or {}).get("method") or ["ANY"])
        rows.append((methods, prefix + _path(route.routelist), target))
    rows = _fold_format_twins(rows)
    width = max((len(m) for m, _, _ in rows), default=0)
    pathwidth = max((len(p) for _, p, _ in rows), default=0)
    return [f"{m:<{width}}  {p:<{pathwidth}}  -> {t}" for m, p, t in rows]


def _path(routelist: list) -> str:
    return "".join(p if isinstance(p, str) else "{" + p["name"] + "}" for p in routelist) or "/"


def _fold_format_twins(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """``/widgets.{format}`` next to ``/widgets`` (same methods, same target) -> one row."""
    plain = set(rows)
    folded = []
    for methods, path, target in rows:
        base = path.removesuffix(_FORMAT_SUFFIX)
        if base != path and (methods, base, target) in plain:
            continue
        twin = (methods, path + _FORMAT_SUFFIX, target) in plain
        folded.append((methods, f"{path}[{_FORMAT_SUFFIX}]" if twin else path, target))
    return folded


def _reaches(app: Any, action: str | None) -> str | None:
    """What a route's ``controller`` and ``action`` reach (the Controller contract), or None.

    Asked of the Resource itself (``method_for``, ``handles``), as the Router asks it.
    """
    if not hasattr(app, "method_for"):  # not a Resource: a plain WSGI app
        return type(app).__name__ if callable(app) else None
    cls = type(app.controller).__name__
    if app.method_for(action) is not None:
        return f"{cls}.{action}"
    if not app.handles(action):
        return None
    actions = dict(getattr(app.controller, "wsgi_actions", {}))
    actions.update((name, m.__qualname__) for name, m in app.extension_actions.items())
    named = ", ".join(f"{name!r}: {method}" for name, method in sorted(actions.items()))
    return f"{cls} @action {{{named}}}"
