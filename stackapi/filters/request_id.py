"""request_id: give every request a ``req-<uuid4>`` id, on the wire and in the log.

The id goes in ``environ["openstack.request_id"]``, in the
``x-openstack-request-id`` header of every response that passes back through
this filter, and (through a log-record factory) in every log record emitted
while the request is handled, as ``%(request_id)s``.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator

from stackapi.middleware import Middleware
from stackapi.options import parse_options

HEADER = "x-openstack-request-id"
ENVIRON_KEY = "openstack.request_id"
GLOBAL_ENVIRON_KEY = "openstack.global_request_id"
_INBOUND_KEY = "HTTP_X_OPENSTACK_REQUEST_ID"
_VALID_ID = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")

#: The id of the request the current green thread (or thread) is handling.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "stackapi_request_id", default=None
)


# The variant nibble of a uuid4 is 10xx: its two low bits stay random.
_VARIANT = {f"{n:x}": "89ab"[n & 3] for n in range(16)}


@contextlib.contextmanager
def logging_request_id(request_id: str | None) -> Iterator[None]:
    """Log records made in the block carry ``request_id``: for code that logs about a
    request outside this filter (the server's refusals, the guard)."""
    token = current_request_id.set(request_id)
    try:
        yield
    finally:
        current_request_id.reset(token)


def new_request_id() -> str:
    """``req-`` and a random (version 4) UUID, as ``str(uuid.uuid4())`` writes it.

    Built from ``os.urandom`` directly: ``uuid.uuid4()`` costs ~7 us here, most of
    it in ``UUID``'s checks and formatting, and this runs on every request.
    """
    h = os.urandom(16).hex()
    return f"req-{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def is_valid_request_id(value: str | None) -> bool:
    return bool(value) and _VALID_ID.match(value) is not None  # type: ignore[arg-type]


def install_log_record_factory() -> None:
    """Give every log record a ``request_id`` attribute (``"-"`` outside a request).

    Idempotent.  A record factory rather than a ``logging.Filter`` because
    ``logging.config.fileConfig`` cannot attach filters to handlers, and a
    factory reaches every handler an operator configures.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "stackapi_request_id", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id.get() or "-"
        return record

    factory.stackapi_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class RequestIdMiddleware(Middleware):
    """Give each request an id; put it in every response and log record.

    ::

        [filter:request_id]
        use = egg:stackapi#request_id

    No options.  An inbound ``X-OpenStack-Request-ID`` of the ``req-<uuid>``
    form is kept as ``environ["openstack.global_request_id"]`` (the id a
    calling service chose for the whole operation); anything else is ignored.
    The local id is always new.  Put this filter first in a pipeline (after
    ``http_proxy_to_wsgi``) so that the faults of every later filter carry the
    header too.  Log records get the id until the response body is closed, so
    a filter below that logs at the end of the response (``access_log``) sees it.
    """

    def __init__(self, app: Callable, **conf: str) -> None:
        super().__init__(app, **conf)
        parse_options(self.options, conf)  # no options: any key is a mistake
        install_log_record_factory()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        # Plain WSGI (no webob objects): this runs on every request.
        request_id = new_request_id()
        environ[ENVIRON_KEY] = request_id
        inbound = environ.get(_INBOUND_KEY)
        if inbound and _VALID_ID.match(inbound):
            environ[GLOBAL_ENVIRON_KEY] = inbound
        header = (HEADER, request_id)

        def start_response_with_id(status, headers, exc_info=None):
            headers = [h for h in headers if h[0].lower() != HEADER]
            headers.append(header)
            return start_response(status, headers, exc_info)

        previous = current_request_id.get()
        current_request_id.set(request_id)
        try:
            body = self.next_app(environ, start_response_with_id)
        except BaseException:
            current_request_id.set(previous)
            raise
        # The id stays set while the server iterates the body; close() restores.
        wrapper = _SizedBody if hasattr(body, "__len__") else _Body
        return wrapper(body, previous)


class _Body:
    """The app's body; ``close()`` also restores the request id of the context."""

    __slots__ = ("body", "previous")

    def __init__(self, body: Iterable[bytes], previous: str | None) -> None:
        self.body = body
        self.previous = previous

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            current_request_id.set(self.previous)


class _SizedBody(_Body):
    """A body with a length (a list): servers compute Content-Length from it."""

    __slots__ = ()

    def __len__(self) -> int:
        return len(self.body)  # type: ignore[arg-type]
