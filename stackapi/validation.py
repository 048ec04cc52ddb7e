"""Request validation: JSON Schema for bodies and query strings, chosen by microversion.

Schemas are checked when the decorator runs (a bad schema fails at import);
a request that does not match is a 400 badRequest naming the field.  Built
on the ``jsonschema`` package, Draft 2020-12 unless a schema names its own.
"""

from __future__ import annotations

import base64
import binascii
import functools
import inspect
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema
import jsonschema.exceptions
import webob
import webob.exc

from stackapi.microversion import ENVIRON_KEY, APIVersion

#: Schemas without "$schema" are Draft 2020-12: the current draft, the one OpenAPI 3.1
#: uses, so an API's schemas can be pasted into its OpenAPI document unchanged.
DEFAULT_VALIDATOR = jsonschema.Draft202012Validator
_VALUE_CHARS = 80  # how much of an offending value a message quotes

#: A name as nova takes one: 1-255 characters, no control characters (C0, DEL,
#: C1), no whitespace at either end.  ``{"properties": {"name": NAME}}``.
NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": r"^(?!\s)[^\x00-\x1f\x7f-\x9f]*(?<!\s)$",
}


def validate(
    body: Mapping | None = None,
    *,
    query: Mapping | None = None,
    min_version: str | None = None,
    max_version: str | None = None,
) -> Callable:
    """Validate a controller method's ``body`` (and/or query string) before it runs.

    ::

        CREATE = {"type": "object", "required": ["server"], "properties": {
            "server": {"type": "object", "required": ["name"],
                       "properties": {"name": {"type": "string", "maxLength": 255}},
                       "additionalProperties": False}},
            "additionalProperties": False}

        @validate(CREATE, max_version="2.1")
        @validate(CREATE_V22, min_version="2.2")      # another schema from 2.2 on
        def create(self, req, body): ...

        @validate(query=INDEX_QUERY)
        def index(self, req): ...

    Failure -> 400 badRequest, e.g. ``Invalid input for field/attribute
    server.name. Value: "". '' should be non-empty``.  Query strings are
    validated as an object of strings (a parameter given twice is a list of
    strings).  With ranges, the schema whose range holds the request's
    version applies; none -> no validation (as nova).  A request without an
    API version (microversions off) uses only schemas without a range.
    """
    rule = _Rule(body, query, min_version, max_version)

    def decorate(func: Callable) -> Callable:
        rules = getattr(func, "wsgi_validation", None)
        if rules is not None:  # a second @validate on the same method: one more range
            rule.check_disjoint(rules, func)
            rules.insert(0, rule)
            return func
        signature = inspect.signature(func)

        @functools.wraps(func)
        def validated(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            req = bound.arguments.get("req")
            chosen = _choose(validated.wsgi_validation, req)  # type: ignore[attr-defined]
            if chosen is not None:
                chosen.apply(req, bound.arguments.get("body"))
            return func(*args, **kwargs)

        validated.wsgi_validation = [rule]  # type: ignore[attr-defined]
        return validated

    return decorate


def _validator(schema: Mapping | None) -> Any:
    if schema is None:
        return None
    cls = jsonschema.validators.validator_for(schema, default=DEFAULT_VALIDATOR)
    cls.check_schema(schema)
    return cls(schema, format_checker=_format_checker(cls))


@functools.cache
def _format_checker(cls: Any) -> jsonschema.FormatChecker:
    """The draft's own format checks, and nova's ``base64`` (which no draft defines)."""
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = {**cls.FORMAT_CHECKER.checkers}
    checker.checks("base64", raises=binascii.Error)(_is_base64)
    return checker


def _is_base64(instance: object) -> bool:
    """nova's ``base64``: what ``base64.b64decode`` (not strict) decodes; non-strings pass."""
    if isinstance(instance, str):
        base64.b64decode(instance.encode("utf-8"))
    return True


class _Rule:
    """One ``@validate``: the validators and the version range they apply to."""

    def __init__(self, body: Any, query: Any, min_version: Any, max_version: Any) -> None:
        if body is None and query is None:
            raise TypeError("@validate needs a body schema, a query schema or both")
        self.body = _validator(body)
        self.query = _validator(query)
        self.min = APIVersion.parse(min_version) if min_version else None
        self.max = APIVersion.parse(max_version) if max_version else None

    @property
    def versioned(self) -> bool:
        return self.min is not None or self.max is not None

    def covers(self, version: APIVersion | None) -> bool:
        if version is None:
            return not self.versioned
        return version.matches(self.min, self.max)

    def check_disjoint(self, rules: list[_Rule], func: Callable) -> None:
        for other in rules:
            low = max(self.min or APIVersion(0, 0), other.min or APIVersion(0, 0))
            highs = [v for v in (self.max, other.max) if v is not None]
            if not highs or low <= min(highs):
                raise TypeError(
                    f"{func.__qualname__}: two @validate ranges overlap at {low}; "
                    "give each schema its own min_version/max_version"
                )

    def apply(self, req: webob.Request, body: Any) -> None:
        if self.query is not None:
            _check(self.query, query_document(req), "query parameter")
        if self.body is not None:
            _check(self.body, body, "field/attribute")


def _choose(rules: list[_Rule], req: Any) -> _Rule | None:
    version = req.environ.get(ENVIRON_KEY) if req is not None else None
    return next((rule for rule in rules if rule.covers(version)), None)


def query_document(req: webob.Request) -> dict[str, Any]:
    """The query string as JSON Schema sees it: ``{"limit": "5", "tag": ["a", "b"]}``."""
    document: dict[str, Any] = {}
    for key in req.GET.keys():
        if key not in document:
            values = req.GET.getall(key)
            document[key] = values[0] if len(values) == 1 else values
    return document


def _check(validator: Any, instance: Any, what: str) -> None:
    try:
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        explanation = None if error is None else describe(error, what)
    except RecursionError:  # a document json.loads took, too deep for jsonschema (or repr)
        explanation = "The request body is nested too deeply."
    if explanation is None:
        return
    refused = webob.exc.HTTPBadRequest(explanation=explanation)
    refused.always_expected = True  # passes any @expected_errors, as in nova
    raise refused


def describe(error: jsonschema.exceptions.ValidationError, what: str = "field/attribute") -> str:
    """One line naming the offending field: ``Invalid input for field/attribute a.b. ...``."""
    path = list(error.absolute_path)
    instance = error.instance
    named = _named_property(error)
    if named is not None:
        path.append(named)
        instance = error.instance.get(named, _MISSING)
    text = error.message
    shown = repr(error.instance)  # jsonschema's messages quote the instance whole
    if len(shown) > _VALUE_CHARS:
        text = text.replace(shown, shown[: _VALUE_CHARS - 3] + "...")
    if not path:
        return f"Invalid input: {text}"
    value = "" if instance is _MISSING else f" Value: {_quote(instance)}."
    return f"Invalid input for {what} {field_path(path)}.{value} {text}"


_MISSING = object()


def _named_property(error: jsonschema.exceptions.ValidationError) -> str | None:
    """For ``required`` and ``additionalProperties``, the property the error is about."""
    if not isinstance(error.instance, dict):
        return None
    if error.validator == "required":
        return next((p for p in error.validator_value if p not in error.instance), None)
    if error.validator == "additionalProperties" and error.validator_value is False:
        known = set(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        return next(
            (
                p
                for p in error.instance
                if p not in known and not any(re.search(r, p) for r in patterns)
            ),
            None,
        )
    return None


def field_path(path: list) -> str:
    """``["server", "networks", 0, "uuid"]`` -> ``server.networks[0].uuid``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _quote(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 3] + "..."
