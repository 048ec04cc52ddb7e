"""faultwrap: the safety net -- any exception below it becomes a JSON fault.

An unexpected exception is a 500 apiFault whose message says nothing about
it; the traceback and the request id go to the log (logger ``stackapi.faultwrap``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable

import webob.exc

from stackapi.faults import GENERIC_500, fault_from_exception, fault_response
from stackapi.middleware import Middleware

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

    No options.  ``webob.exc`` exceptions keep their status and message.
    Anything else -- ``Exception`` or another ``BaseException`` such as
    ``eventlet.Timeout``, but not ``SystemExit``/``KeyboardInterrupt`` -- is a
    500 ``apiFault`` with a generic message; the log gets the traceback, the
    method, the path and the request id.  Place it right after ``request_id``.
    """

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            return self.application(environ, start_response)
        except webob.exc.HTTPException as exc:
            return fault_from_exception(exc)(environ, _again(start_response, sys.exc_info()))
        except _PASS_THROUGH:
            raise
        except BaseException as exc:
            if _is_thread_exit(exc):
                raise
            LOG.error(
                "Unexpected %s while handling %s %s (request %s)",
                type(exc).__name__,
                environ.get("REQUEST_METHOD"),
                environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
                environ.get("openstack.request_id", "-"),
                exc_info=True,
            )
            fault = fault_response(500, GENERIC_500)
            return fault(environ, _again(start_response, sys.exc_info()))


def _again(start_response: Callable, exc_info: tuple) -> Callable:
    """start_response for a response replacing one the app may have begun (PEP 3333)."""

    def start_response_again(status, headers, _exc_info=None):
        return start_response(status, headers, exc_info)

    return start_response_again
