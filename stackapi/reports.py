"""What `stackapi-server` prints instead of serving: `--routes`, `--routes-for`, `--openapi`.

Each loads the ini as the server would (the real PasteDeploy) and describes the
app through the walk of :mod:`stackapi.app_map`.  No eventlet, no server, no socket.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any
from urllib.parse import urlsplit

import webob

from stackapi.app_map import Branch, Route, branches, targets_of
from stackapi.errors import StackapiError
from stackapi.guard import url_problem
from stackapi.loader import add_import_dirs, inspect_config, loadapp

#: The flags of this module, in the order ``--help`` lists them.
REPORTS = ("routes", "routes_for", "openapi")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--app-dir``, ``--routes [--json]``, ``--routes-for``, ``--openapi``."""
    parser.add_argument(
        "--app-dir",
        metavar="DIR",
        help="import the app's own modules from DIR too (the start directory always is)",
    )
    parser.add_argument(
        "--routes",
        action="store_true",
        help="print one line per route (prefix, filters, method, path, controller method, "
        "microversions) and exit",
    )
    parser.add_argument(
        "--routes-for",
        metavar='"METHOD /path"',
        help="print what that request reaches (prefix, filters, app, route, method) and exit",
    )
    parser.add_argument("--json", action="store_true", help="--routes / --routes-for as JSON")
    parser.add_argument(
        "--openapi", action="store_true", help="print the app's OpenAPI 3.1 document and exit"
    )


def use_app_dirs(app_dir: str | None) -> None:
    """``--app-dir`` (if given), then the start directory, first on ``sys.path``."""
    if app_dir is not None and not os.path.isdir(app_dir):
        raise StackapiError(f"--app-dir {app_dir}: no such directory")
    add_import_dirs(*([app_dir] if app_dir else []), os.getcwd())


def render(args: argparse.Namespace, check: bool = False) -> str | None:
    """The text of the report the flags ask for, or None to serve."""
    # "is not None"/True, not truth: --routes-for "" is a mistake to report, not "serve".
    asked = [name for name in REPORTS if getattr(args, name) not in (None, False)]
    asked += ["check"] if check else []
    if len(asked) > 1:
        flags = ", ".join("--" + name.replace("_", "-") for name in asked)
        raise StackapiError(f"{flags}: give only one of them")
    if args.json and not (args.routes or args.routes_for is not None):
        raise StackapiError("--json goes with --routes or --routes-for")
    if not asked or check:
        return None
    app = loadapp(args.config, args.name)
    if args.openapi:
        from stackapi.openapi import document_for

        return json.dumps(document_for(app), indent=2)
    tree = inspect_config(args.config, args.name)
    if args.routes:
        rows = route_rows(app, tree)
        return json.dumps(rows, indent=2) if args.json else format_rows(rows)
    found = reaches(app, tree, args.routes_for)
    return json.dumps(found, indent=2) if args.json else format_reach(found)


# -- --routes ------------------------------------------------------------------


def route_rows(app: Any, tree: Any = None) -> list[dict]:
    """One dict per route: where it is, what is in front of it, what it reaches."""
    rows = []
    for branch in sorted(branches(app, tree), key=lambda b: (b.host or "", b.prefix)):
        rows.extend(_row(branch, route) for route in branch.routes())
    return rows


def _row(branch: Branch, route: Route) -> dict:
    return {
        "host": branch.host,
        "prefix": branch.prefix or "/",
        "pipeline": branch.pipeline,
        "filters": [name for name, _ in branch.filters],
        "app": branch.app_name,
        "method": route.method,
        "path": route.path,
        "formats": route.formats,
        "controller": route.controller,
        "function": route.function,
        "action": route.action,
        "versions": route.version_text(),
        "service_type": route.microversions.service_type if route.microversions else None,
    }


_COLUMNS = ("PREFIX", "FILTERS", "METHOD", "PATH", "TARGET", "VERSIONS")


def format_rows(rows: list[dict]) -> str:
    """The table: one line per route, columns separated by spaces."""
    table = [_COLUMNS] + [
        (
            f"{row['host'] or ''}{row['prefix']}",
            ",".join(row["filters"]) or "-",
            row["method"],
            row["path"] + ("[.{format}]" if row["formats"] else ""),
            _target(row),
            row["versions"],
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    )


def _target(row: dict) -> str:
    if row["function"] is None:
        return f"{row['app']} ({row['controller']})"
    action = f" @action {row['action']}" if row["action"] else ""
    return f"{row['controller']}.{row['function']}{action}"


# -- --routes-for --------------------------------------------------------------


def reaches(app: Any, tree: Any, request: str) -> dict:
    """What ``"METHOD /path"`` reaches; StackapiError (one line) if nothing does."""
    environ = _environ(request)
    flag = f"--routes-for {request!r}"
    problem = url_problem(environ)
    if problem is not None:
        raise StackapiError(f"{flag}: 400 badRequest from the Guard: {problem}")
    found = branches(app, tree, environ)
    if not found:
        raise StackapiError(f"{flag}: 404 itemNotFound: no URL prefix matches")
    branch = found[0]
    answer = {
        "request": f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}",
        "prefix": branch.label,
        "pipeline": branch.pipeline,
        "filters": [name for name, _ in branch.filters],
        "app": branch.app_name,
        "route": None,
        "args": {},
        "reaches": [],
    }
    if branch.app is None:
        return answer  # behind a filter the walk cannot see through
    if not hasattr(branch.app, "mapper"):
        answer["reaches"] = [_row(branch, route) for route in branch.routes()]
        return answer
    targets, args = _match(branch, flag)
    answer["route"] = f"{targets[0].method} {targets[0].path}"
    answer["args"] = args
    answer["reaches"] = [_row(branch, route) for route in targets]
    return answer


def _environ(request: str) -> dict:
    method, _, target = request.strip().partition(" ")
    target = target.strip()
    if not method or not target:
        raise StackapiError(f'--routes-for {request!r}: expected "METHOD /path", e.g. "GET /"')
    if method != method.upper():  # methods are case-sensitive: the server refuses "get"
        raise StackapiError(
            f"--routes-for {request!r}: the method is {method.upper()}, not {method}"
        )
    headers = {}
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        headers["Host"] = parts.netloc
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    if not target.startswith("/"):
        raise StackapiError(f"--routes-for {request!r}: the path must start with /")
    return webob.Request.blank(target, method=method.upper(), headers=headers).environ


def _match(branch: Branch, flag: str) -> tuple[list[Route], dict]:
    """The Router's own match (HEAD served by GET, as it does), or its 404/405 as an error."""
    router, environ = branch.app, dict(branch.environ or {})
    environ["PATH_INFO"] = environ.get("PATH_INFO") or "/"
    method = environ["REQUEST_METHOD"]
    found = router.match_route(environ, method)
    if found is None and method == "HEAD":
        found = router.match_route(environ, "GET")
    microversions = getattr(router, "microversions", None)
    targets = targets_of(found[1], branch.prefix, microversions) if found else []
    if targets:
        routing = ("controller", "action", "format")
        return targets, {k: v for k, v in found[0].items() if k not in routing}
    allowed = router.allowed_methods(environ)
    if allowed:
        raise StackapiError(
            f"{flag}: 405 badMethod: {branch.app_name} routes {branch.prefix}"
            f"{environ['PATH_INFO']} for {', '.join(allowed)}"
        )
    raise StackapiError(
        f"{flag}: 404 itemNotFound: no route of {branch.app_name} matches "
        f"{branch.prefix}{environ['PATH_INFO']}"
    )


def format_reach(found: dict) -> str:
    """``--routes-for``'s text: one labelled line per step of the request's way."""
    lines = [found["request"]]
    pipeline = f" -> {found['pipeline']}" if found["pipeline"] else ""
    lines.append(f"  prefix    {found['prefix']}{pipeline}")
    lines.append(f"  filters   {' '.join(found['filters']) or '-'}")
    lines.append(f"  app       {found['app']}")
    if found["route"]:
        args = " ".join(f"{k}={v!r}" for k, v in found["args"].items())
        lines.append(f"  route     {found['route']}{'  ' + args if args else ''}")
    for row in found["reaches"]:
        versions = f"  versions {row['versions']}" if row["versions"] != "-" else ""
        lines.append(f"  reaches   {_target(row)}{versions}")
    if not found["reaches"]:
        lines.append("  reaches   (unknown: a filter the walk cannot see through)")
    return "\n".join(lines)
