"""healthcheck: answer the load balancer's probe, before any auth.

``GET`` -> 200 JSON, ``HEAD`` -> 204; 503 while one of the ``backends`` says
the service cannot serve (a file exists, the database is unreachable).  Each
backend's state goes only to operators (``detailed``, ``allowed_source_ranges``).
Other paths pass through untouched.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from importlib.metadata import entry_points

import webob

from stackapi.errors import ConfigError
from stackapi.faults import fault_document, fault_response
from stackapi.middleware import Middleware
from stackapi.options import Option, as_bool, as_list, as_networks, as_str, in_networks

LOG = logging.getLogger(__name__)

#: Entry-point group of the backends: ``name = module:Class`` (a HealthcheckBackend).
BACKENDS_GROUP = "stackapi.healthcheck"
_OK_BODY = json.dumps({"status": "OK"}).encode()
_DISABLED = "The service is disabled for maintenance."


@dataclass(frozen=True)
class HealthResult:
    """What a backend found: ``reason`` is for everyone, ``details`` for operators only."""

    available: bool
    reason: str = "OK"
    details: str = ""


class HealthcheckBackend:
    """One check of ``backends =`` (as oslo.middleware's healthcheck plugins).

    ::

        class Queue(HealthcheckBackend):
            def check(self):
                if broker_down():
                    return HealthResult(False, "The queue is unreachable.", "amqp://...")
                return HealthResult(True, details="3 consumers")

        # setup.cfg: [options.entry_points] stackapi.healthcheck = queue = mypkg:Queue

    Built once per filter, with the filter (``self.health``: its options).
    ``check()`` runs on every probe: keep it short and bounded in time.
    """

    def __init__(self, health: HealthcheckMiddleware) -> None:
        self.health = health

    def check(self) -> HealthResult:
        raise NotImplementedError


class DisableByFileBackend(HealthcheckBackend):
    """Unavailable while the file ``disable_by_file_path`` exists (drain a node)."""

    def check(self) -> HealthResult:
        path = self.health.disable_by_file_path
        if not path:
            return HealthResult(True, details="no disable_by_file_path set")
        if os.path.exists(path):
            return HealthResult(False, _DISABLED, f"{path} exists")
        return HealthResult(True, details=f"{path} does not exist")


def _as_path(value: str) -> str:
    path = as_str(value)
    if not path.startswith("/"):
        raise ValueError("expected a URL path starting with /")
    return path


def as_backends(value: str | Iterable[str]) -> tuple[tuple[str, type[HealthcheckBackend]], ...]:
    """``"database, disable_by_file"`` -> ``(name, class)`` pairs from the entry points."""
    known = {ep.name: ep for ep in entry_points(group=BACKENDS_GROUP)}
    backends = []
    for name in as_list(value):
        if name not in known:
            raise ValueError(f"unknown backend {name!r} (known: {', '.join(sorted(known))})")
        backends.append((name, known[name].load()))
    return tuple(backends)


class HealthcheckMiddleware(Middleware):
    """Answer ``GET``/``HEAD`` on ``path`` itself; other paths pass through.

    ::

        [filter:healthcheck]
        use = egg:stackapi#healthcheck
        path = /healthcheck
        backends = database, disable_by_file
        disable_by_file_path = /etc/stackapi/healthcheck_disable
        detailed = true
        allowed_source_ranges = 127.0.0.1, 10.0.0.0/8

    Every backend runs on each probe (entry points of ``stackapi.healthcheck``;
    shipped: ``disable_by_file``, the default, and ``database``, the demo's).
    All available: ``GET`` -> 200 ``{"status": "OK"}``, ``HEAD`` -> 204.
    Otherwise 503 ``serviceUnavailable`` with the first failing backend's
    reason (no body for ``HEAD``).  Other methods -> 405 with ``Allow: GET, HEAD``.

    ``detailed = true`` adds ``"backends": {name: {available, reason,
    details}}`` (to the 200 document, or inside the 503 fault), only for
    clients whose address (``REMOTE_ADDR``, the client's behind a trusted
    proxy) is in ``allowed_source_ranges``; others get the plain answer,
    since details name hosts and files.  ``path`` is matched against
    ``PATH_INFO``, i.e. below the urlmap prefix of the pipeline.  Place it
    before the auth filter: probes carry no token.
    """

    options = (
        Option("path", _as_path, "/healthcheck", "the URL path answered here"),
        Option(
            "backends",
            as_backends,
            (("disable_by_file", DisableByFileBackend),),  # what the filter did before backends
            "checks run on every probe (names of stackapi.healthcheck entry points)",
        ),
        Option(
            "disable_by_file_path",
            as_str,
            "",
            "disable_by_file: answer 503 while this file exists (empty: never)",
        ),
        Option("detailed", as_bool, False, "add each backend's state, for allowed_source_ranges"),
        Option(
            "allowed_source_ranges",
            as_networks,
            (),
            "addresses/networks that get the detailed answer",
        ),
    )

    def __init__(self, app: Callable, **conf: str) -> None:
        super().__init__(app, **conf)
        if self.detailed and not self.allowed_source_ranges:
            raise ConfigError(
                "detailed = true answers only the addresses listed here: set them",
                key="allowed_source_ranges",
            )
        self.checks = [(name, backend(self)) for name, backend in self.backends]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != self.path:
            return self.next_app(environ, start_response)
        detailed = self.detailed and in_networks(
            environ.get("REMOTE_ADDR"), self.allowed_source_ranges
        )
        return self.answer(environ["REQUEST_METHOD"], detailed)(environ, start_response)

    def results(self) -> dict[str, HealthResult]:
        """Each backend's result; one that raises is unavailable (and logged)."""
        results = {}
        for name, backend in self.checks:
            try:
                results[name] = backend.check()
            except Exception as exc:
                LOG.exception("healthcheck backend %s failed", name)
                results[name] = HealthResult(False, "A health check failed.", repr(exc))
        return results

    def answer(self, method: str, detailed: bool = False) -> webob.Response:
        """The response to a probe with ``method``."""
        if method not in ("GET", "HEAD"):
            message = f"The method {method} is not allowed here."
            return fault_response(405, message, [("Allow", "GET, HEAD")])
        results = self.results()
        failed = [result for result in results.values() if not result.available]
        if method == "HEAD":
            return webob.Response(
                status=503 if failed else 204, body=b"", content_type=None, charset=None
            )
        if failed:
            document = fault_document(503, failed[0].reason)
            inner = document["serviceUnavailable"]
        else:
            document = inner = {"status": "OK"}
        if detailed:
            inner["backends"] = {name: asdict(result) for name, result in results.items()}
        return webob.Response(
            status=503 if failed else 200,
            body=json.dumps(document).encode() if failed or detailed else _OK_BODY,
            content_type="application/json",
            charset=None,
            cache_control=None if failed else "no-cache",
        )
