"""json_body: strict JSON request bodies (UTF-8, no NaN, no duplicate keys, 64-bit numbers).

Read from ``wsgi.input`` once; every refusal is a ``webob.exc`` 400 or 415.  Strings
a service could not store (lone surrogates such as ``"\\ud800"``) are refused here,
naming the field; a ``Content-Encoding`` the service does not decode is a 415.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import webob
import webob.exc

_JSON_TYPES = ("application/json",)
_INT_LIMIT = 2**63  # JSON numbers beyond a signed 64-bit integer are refused
#: The only way a lone surrogate gets into a parsed document: a ``\\uD800``-``\\uDFFF``
#: escape (strict UTF-8 decoding refuses encoded ones), so only such a body is walked.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def has_body(req: webob.Request) -> bool:
    if req.content_length:
        return True
    return "chunked" in req.environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def read_body(req: webob.Request) -> bytes:
    """The whole body, read once from ``wsgi.input`` (and kept: ``req.body`` works after).

    Read directly rather than through ``req.body``, which spools bodies over
    10 kB into a temporary file.  A short or broken body is a 400, whatever
    the server's ``wsgi.input`` raises for it.
    """
    length = req.content_length
    try:
        raw = req.body_file_raw.read(length) if length is not None else req.body_file_raw.read()
    except webob.exc.HTTPException:
        raise  # a fault already (sizelimit's 413, stackapi-server's 400/408)
    except Exception:  # engines raise their own errors for broken bodies (gunicorn's, uWSGI's)
        raise webob.exc.HTTPBadRequest(explanation="The request body could not be read.") from None
    if length is not None and len(raw) < length:
        raise webob.exc.HTTPBadRequest(
            explanation=f"The request body ended after {len(raw)} of {length} bytes."
        )
    req.body = raw
    return raw


def check_content_type(req: webob.Request) -> None:
    """415 unless the body is JSON in UTF-8 (or the type is not given)."""
    header = req.environ.get("CONTENT_TYPE", "")
    if not header.strip():
        return
    media, _, params = header.partition(";")
    media = media.strip().lower()
    if media not in _JSON_TYPES and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise webob.exc.HTTPUnsupportedMediaType(
            explanation=f"Content type {media!r} is not supported; send application/json."
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise webob.exc.HTTPUnsupportedMediaType(
                explanation=f"Charset {value.strip()!r} is not supported; send UTF-8."
            )


def check_content_encoding(req: webob.Request) -> None:
    """415 for a body in a ``Content-Encoding`` (gzip, br ...): nothing here decodes one."""
    encodings = [e.strip().lower() for e in req.headers.get("Content-Encoding", "").split(",")]
    unknown = [e for e in encodings if e and e != "identity"]
    if unknown:
        raise webob.exc.HTTPUnsupportedMediaType(
            explanation=f"Content encoding {unknown[0]!r} is not supported; "
            "send the body unencoded."
        )


def parse_json_body(req: webob.Request, required: bool) -> Any:
    """The request's JSON object, or None if it has no body and ``required`` is false."""
    raw = read_body(req) if has_body(req) else b""
    if not raw.strip():
        if required:
            raise webob.exc.HTTPBadRequest(explanation="This request needs a JSON object as body.")
        return None
    check_content_encoding(req)
    check_content_type(req)
    document = parse_json(raw)
    if not isinstance(document, dict):
        raise webob.exc.HTTPBadRequest(explanation="The request body must be a JSON object.")
    if _SURROGATE_ESCAPE.search(raw):
        check_characters(document)
    return document


def check_characters(document: Any, path: str = "") -> None:
    """400 naming the field if a key or string holds a lone surrogate (not a character).

    JSON's ``\\ud800`` escapes decode to such strings; no UTF-8 store or
    response can hold them, so they are refused before a method sees them.
    """
    if isinstance(document, str):
        bad = _lone_surrogate(document)
        if bad is not None:
            raise webob.exc.HTTPBadRequest(
                explanation=f"Invalid input for field/attribute {path or '(body)'}. "
                f"Value holds a lone surrogate (U+{ord(bad):04X}), which is not a character."
            )
    elif isinstance(document, dict):
        for key, value in document.items():
            inner = f"{path}.{key}" if path else key
            if _lone_surrogate(key) is not None:
                check_characters(key, f"{inner} (the name)")
            check_characters(value, inner)
    elif isinstance(document, list):
        for index, value in enumerate(document):
            check_characters(value, f"{path}[{index}]")


def _lone_surrogate(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return text[exc.start]
    return None


def parse_json(raw: bytes) -> Any:
    """Strict JSON: UTF-8 only, no NaN/Infinity, no duplicate keys, no huge numbers."""
    try:
        return json.loads(
            raw.decode("utf-8"),
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
            object_pairs_hook=_unique_keys,
        )
    except UnicodeDecodeError:
        message = "The request body is not valid UTF-8."
    except RecursionError:
        message = "The request body is nested too deeply."
    except ValueError as exc:
        message = f"Malformed request body: {exc}"
    raise webob.exc.HTTPBadRequest(explanation=message)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 20:
        raise ValueError(f"number out of range: {text[:40]}")
    value = int(text)
    if not -_INT_LIMIT <= value < _INT_LIMIT:
        raise ValueError(f"number out of range: {text}")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"duplicate key {duplicate!r}")
    return document
