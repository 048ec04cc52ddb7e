"""guard: what stackapi promises on the wire, whatever the app below it does.

A plain WSGI wrapper (no eventlet, no webob objects on the hot path) around
everything an ini serves: ``egg:stackapi#urlmap`` wraps itself in it, so every
entry point (stackapi-server, ``stackapi.wsgi_app``, ``gunicorn --paste``,
pserve, ``stackapi.testing``) has it; :func:`guarded` adds it where the app is
not a urlmap.  URLs that are not UTF-8 text are refused before any app code
runs, a response header that would split the response becomes a 500 fault, and
HEAD/1xx/204/304 answers lose any body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

import webob

from stackapi.faults import GENERIC_500, fault_response
from stackapi.grammar import is_field_value, is_status, is_token, url_problem
from stackapi.request_ids import HEADER as REQUEST_ID_HEADER
from stackapi.request_ids import (
    install_log_record_factory,
    logging_request_id,
    new_request_id,
    printable,
)

LOG = logging.getLogger("stackapi.guard")

#: Set by the outermost Guard to itself: a Guard deeper in the tree (a nested
#: urlmap's, or the server's around a urlmap's) steps aside, and an app can reach
#: the whole tree it is served in (``egg:stackapi#openapi`` describes it).
ENVIRON_KEY = "stackapi.guard"

_NO_BODY_HEADERS = frozenset({"content-length", "transfer-encoding"})


def header_problem(status: str, headers: Iterable[tuple[str, str]]) -> str | None:
    """Why ``status`` and ``headers`` cannot be written as they are, or None."""
    if not isinstance(status, str) or not is_status(status):
        return f"status {status!r} is not a valid status line"
    for name, value in headers:
        if not isinstance(name, str) or not is_token(name):
            return f"header name {name!r} is not a token"
        if not isinstance(value, str) or not is_field_value(value):
            shown = repr(value)[:80]
            return f"header {name} has a value with control or non-latin-1 characters: {shown}"
    return None


class Guard:
    """The layer in front of every app an ini serves: refuse bad URLs, write only valid
    responses.

    ``egg:stackapi#urlmap`` puts itself inside one; for another app, :func:`guarded`
    adds one (as ``stackapi-server``, ``stackapi.wsgi_app`` and ``stackapi.testing``
    do).  Nothing to configure::

        app = guarded(loadapp("etc/api-paste.ini"))

    ==========================================  =========================================
    request or response                         what the client gets
    ==========================================  =========================================
    path or query not UTF-8 once %-decoded      400 badRequest, before any app code runs
    control character in the path (NUL, CR..),  400 badRequest
    ``%00`` in the query
    a ``.`` or ``..`` path segment              400 badRequest (no app sees dot-segments)
    a response header with CR/LF/NUL, a name    500 apiFault instead of that response; the
    that is not a token, a non-latin-1 value    log names the header and the request id
    HEAD, 1xx, 204 or 304 with a body           the body is dropped (and the framing
                                                headers of 1xx/204)
    ==========================================  =========================================

    Its own answers (those 400s and 500s) pass the ``answer_outside`` hook of
    the filters the request would have gone through, so that the ``cors``
    filter adds its headers: a browser UI can read them.  A Guard inside
    another (nested urlmaps) only passes the request on.
    """

    transparent_wrapper = True  # the app tree's walk (stackapi.app_map) looks through it

    def __init__(self, app: Callable) -> None:
        self.app = app
        install_log_record_factory()  # its log lines carry %(request_id)s under any server

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if ENVIRON_KEY in environ:  # an outer Guard has checked this request
            return self.app(environ, start_response)
        environ[ENVIRON_KEY] = self
        problem = url_problem(environ)
        if problem is not None:
            return self.refuse(environ, start_response, problem)
        exchange = _Exchange(self, environ, start_response)
        body = self.app(environ, exchange.start_response)
        return exchange.finish(body)

    def refuse(self, environ: dict, start_response: Callable, message: str) -> Iterable[bytes]:
        """The 400 for a URL no app should see (logged: no access log line will be)."""
        request_id = new_request_id()
        _log(logging.INFO, request_id, "refused: %s", message, environ)
        fault = fault_response(400, message, [(REQUEST_ID_HEADER, request_id)])
        return self.answer_outside(environ, fault)(environ, start_response)

    def answer_outside(self, environ: dict, response: webob.Response) -> webob.Response:
        """``response``, made here, as the filters on the request's path would send it."""
        # Imported here: app_map imports urlmap, which imports this module.
        from stackapi.app_map import filters_on_path

        answer = response
        try:
            for layer in reversed(filters_on_path(self.app, environ)):  # innermost first
                hook = getattr(layer, "answer_outside", None)
                if hook is not None:
                    answer = hook(environ, answer)
        except Exception:  # the answer is a fault already: never make it worse
            path = printable(environ.get("PATH_INFO", ""))
            LOG.exception("the filters' answer_outside hooks failed for %s", path)
            return response
        return answer


def guarded(app: Callable) -> Guard:
    """``app`` in a Guard, unless it is one already (``egg:stackapi#urlmap`` wraps itself)."""
    return app if isinstance(app, Guard) else Guard(app)


class _Exchange:
    """One response on its way out: checks what the app starts, trims bodyless answers."""

    __slots__ = (
        "guard",
        "environ",
        "path",
        "server_start_response",
        "problem",
        "headers",
        "bodyless",
        "started",
    )

    def __init__(self, guard: Guard, environ: dict, server_start_response: Callable) -> None:
        self.guard = guard
        self.environ = environ
        # As the request came: the layers below move PATH_INFO on (urlmap, proxies).
        self.path = (environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""))
        self.server_start_response = server_start_response
        self.problem: str | None = None
        self.headers: list = []
        self.bodyless = False
        self.started = False

    def start_response(self, status: str, headers: list, exc_info: object = None) -> Callable:
        self.started = True
        self.problem = header_problem(status, headers)
        if self.problem is not None:
            self.headers = headers
            return _refused_write
        code = int(status[:3])
        self.bodyless = (
            code in (204, 304) or code < 200 or self.environ["REQUEST_METHOD"] == "HEAD"
        )
        if code == 204 or code < 200:  # RFC 9110 8.6: no Content-Length on these
            headers = [h for h in headers if h[0].lower() not in _NO_BODY_HEADERS]
        write = self.server_start_response(status, headers, exc_info)
        return _ignored_write if self.bodyless else write

    def finish(self, body: Iterable[bytes]) -> Iterable[bytes]:
        if not self.started:  # a lazy app calls start_response with its first chunk
            body = Primed(body)
        if self.problem is not None:
            _close(body)
            return self.server_error()
        if self.bodyless:
            _close(body)
            return []
        return body

    def server_error(self) -> Iterable[bytes]:
        """The 500 that replaces a response the server cannot write (the app's id kept)."""
        ids = [
            v
            for k, v in self.headers
            if isinstance(k, str) and k.lower() == REQUEST_ID_HEADER and isinstance(v, str)
        ]
        request_id = ids[0] if ids and is_field_value(ids[0]) else new_request_id()
        _log(logging.ERROR, request_id, "response refused: %s", self.problem, self.environ)
        fault = fault_response(500, GENERIC_500, [(REQUEST_ID_HEADER, request_id)])
        arrived = dict(self.environ, SCRIPT_NAME=self.path[0], PATH_INFO=self.path[1])
        return self.guard.answer_outside(arrived, fault)(self.environ, self.server_start_response)


class Primed:
    """A body whose first chunk is pulled at once, so its start_response has been called."""

    __slots__ = ("body", "iterator", "first")

    def __init__(self, body: Iterable[bytes]) -> None:
        self.body = body
        self.iterator = iter(body)
        self.first = next(self.iterator, None)

    def __iter__(self) -> Iterator[bytes]:
        if self.first is not None:
            yield self.first
        yield from self.iterator

    def close(self) -> None:
        _close(self.body)


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _refused_write(data: bytes) -> None:
    raise ValueError("the response's headers were refused; write() is not available")


def _ignored_write(data: bytes) -> None:
    """write() of a response that has no body: the data is dropped."""


def _log(level: int, request_id: str, message: str, detail: str, environ: dict) -> None:
    """One line naming the request, with its id also in the record (``%(request_id)s``)."""
    with logging_request_id(request_id):
        LOG.log(
            level,
            "%s %s " + message + " (request %s)",
            printable(environ.get("REQUEST_METHOD", "")),
            printable(environ.get("PATH_INFO", "")),
            detail,
            request_id,
        )
