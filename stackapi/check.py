"""What ``stackapi-server --check`` prints: the resolved tree of an ini, down to the routes.

Sections, targets and options come from the loader's walk (what PasteDeploy
resolved); routes come from the app ``paste.deploy.loadapp`` built (each
``Router``'s mapper, each ``Resource``'s controller).  No eventlet, no server.
"""

from __future__ import annotations

import re
from typing import Any

from stackapi.app_map import Route, next_app, routes_of, unwrap
from stackapi.loader import Node, inspect_config, loadapp, shadowed_keys
from stackapi.server.settings import ServerSettings
from stackapi.urlmap import URLMap, base_prefix

# scheme://user:PASSWORD@host in an option (a database URL): the tree is for terminals and logs.
_PASSWORD = re.compile(r"(://[^/@:\s]*:)[^@/\s]+@")


def render_tree(path: str, name: str, settings: ServerSettings) -> str:
    """The tree as text; raises ConfigError (one line) if anything fails to load."""
    tree = inspect_config(path, name)
    app = loadapp(path, name)
    server = " ".join(f"{k}={v}" for k, v in settings.as_dict().items() if v is not None)
    lines = [f"{path}: [server:main] {server}"]
    _node(tree, app, "", 0, lines)
    return "\n".join(lines)


def _hide_password(text: str) -> str:
    return _PASSWORD.sub(r"\1***@", text)


def shadow_warnings(path: str) -> list[str]:
    """One line per section key that ``[DEFAULT]`` hides (PasteDeploy's silent rule)."""
    # Not "set KEY = value": that changes [DEFAULT]'s value (global_conf) for the
    # section, which stackapi's factories and [server:main] do not read.
    return [
        f"{path}: [{section}] {key}: ignored, because [DEFAULT] sets {key} too (PasteDeploy "
        "gives a section only the keys [DEFAULT] does not set: stackapi's filters, apps and "
        f"[server:main] use their default instead); rename or remove {key} in [DEFAULT]"
        for section, key, _ in shadowed_keys(path)
    ]


def _node(node: Node, built: Any, prefix: str, depth: int, lines: list[str]) -> None:
    built = unwrap(built)
    # A composite's options are its children, printed below it.
    shown = {} if node.kind == "composite" else node.options
    options = "".join(f" {key}={_hide_password(repr(value))}" for key, value in shown.items())
    target = f" {node.target}" if node.target else ""
    lines.append(f"{'  ' * depth}[{node.section}]{target}{options}")
    if node.kind == "composite":
        entries = _urlmap_entries(built)
        for label, child in node.children:
            child_built, child_prefix = entries.get(label, (None, label.rstrip("/")))
            lines.append(f"{'  ' * (depth + 1)}{label} ->")
            _node(child, child_built, prefix + child_prefix, depth + 2, lines)
    elif node.kind == "pipeline":
        for _, child in node.children:
            _node(child, built, prefix, depth + 1, lines)
            built = next_app(built)
    elif node.kind == "app" and hasattr(built, "mapper"):
        lines.extend(f"{'  ' * (depth + 1)}{line}" for line in _route_lines(built, prefix))


def _urlmap_entries(built: Any) -> dict[str, tuple[Any, str]]:
    """``label -> (app, prefix)`` with the labels the loader's walk uses."""
    if not isinstance(built, URLMap):
        return {}
    return {
        f"{host or ''}{prefix or '/'}": (app, base_prefix(prefix))
        for host, prefix, app in built.entries
    }


def _route_lines(router: Any, prefix: str) -> list[str]:
    """``METHOD path -> Controller.method`` for each route that reaches a method."""
    rows: dict[tuple[str, str], list[Route]] = {}
    for route in routes_of(router, prefix):
        path = route.path + ("[.{format}]" if route.formats else "")
        rows.setdefault((route.method, path), []).append(route)
    width = max((len(m) for m, _ in rows), default=0)
    pathwidth = max((len(p) for _, p in rows), default=0)
    return [
        f"{m:<{width}}  {p:<{pathwidth}}  -> {_target(group)}" for (m, p), group in rows.items()
    ]


def _target(group: list[Route]) -> str:
    """``ServersController.index``; an action route: ``ServersController @action {...}``."""
    owner = group[0].controller
    if group[0].action is None:
        return group[0].target
    named = ", ".join(
        f"{r.action!r}: {r.function if r.controller == owner else f'{r.controller}.{r.function}'}"
        for r in sorted(group, key=lambda r: r.action or "")
    )
    return f"{owner} @action {{{named}}}"
