"""healthcheck: answer the load balancer's probe, before any auth.

``GET`` -> 200 JSON, ``HEAD`` -> 204; 503 while the file named by
``disable_by_file_path`` exists (drain a node without stopping it).
Other paths pass through untouched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable

import webob

from stackapi.faults import fault_response
from stackapi.middleware import Middleware
from stackapi.options import Option, as_str

_OK_BODY = json.dumps({"status": "OK"}).encode()
_DISABLED = "The service is disabled for maintenance."


def _as_path(value: str) -> str:
    path = as_str(value)
    if not path.startswith("/"):
        raise ValueError("expected a URL path starting with /")
    return path


class HealthcheckMiddleware(Middleware):
    """Answer ``GET``/``HEAD`` on ``path`` itself; other paths pass through.

    ::

        [filter:healthcheck]
        use = egg:stackapi#healthcheck
        path = /healthcheck
        disable_by_file_path = /etc/stackapi/healthcheck_disable

    ``GET`` -> 200 ``{"status": "OK"}``; ``HEAD`` -> 204.  While the file
    ``disable_by_file_path`` exists: 503 ``serviceUnavailable`` (no body for
    ``HEAD``).  Other methods -> 405 with ``Allow: GET, HEAD``.  ``path`` is
    matched against ``PATH_INFO``, i.e. below the urlmap prefix of the pipeline.
    Place it before the auth filter: probes carry no token.
    """

    options = (
        Option("path", _as_path, "/healthcheck", "the URL path answered here"),
        Option(
            "disable_by_file_path",
            as_str,
            "",
            "answer 503 while this file exists (empty: never)",
        ),
    )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != self.path:
            return self.next_app(environ, start_response)
        return self.answer(environ["REQUEST_METHOD"])(environ, start_response)

    def is_disabled(self) -> bool:
        return bool(self.disable_by_file_path) and os.path.exists(self.disable_by_file_path)

    def answer(self, method: str) -> webob.Response:
        """The response to a probe with ``method``."""
        if method not in ("GET", "HEAD"):
            return fault_response(
                405, f"The method {method} is not allowed here.", [("Allow", "GET, HEAD")]
            )
        if self.is_disabled():
            return fault_response(503, _DISABLED)
        if method == "HEAD":
            return webob.Response(status=204, body=b"", content_type=None, charset=None)
        return webob.Response(
            status=200,
            body=_OK_BODY,
            content_type="application/json",
            charset=None,
            cache_control="no-cache",
        )
