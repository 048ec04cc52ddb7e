"""faultwrap: the safety net -- any exception below it becomes a JSON fault.

An unexpected exception is a 500 apiFault whose message says nothing about
it; the traceback and the request id go to the log (logger ``stackapi.faultwrap``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator

import webob.exc

from stackapi.faults import GENERIC_500, fault_from_exception, fault_response
from stackapi.middleware import Middleware
from stackapi.options import parse_options

LOG = logging.getLogger("stackapi.faultwrap")

# Never turned into a 500: the process (or the green thread) is being stopped.
_PASS_THROUGH = (SystemExit, KeyboardInterrupt, GeneratorExit)


def _is_thread_exit(exc: BaseException) -> bool:
    # greenlet.GreenletExit, without importing greenlet where it is not in use.
    greenlet = sys.modules.get("greenlet")
    return greenlet is not None and isinstance(exc, greenlet.GreenletExit)


class FaultWrapMiddleware(Middleware):
    """Turn every exception raised below it into a JSON fault.

    ::

        [filter:faultwrap]
        use = egg:stackapi#faultwrap

    No options.  ``webob.exc`` exceptions (raised, or returned in place of a
    body) keep their status, headers and message.  Anything else --
    ``Exception`` or another ``BaseException`` such as ``eventlet.Timeout``,
    but not ``SystemExit``/``KeyboardInterrupt`` -- is a 500 ``apiFault`` with
    a generic message; the log gets the traceback, the method, the path and
    the request id.  An exception raised while a streamed body is iterated
    becomes a fault too if no byte was sent yet; later it can only be logged
    (the server then drops the connection).  Place it right after ``request_id``.
    """

    def __init__(self, app: Callable, **conf: str) -> None:
        super().__init__(app, **conf)
        parse_options(self.options, conf)  # no options: any key is a mistake

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started: list[bool] = []  # whether the app called start_response

        def start_response_seen(status, headers, exc_info=None):
            started.append(True)
            return start_response(status, headers, exc_info)

        try:
            body = self.next_app(environ, start_response_seen)
        except _PASS_THROUGH:
            raise
        except BaseException as exc:
            return self.fault(exc, environ, start_response, bool(started))
        if isinstance(body, webob.exc.HTTPException):  # an app returned one, uncalled
            return fault_from_exception(body)(environ, start_response)
        if isinstance(body, (list, tuple)):  # nothing left to fail (webob's responses)
            return body
        return _GuardedBody(self, body, environ, start_response, started)

    def fault(
        self, exc: BaseException, environ: dict, start_response: Callable, started: bool
    ) -> Iterable[bytes]:
        """The JSON fault answering ``exc`` (called inside its ``except`` block).

        ``started``: the app already called ``start_response``, so this call
        passes ``exc_info`` to replace its headers (PEP 3333).
        """
        if _is_thread_exit(exc):
            raise exc
        if isinstance(exc, webob.exc.HTTPException):
            response = fault_from_exception(exc)
        else:
            log_unexpected(exc, environ)
            response = fault_response(500, GENERIC_500)
        if started:
            start_response = _again(start_response, sys.exc_info())
        return response(environ, start_response)


class _GuardedBody:
    """A streamed body whose exceptions become a fault while nothing was sent yet."""

    def __init__(
        self,
        owner: FaultWrapMiddleware,
        body: Iterable[bytes],
        environ: dict,
        start_response: Callable,
        started: list[bool],
    ) -> None:
        self.owner, self.body, self.environ = owner, body, environ
        self.start_response, self.started = start_response, started

    def __iter__(self) -> Iterator[bytes]:
        sent = False
        try:
            for chunk in self.body:
                sent = sent or bool(chunk)
                yield chunk
        except _PASS_THROUGH:
            raise
        except BaseException as exc:
            if sent:  # the status line may be out: only the log can tell
                log_unexpected(exc, self.environ)
                raise
            yield from self.owner.fault(exc, self.environ, self.start_response, bool(self.started))

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close is not None:
            close()


def log_unexpected(exc: BaseException, environ: dict) -> None:
    """Log ``exc`` with its traceback, the request and its id (inside ``except``)."""
    LOG.error(
        "Unexpected %s while handling %s %s (request %s)",
        type(exc).__name__,
        environ.get("REQUEST_METHOD"),
        environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
        environ.get("openstack.request_id", "-"),
        exc_info=True,
    )


def _again(start_response: Callable, exc_info: tuple) -> Callable:
    """start_response for a response replacing one the app may have begun (PEP 3333)."""

    def start_response_again(status, headers, _exc_info=None):
        return start_response(status, headers, exc_info)

    return start_response_again
