"""The wire format of errors: one JSON shape, used by every layer.

``{"itemNotFound": {"code": 404, "message": "..."}}`` -- nova's fault shape.
Nothing here imports more than webob and json.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import webob
import webob.exc

#: status -> fault name, as nova names them; every other status is "apiFault".
FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}

GENERIC_500 = "An unexpected error occurred. The request id identifies it in the server log."

# Headers of a webob.exc exception that describe its HTML body, not the fault.
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})


def fault_name(status: int) -> str:
    return FAULT_NAMES.get(status, "apiFault")


#: Statuses whose fault carries ``retryAfter`` when the response has ``Retry-After`` (nova).
_RETRY_STATUSES = frozenset({413, 429})


def fault_document(status: int, message: str, retry_after: str | None = None) -> dict:
    """The JSON document of a fault: ``{"itemNotFound": {"code": 404, "message": ...}}``.

    A 413 or 429 with a ``retry_after`` (the ``Retry-After`` header's value)
    carries it as ``retryAfter``, as nova's ``overLimit`` does.
    """
    detail: dict = {"code": status, "message": message}
    if retry_after is not None and status in _RETRY_STATUSES:
        detail["retryAfter"] = retry_after
    return {fault_name(status): detail}


def fault_body(status: int, message: str, retry_after: str | None = None) -> bytes:
    """:func:`fault_document` as bytes."""
    return json.dumps(fault_document(status, message, retry_after)).encode()


def fault_response(
    status: int, message: str, headers: Iterable[tuple[str, str]] | None = None
) -> webob.Response:
    """A complete JSON fault response (also a WSGI app).

    ``headers`` are added as given; a ``Retry-After`` among them also goes
    into the body of a 413/429 as ``retryAfter``.
    """
    headers = [(name, str(value)) for name, value in headers or ()]
    retry_after = next((v for k, v in headers if k.lower() == "retry-after"), None)
    resp = webob.Response(
        status=status,
        body=fault_body(status, message, retry_after),
        content_type="application/json",
        charset=None,
    )
    for name, value in headers:
        resp.headers[name] = value
    return resp


def over_limit(message: str, retry_after: int = 0, status: int = 429) -> webob.exc.HTTPException:
    """A 429 (or 413) to raise when a caller must slow down, with ``Retry-After``.

    ::

        raise over_limit("Rate limit exceeded.", retry_after=30)
        # 429 {"overLimit": {"code": 429, "message": "...", "retryAfter": "30"}}
        # Retry-After: 30
    """
    if status not in _RETRY_STATUSES:
        raise ValueError(f"over_limit is a 413 or a 429, not {status}")
    cls = webob.exc.status_map[status]
    return cls(explanation=message, headers={"Retry-After": str(int(retry_after))})


def exception_message(exc: webob.exc.HTTPException) -> str:
    """What the client reads: the detail if one was given, else the explanation."""
    return str(exc.detail or exc.explanation or exc.title)


def fault_from_exception(exc: webob.exc.HTTPException) -> webob.Response:
    """Turn a raised (or returned) ``webob.exc`` exception into a JSON response.

    Statuses >= 400 become faults that keep the exception's own headers
    (``Allow``, ``Retry-After``, ``Location`` ...).  Lower statuses (3xx
    redirects, a raised ``HTTPNoContent``) keep status and headers, with an
    empty body.
    """
    headers = [(k, v) for k, v in exc.headers.items() if k.lower() not in _BODY_HEADERS]
    if exc.code >= 400:
        return fault_response(exc.code, exception_message(exc), headers)
    resp = webob.Response(status=exc.status, body=b"", content_type=None, charset=None)
    resp.headers.extend(headers)
    return resp


#: Where the sizelimit filter publishes its limit, so that a server's body reader can
#: refuse a chunk announcing more at once.
BODY_LIMIT_KEY = "stackapi.max_request_body_size"


def too_large(limit: int) -> webob.exc.HTTPRequestEntityTooLarge:
    return webob.exc.HTTPRequestEntityTooLarge(
        explanation=f"Request body is larger than the limit of {limit} bytes."
    )
