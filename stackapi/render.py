"""render: what a controller or an Application returns -> a webob response.

Used by Resource, Middleware, Application and the version documents; imports
nothing of the dispatcher.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import webob
import webob.exc

from stackapi.controller import ResponseObject
from stackapi.faults import fault_from_exception


def render(result: Any, code: int | None = None) -> webob.Response:
    """Turn what a controller (or :class:`stackapi.Application`) returned into a response.

    =========================  ==================================================
    returned                   response
    =========================  ==================================================
    ``dict`` or ``list``       JSON body; status ``code`` (``@response``) or 200
    ``None``                   empty body; status ``code`` or 204
    ``ResponseObject``         its ``obj`` as above; its ``code`` wins over
                               ``@response``; its ``headers`` are added
    ``webob.exc`` exception    the JSON fault of its status (>= 400)
    ``webob.Response``         sent as is
    anything else              ``TypeError`` (a 500 through ``faultwrap``)
    =========================  ==================================================
    """
    if isinstance(result, webob.exc.HTTPException):
        return fault_from_exception(result)
    if isinstance(result, webob.Response):
        return result
    headers: dict[str, str] = {}
    if isinstance(result, ResponseObject):
        code = result.code or code
        headers = result.headers
        result = result.obj
    if result is None:
        resp = webob.Response(status=code or 204, body=b"", charset=None)
        if "Content-Type" in resp.headers:  # webob adds text/html even when asked for none
            del resp.headers["Content-Type"]
    elif isinstance(result, (dict, list)):
        resp = webob.Response(
            status=code or 200,
            body=_ENCODER.encode(result).encode(),
            content_type="application/json",
            charset=None,
        )
    else:
        raise TypeError(
            f"a controller must return a dict, a list, None, a ResponseObject or a "
            f"webob.Response, not {type(result).__name__}"
        )
    for name, value in headers.items():
        resp.headers[name] = value if isinstance(value, str) else str(value)  # 3 -> "3", as nova
    return resp


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (datetime.datetime, datetime.date)):
        return obj.isoformat()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


# One encoder for every response: json.dumps(..., default=...) builds a new one per call.
# NaN and Infinity are not JSON (RFC 8259): a ValueError, a 500 through faultwrap.
_ENCODER = json.JSONEncoder(default=_json_default, allow_nan=False)
