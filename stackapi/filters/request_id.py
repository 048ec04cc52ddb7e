"""request_id: give every request a ``req-<uuid4>`` id, on the wire and in the log.

The id goes in ``environ["openstack.request_id"]``, in the
``x-openstack-request-id`` header of every response that passes back through
this filter, and (through a log-record factory) in every log record emitted
while the request is handled, as ``%(request_id)s``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from stackapi.middleware import Middleware
from stackapi.options import parse_options
from stackapi.request_ids import (
    ENVIRON_KEY,
    GLOBAL_ENVIRON_KEY,
    HEADER,
    current_environ,
    current_request_id,
    install_log_record_factory,
    is_valid_request_id,
    new_request_id,
)

_INBOUND_KEY = "HTTP_X_OPENSTACK_REQUEST_ID"


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
        if is_valid_request_id(inbound):
            environ[GLOBAL_ENVIRON_KEY] = inbound
        header = (HEADER, request_id)

        def start_response_with_id(status, headers, exc_info=None):
            headers = [h for h in headers if h[0].lower() != HEADER]
            headers.append(header)
            return start_response(status, headers, exc_info)

        previous = (current_request_id.get(), current_environ.get())
        current_request_id.set(request_id)
        current_environ.set(environ)
        try:
            body = self.next_app(environ, start_response_with_id)
        except BaseException:
            _restore(previous)
            raise
        # The id stays set while the server iterates the body; close() restores.
        wrapper = _SizedBody if hasattr(body, "__len__") else _Body
        return wrapper(body, previous)


def _restore(previous: tuple[str | None, dict | None]) -> None:
    current_request_id.set(previous[0])
    current_environ.set(previous[1])


class _Body:
    """The app's body; ``close()`` also restores the request id of the context."""

    __slots__ = ("body", "previous")

    def __init__(self, body: Iterable[bytes], previous: tuple[str | None, dict | None]) -> None:
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
            _restore(self.previous)


class _SizedBody(_Body):
    """A body with a length (a list): servers compute Content-Length from it."""

    __slots__ = ()

    def __len__(self) -> int:
        return len(self.body)  # type: ignore[arg-type]
