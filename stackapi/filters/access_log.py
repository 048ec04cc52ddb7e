"""access_log: one INFO line per request on logger ``stackapi.access``.

Client, method, path, status, response bytes, duration and request id.
The line is written when the server closes the response body, so the bytes
and the duration cover the whole response; nothing is done (not even timing)
while the logger's INFO level is off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator

from stackapi.middleware import Middleware
from stackapi.options import Option
from stackapi.request_ids import install_log_record_factory, printable

LOG = logging.getLogger("stackapi.access")

DEFAULT_FORMAT = (
    '{client} "{method} {path}" status: {status} len: {bytes} '
    "time: {duration_ms:.1f}ms request_id: {request_id}"
)
#: The fields a format may use, with sample values (the load-time check).
FIELDS = {
    "client": "192.0.2.1",
    "method": "GET",
    "path": "/v1/widgets?limit=1",
    "protocol": "HTTP/1.1",
    "status": "200",
    "bytes": 42,
    "duration_ms": 1.5,
    "request_id": "req-00000000-0000-0000-0000-000000000000",
    "user_id": "-",
    "user_agent": "curl/8.0",
}

# Control characters, space, '"' and non-ASCII (latin-1 decoded bytes of the
# URL) are written %-escaped: a crafted URL cannot forge or split a log line.


def as_format(value: str) -> str:
    """A ``str.format`` template over :data:`FIELDS` (checked with sample values)."""
    template = str(value).strip()
    try:
        template.format(**FIELDS)
    except KeyError as exc:
        known = ", ".join(FIELDS)
        raise ValueError(f"unknown field {exc.args[0]!r} (fields: {known})") from None
    except (ValueError, IndexError, AttributeError, TypeError) as exc:
        raise ValueError(f"not a valid format: {exc}") from None
    return template


class AccessLogMiddleware(Middleware):
    """Log one line per request, when its response is complete.

    ::

        [filter:access_log]
        use = egg:stackapi#access_log
        format = {client} "{method} {path}" {status} {bytes} {duration_ms:.0f}ms {request_id}

    The line is an INFO record on logger ``stackapi.access``; ``format`` is a
    ``str.format`` template (braces, so the ini needs no ``%%``) over the
    fields ``client`` (``REMOTE_ADDR``), ``method``, ``path`` (with the query
    string), ``protocol`` (``SERVER_PROTOCOL``, which eventlet always
    reports as ``HTTP/1.0``), ``status``, ``bytes`` (body bytes sent),
    ``duration_ms`` (a float), ``request_id``, ``user_id`` (``-`` without an
    auth filter below) and ``user_agent``.  The default (:data:`DEFAULT_FORMAT`)
    gives ``127.0.0.1 "GET /v1/widgets" status: 200 len: 15
    time: 1.2ms request_id: req-...``.

    Place it right after ``request_id`` (the id is then also in the record's
    ``%(request_id)s``) and before ``faultwrap`` (so a 500 is logged as one).
    """

    options = (Option("format", as_format, DEFAULT_FORMAT, "the line, a str.format template"),)
    logger = LOG

    def __init__(self, app: Callable, **conf: str) -> None:
        super().__init__(app, **conf)
        # Formatters may use %(request_id)s even in a pipeline without request_id.
        install_log_record_factory()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not self.logger.isEnabledFor(logging.INFO):
            return self.next_app(environ, start_response)
        exchange = _Exchange(self, environ)

        def start_response_logged(status, headers, exc_info=None):
            exchange.status = status[:3]
            exchange.write = start_response(status, headers, exc_info)
            return exchange.counted_write

        try:
            body = self.next_app(environ, start_response_logged)
        except BaseException:
            exchange.status = "500"  # what the server answers to an escaped exception
            exchange.finish()
            raise
        return exchange.wrap(body)

    def fields(self, environ: dict, status: str, sent: int, seconds: float) -> dict:
        """The values the format is filled with."""
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING")
        context = environ.get("stackapi.context")
        return {
            "client": environ.get("REMOTE_ADDR") or "-",
            "method": printable(environ.get("REQUEST_METHOD", "-")),
            "path": printable(f"{path}?{query}" if query else path or "/"),
            "protocol": printable(environ.get("SERVER_PROTOCOL", "-")),
            "status": status,
            "bytes": sent,
            "duration_ms": seconds * 1000.0,
            "request_id": environ.get("openstack.request_id", "-"),
            "user_id": printable(getattr(context, "user_id", None) or "-"),
            "user_agent": printable(environ.get("HTTP_USER_AGENT", "-")),
        }

    def log(self, environ: dict, status: str, sent: int, seconds: float) -> None:
        self.logger.info("%s", self.format.format(**self.fields(environ, status, sent, seconds)))


class _Exchange:
    """One request's measures: status, bytes sent, start time; logs once."""

    __slots__ = ("owner", "environ", "started", "status", "sent", "write", "body", "logged")

    def __init__(self, owner: AccessLogMiddleware, environ: dict) -> None:
        self.owner = owner
        self.environ = environ
        self.started = time.perf_counter()
        self.status = "-"
        self.sent = 0
        self.write: Callable | None = None
        self.body: Iterable[bytes] = ()
        self.logged = False

    def counted_write(self, data: bytes) -> None:
        self.sent += len(data)
        self.write(data)  # type: ignore[misc]

    def wrap(self, body: Iterable[bytes]) -> Iterable[bytes]:
        self.body = body
        if isinstance(body, (list, tuple)):
            # Sized: the server may take its length for Content-Length, so it
            # keeps one; all of it is in memory and will be sent.
            self.sent += sum(map(len, body))
            return _SizedLoggedBody(self)
        return _LoggedBody(self)

    def finish(self) -> None:
        if not self.logged:
            self.logged = True
            seconds = time.perf_counter() - self.started
            self.owner.log(self.environ, self.status, self.sent, seconds)


class _LoggedBody:
    """The app's body, counted as the server iterates it; ``close()`` logs the line."""

    __slots__ = ("exchange",)

    def __init__(self, exchange: _Exchange) -> None:
        self.exchange = exchange

    def __iter__(self) -> Iterator[bytes]:
        exchange = self.exchange
        for chunk in exchange.body:
            exchange.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self.exchange.body, "close", None)
            if close is not None:
                close()
        finally:
            self.exchange.finish()


class _SizedLoggedBody(_LoggedBody):
    __slots__ = ()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.exchange.body)

    def __len__(self) -> int:
        return len(self.exchange.body)  # type: ignore[arg-type]
