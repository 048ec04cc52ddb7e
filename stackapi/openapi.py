"""openapi: the OpenAPI 3.1 document of a loaded app, and the app that serves it.

Built from the walk of :mod:`stackapi.app_map`: each route's method and path,
its ``@validate`` schemas (body and query, per microversion), its ``@response``
code, the faults in nova's shape that the filters in front of it and the
framework answer, and the microversion ranges.  ``stackapi-server --openapi``
prints it; ``use = egg:stackapi#openapi`` serves it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import webob
import webob.exc

from stackapi.app_map import Branch, Route, branches
from stackapi.application import Application
from stackapi.faults import FAULT_NAMES, fault_name
from stackapi.guard import ENVIRON_KEY as GUARD_KEY
from stackapi.microversion import HEADER as VERSION_HEADER
from stackapi.options import Option, as_str
from stackapi.request import Request
from stackapi.request_ids import HEADER as REQUEST_ID_HEADER

OPENAPI_VERSION = "3.1.0"
_HTTP_METHODS = ("get", "put", "post", "delete", "patch")
#: What a route's action implies: these take a JSON object body, always.
_BODY_REQUIRED = frozenset({"create", "update"})
_NO_BODY = frozenset({"index", "show", "delete", "detail", "new", "edit"})
_DESCRIPTIONS = {
    400: "Malformed JSON, a body or query that does not match its schema, a bad microversion.",
    401: "No credentials, or invalid ones (from the auth filter).",
    403: "Refused by the policy.",
    404: "No such resource (or no variant of the method for the requested microversion).",
    406: "The requested microversion is outside the API's range.",
    413: "The body is over the size limit.",
    415: "The body is not JSON.",
}
_FAULT_SCHEMA = {
    "type": "object",
    "description": "nova's fault shape: one key, the fault's name.",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
    },
    "examples": [{"itemNotFound": {"code": 404, "message": "The resource could not be found."}}],
}
_SAFE_ID = re.compile(r"[^A-Za-z0-9_.]+")


class OpenAPIApp(Application):
    """Serve the OpenAPI 3.1 document of the app this one is part of.

    ::

        [composite:main]
        use = egg:stackapi#urlmap
        /v1 = api
        /openapi.json = openapi

        [app:openapi]
        use = egg:stackapi#openapi
        title = Widgets API
        version = 1.0

    ``GET`` (and ``HEAD``) of its prefix answers the document of everything the
    ini's urlmap serves, built at the first request (the Guard in front of the
    tree tells it the tree) and kept.  Other methods: 405; other paths: 404.
    """

    options = (
        Option("title", as_str, "API", "the document's info.title"),
        Option("version", as_str, "1", "the document's info.version"),
        Option("description", as_str, "", "the document's info.description"),
    )

    def __init__(self, **conf: Any) -> None:
        super().__init__(**conf)
        self._served: tuple[Any, bytes] | None = None  # (the tree, its document)

    def handle(self, req: Request) -> Any:
        if req.path_info not in ("", "/"):
            raise webob.exc.HTTPNotFound(explanation="The resource could not be found.")
        if req.method not in ("GET", "HEAD"):
            raise webob.exc.HTTPMethodNotAllowed(
                explanation=f"The method {req.method} is not allowed for this resource.",
                headers=[("Allow", "GET, HEAD")],
            )
        guard = req.environ.get(GUARD_KEY)
        if guard is None:
            raise RuntimeError("egg:stackapi#openapi is served without stackapi's Guard")
        if self._served is None or self._served[0] is not guard.app:
            body = json.dumps(document_for(guard.app), indent=2).encode()
            self._served = (guard.app, body)
        return webob.Response(body=self._served[1], content_type="application/json", charset=None)

    def info(self) -> dict:
        info = {"title": self.title, "version": self.version}
        if self.description:
            info["description"] = self.description
        return info


def document_for(app: Any) -> dict:
    """The OpenAPI 3.1 document of ``app`` (what ``loadapp`` returned), as a dict."""
    found = [b for b in branches(app) if b.host is None]  # OpenAPI paths have no host
    served_by = next((b.app for b in found if isinstance(b.app, OpenAPIApp)), None)
    info = served_by.info() if served_by is not None else {"title": "API", "version": "1"}
    builder = _Builder()
    paths: dict[str, dict] = {}
    for branch in sorted(found, key=lambda b: b.prefix):
        for (method, path), group in _operations(branch).items():
            paths.setdefault(path, {})[method] = builder.operation(branch, method, path, group)
    return {
        "openapi": OPENAPI_VERSION,
        "info": info,
        "paths": paths,
        "components": builder.components(),
    }


def _operations(branch: Branch) -> dict[tuple[str, str], list[Route]]:
    """``(method, path) -> Routes``: the routes of the branch, one group per operation."""
    grouped: dict[tuple[str, str], list[Route]] = {}
    for route in branch.routes():
        if route.function is None:
            continue  # a plain WSGI app: what it answers is its own
        methods = route.method.split(",") if route.method != "ANY" else _HTTP_METHODS
        for method in methods:
            if method.lower() in _HTTP_METHODS:
                grouped.setdefault((method.lower(), route.path), []).append(route)
    return grouped


class _Builder:
    """What the operations share: operation ids taken, fault statuses and services used."""

    def __init__(self) -> None:
        self.operation_ids: set[str] = set()
        self.statuses: set[int] = set()
        self.services: dict[str, Any] = {}

    def operation(self, branch: Branch, method: str, path: str, group: list[Route]) -> dict:
        first = group[0]
        functions = [f for route in group for f in _variants(route.handler)]
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", path)
        ]
        parameters += _query_parameters(functions)
        mv = first.microversions
        if mv is not None:
            self.services[mv.service_type] = mv
            parameters.append({"$ref": f"#/components/parameters/{mv.service_type}_api_version"})
        operation: dict[str, Any] = {
            "operationId": self.operation_id(first),
            "summary": _summary(group),
            "tags": [first.controller],
        }
        if parameters:
            operation["parameters"] = parameters
        body = _request_body(group, method)
        if body is not None:
            operation["requestBody"] = body
        operation["responses"] = self.responses(branch, group, method, body is not None)
        if mv is not None:
            operation["x-openstack-api-versions"] = {
                "service_type": mv.service_type,
                "ranges": sorted({route.version_text() for route in group}),
            }
        return operation

    def operation_id(self, first: Route) -> str:
        base = _SAFE_ID.sub("_", f"{first.controller}.{first.function}")
        if first.action is not None:
            base = _SAFE_ID.sub("_", f"{first.controller}.action")
        candidate, n = base, 2
        while candidate in self.operation_ids:
            candidate, n = f"{base}_{n}", n + 1
        self.operation_ids.add(candidate)
        return candidate

    def responses(self, branch: Branch, group: list[Route], method: str, has_body: bool) -> dict:
        responses: dict[str, Any] = {}
        for route in group:
            for func in _variants(route.handler):
                code = _code(func) or _code(route.handler)
                responses.setdefault(_success_key(code, method), _success(code, method))
        statuses = _fault_statuses(branch, group, has_body)
        self.statuses.update(statuses)
        for status in sorted(statuses):
            responses[str(status)] = {"$ref": f"#/components/responses/{_response_name(status)}"}
        responses["default"] = {"$ref": "#/components/responses/apiFault"}
        return responses

    def components(self) -> dict:
        fault = {"application/json": {"schema": {"$ref": "#/components/schemas/Fault"}}}
        headers = {REQUEST_ID_HEADER: {"$ref": "#/components/headers/RequestId"}}
        responses = {
            _response_name(status): {
                "description": _DESCRIPTIONS.get(status, fault_name(status)),
                "headers": headers,
                "content": fault,
            }
            for status in sorted(self.statuses)
        }
        responses["apiFault"] = {
            "description": "Any other error; an unexpected one is a 500 that says nothing of it.",
            "headers": headers,
            "content": fault,
        }
        components: dict[str, Any] = {
            "schemas": {"Fault": _FAULT_SCHEMA},
            "responses": responses,
            "headers": {
                "RequestId": {
                    "description": "req-<uuid4>: the id of the request in the server's log.",
                    "schema": {"type": "string", "pattern": "^req-[0-9a-f-]{36}$"},
                }
            },
        }
        if self.services:
            components["parameters"] = {
                f"{service}_api_version": _version_parameter(service, mv)
                for service, mv in sorted(self.services.items())
            }
        return components


def _response_name(status: int) -> str:
    """``badRequest``, ``itemNotFound``...; ``apiFault406`` for a status without a name."""
    name = fault_name(status)
    return name if status in FAULT_NAMES and name != "overLimit" else f"{name}{status}"


def _fault_statuses(branch: Branch, group: list[Route], has_body: bool) -> set[int]:
    """The faults this operation may answer, from its own shape and the filters before it."""
    functions = [f for route in group for f in _variants(route.handler)]
    statuses = set()
    if has_body:
        statuses.update((400, 415))
    if any(rule.query is not None for rule in _rules(functions)):
        statuses.add(400)
    if "{" in group[0].path:
        statuses.add(404)
    if group[0].microversions is not None:
        statuses.update((400, 404, 406))
    if any(getattr(func, "wsgi_policy", None) for func in functions):
        statuses.add(403)
    for _, layer in branch.filters:
        statuses.update(s for s in getattr(layer, "fault_statuses", ()) if s != 413 or has_body)
    return statuses


def _version_parameter(service: str, mv: Any) -> dict:
    return {
        "name": VERSION_HEADER,
        "in": "header",
        "required": False,
        "description": (
            f"'{service} X.Y' from {mv.min_version} to {mv.max_version}, or "
            f"'{service} latest'; without it, {mv.min_version}."
        ),
        "schema": {"type": "string"},
        "example": f"{service} {mv.max_version}",
    }


def _variants(handler: Any) -> list[Any]:
    """The functions behind a handler: each ``@api_version`` variant, or the method."""
    variants = getattr(handler, "variants", None)
    if variants:
        return [func for _, _, func in variants]
    return [getattr(handler, "__func__", handler)]


def _rules(functions: Iterable[Any]) -> list[Any]:
    return [rule for func in functions for rule in getattr(func, "wsgi_validation", ())]


def _range_text(rule: Any) -> str:
    return f"{rule.min or 'any'} to {rule.max or 'latest'}"


def _query_parameters(functions: list[Any]) -> list[dict]:
    by_name: dict[str, dict] = {}
    for rule in _rules(functions):
        if rule.query is None:
            continue
        schema = rule.query.schema
        required = set(schema.get("required", ()))
        for name, prop in schema.get("properties", {}).items():
            param = by_name.setdefault(
                name, {"name": name, "in": "query", "required": name in required}
            )
            param.setdefault("schema", prop)
            if param["schema"] != prop:  # another microversion, another schema
                param["schema"] = {"anyOf": [param["schema"], prop]}
    return list(by_name.values())


def _request_body(group: list[Route], method: str) -> dict | None:
    """A body for create/update/actions (required) and methods that validate one."""
    is_action = group[0].action is not None
    schemas = []
    for route in group:
        rules = [rule for rule in _rules(_variants(route.handler)) if rule.body is not None]
        found = [_annotated(rule) for rule in rules]
        if not found and is_action:
            found = [{"type": "object", "required": [route.action]}]
        schemas.extend(found)
    first = group[0]
    required = is_action or first.function in _BODY_REQUIRED
    if not schemas and not required:
        if first.function in _NO_BODY or method in ("get", "delete"):
            return None
    if not schemas:
        schemas = [{"type": "object"}]
    schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _annotated(rule: Any) -> dict:
    schema = dict(rule.body.schema)
    if rule.versioned:
        note = f"Microversions {_range_text(rule)}."
        schema["description"] = (
            f"{schema['description']} {note}" if "description" in schema else note
        )
    return schema


def _success_key(code: int | None, method: str) -> str:
    if code is not None:
        return str(code)
    return "200" if method == "get" else "2XX"


def _success(code: int | None, method: str) -> dict:
    headers = {REQUEST_ID_HEADER: {"$ref": "#/components/headers/RequestId"}}
    if code == 204:
        return {"description": "Done; no body.", "headers": headers}
    if code is None and method != "get":
        description = "Success: 200 with a JSON body, or 204 with none."
    else:
        description = "Success."
    schema = {"type": ["object", "array"]}
    return {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"schema": schema}},
    }


def _summary(group: list[Route]) -> str:
    first = group[0]
    if first.action is not None:
        names = ", ".join(sorted(r.action for r in group if r.action))
        return f"Actions of {first.controller}: {names}"
    doc = (getattr(first.handler, "__doc__", None) or "").strip().splitlines()
    return doc[0] if doc else f"{first.controller}.{first.function}"


def _code(func: Any) -> int | None:
    return getattr(func, "wsgi_code", None)
